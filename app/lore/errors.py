"""The errors of the lore domain."""

from app.errors import AppError, ServiceUnavailable


class NoLoreContent(AppError):
    status_code = 400


class UnreadableLore(AppError):
    status_code = 400


class TooManyOwners(AppError):
    status_code = 400


class LoreItemNotFound(AppError):
    status_code = 404

    def __init__(self, message: str = "No such lore item.") -> None:
        super().__init__(message)


class CardItemNotDeletable(AppError):
    status_code = 409

    def __init__(self) -> None:
        super().__init__(
            "This item is an entry of the project's own lorebook; edit the "
            "lorebook to remove it."
        )


class EmbeddingQueueUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "The job queue is unavailable, so text this large cannot be embedded "
            "right now; nothing was stored. Try again shortly."
        )
