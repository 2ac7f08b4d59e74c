from fastapi import Request

from app.config import Settings


def base_url(request: Request) -> str:
    """The public base URL of this server, for links in responses."""
    settings: Settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return str(request.base_url).rstrip("/")


def media_url(base: str, key: str | None) -> str | None:
    """The public URL of a stored media file."""
    return f"{base}/media/{key}" if key else None
