from app.errors import BadRequest, Conflict, Forbidden, NotFound


class InvalidUsername(BadRequest):
    pass


class UsernameTaken(Conflict):
    pass


class UserNotFound(NotFound):
    def __init__(self, username: str) -> None:
        super().__init__(f"No user named {username!r}.")


class CannotBlockSelf(BadRequest):
    def __init__(self) -> None:
        super().__init__("You cannot block yourself.")


class BlacklistFull(BadRequest):
    pass


class RegistrationClosed(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "Registration is closed on this server; an administrator creates "
            "accounts with `rostro users create`."
        )


class KeyNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such active API key.")
