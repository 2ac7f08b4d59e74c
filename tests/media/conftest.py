"""A real S3-compatible server (moto's server mode) on loopback."""

import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from app.config import Settings
from app.media.s3 import S3Storage

ACCESS = {"aws_access_key_id": "test", "aws_secret_access_key": "test-secret"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str) -> Settings:
    """The test settings with a new, empty bucket of their own."""
    bucket = f"rostro-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", **ACCESS
    )
    client.create_bucket(Bucket=bucket)
    return settings.model_copy(
        update={
            "s3_bucket": bucket,
            "s3_endpoint_url": s3_endpoint,
            "s3_access_key_id": ACCESS["aws_access_key_id"],
            "s3_secret_access_key": SecretStr(ACCESS["aws_secret_access_key"]),
            "s3_prefix": "media",
        }
    )


@pytest.fixture
def s3_storage(s3_settings: Settings) -> S3Storage:
    return S3Storage.from_settings(s3_settings)
