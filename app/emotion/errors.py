"""The errors of the emotion domain."""

from app.errors import ServiceUnavailable


class EmotionUnavailable(ServiceUnavailable):
    """The classifier cannot answer: its model failed to load, or the server is
    shutting down."""
