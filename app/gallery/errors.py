from app.errors import Forbidden, NotFound


class ImageNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such gallery image.")


class NotImageOwner(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "Only the uploader can delete this image; the owner of its project "
            "can remove it from the project by passing projectId."
        )
