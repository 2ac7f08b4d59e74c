from app.errors import BadRequest


class CannotFollowSelf(BadRequest):
    def __init__(self) -> None:
        super().__init__("You cannot follow yourself.")


class InvalidCursor(BadRequest):
    def __init__(self) -> None:
        super().__init__("The cursor is not one this server gave out.")
