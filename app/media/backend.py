"""Which storage the hub uses, by its settings."""

from app.config import Settings
from app.media.s3 import S3Storage
from app.media.storage import LocalStorage


def create_storage(settings: Settings) -> LocalStorage | S3Storage:
    """S3-compatible storage when a bucket is configured, else the data directory."""
    if settings.s3_bucket:
        return S3Storage.from_settings(settings)
    return LocalStorage(settings.data_dir / "media")
