from app.errors import BadRequest, Forbidden, NotFound


class ProjectNotFound(NotFound):
    def __init__(self, what: str = "No such project.") -> None:
        super().__init__(what)


class NotProjectOwner(Forbidden):
    def __init__(self) -> None:
        super().__init__("Only the project's creator can change it.")


class WrongProjectKind(BadRequest):
    pass
