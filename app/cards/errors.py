"""The one error the card library raises."""


class CardError(Exception):
    """A card or lorebook file that cannot be read or written.

    The message names the problem in words a person uploading the file understands;
    the API turns it into a 422.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
