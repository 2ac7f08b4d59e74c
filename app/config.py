"""Settings of the service, read once from the environment (prefix ``ROSTRO_``)."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ROSTRO_", env_file=".env", extra="ignore"
    )

    # Storage: external servers when set, embedded ones under data_dir otherwise.
    database_url: SecretStr | None = None
    redis_url: str | None = None
    data_dir: Path = Path("data")

    # HTTP
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    api_workers: int = Field(default=1, ge=1, le=64)
    public_url: str | None = None
    max_body_mb: int = Field(default=32, ge=1)

    # Accounts
    open_registration: bool = False
    starting_credits: int = Field(default=1000, ge=0)

    # Runtime
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool | None = None
    db_pool_size: int = Field(default=10, ge=1)
    worker_concurrency: int = Field(default=2, ge=1)

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_mb * 1024 * 1024

    @property
    def json_logs(self) -> bool:
        if self.log_json is not None:
            return self.log_json
        return self.environment == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
