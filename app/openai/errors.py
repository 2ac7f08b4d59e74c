"""Errors of the /v1 API; app/errors.py renders them as OpenAI error objects."""

from typing import Any

from app.errors import AppError, BadRequest, NotFound


class ModelNotFound(NotFound):
    param = "model"
    openai_code = "model_not_found"

    def __init__(self, model: str) -> None:
        super().__init__(
            f"The model `{model}` does not exist or you do not have access to it."
        )


class UnsupportedParameter(BadRequest):
    openai_code = "unsupported_parameter"

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


class UpstreamUnavailable(AppError):
    status_code = 502

    def __init__(self) -> None:
        super().__init__("The language model server cannot be reached.")


class UpstreamTimeout(AppError):
    status_code = 504

    def __init__(self) -> None:
        super().__init__("The language model server did not answer in time.")


class UpstreamRefused(AppError):
    """The upstream answered with an error: its status and message go through."""

    def __init__(self, status_code: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            message = str(error.get("message") or "The model server refused.")
            self.param = error.get("param")
            self.openai_code = error.get("code")
        else:
            message = str(error or "The language model server answered an error.")
        # A failing upstream is a bad gateway for our client, not a failure of
        # ours; its 4xx are the client's own mistakes and keep their status.
        super().__init__(message, status_code if status_code < 500 else 502)


class LocalModelUnavailable(AppError):
    status_code = 503

    def __init__(self, reason: str) -> None:
        super().__init__(f"The local language model cannot be loaded: {reason}")
