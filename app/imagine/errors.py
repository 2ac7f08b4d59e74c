from typing import Any, Literal

from app.errors import AppError, NotFound, ServiceUnavailable

RejectionReason = Literal[
    "unknown", "explicit_text", "explicit_image", "malformed_image", "out_of_credits"
]


class Rejection(AppError):
    """A generation refused for its content, its inputs or the caller's credits."""

    status_code = 400

    def __init__(self, reason: RejectionReason, location: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.location = location

    def extra_fields(self) -> dict[str, Any]:
        return {"reason": self.reason, "location": self.location}


class ImagineNotConfigured(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "Image generation is not configured on this server. Set "
            "ROSTRO_IMAGINE_BACKEND to automatic1111, comfyui, openai or diffusers, "
            "and ROSTRO_IMAGINE_URL to the address of that server (for diffusers, "
            "ROSTRO_IMAGINE_MODEL to a local model directory), then restart."
        )


class QueueUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "The job queue is unavailable, so no image can be generated right now; "
            "your credits were not spent. Try again shortly."
        )


class GenerationNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such generation among yours.")
