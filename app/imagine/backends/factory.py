"""The back end the settings name, and what it can do."""

from dataclasses import dataclass

from app.config import Settings
from app.imagine.backends.automatic1111 import Automatic1111Backend
from app.imagine.backends.base import ALL_CAPABILITIES, ImageBackend
from app.imagine.backends.comfyui import ComfyUIBackend, load_templates
from app.imagine.backends.diffusers import DiffusersBackend
from app.imagine.backends.openai import OpenAIImagesBackend
from app.imagine.errors import ImagineNotConfigured

DEFAULT_URLS = {
    "automatic1111": "http://127.0.0.1:7860",
    "comfyui": "http://127.0.0.1:8188",
}


@dataclass(frozen=True)
class BackendInfo:
    name: str
    capabilities: frozenset[str]


def backend_info(settings: Settings) -> BackendInfo | None:
    """The configured back end and the generation types it can do, or None."""
    name = settings.imagine_backend
    if name is None:
        return None
    if name == "comfyui":
        kinds = frozenset(load_templates(settings.imagine_workflow_dir))
        return BackendInfo(name, kinds)
    return BackendInfo(name, ALL_CAPABILITIES)


def build_backend(settings: Settings) -> ImageBackend:
    """A client for the configured back end (raises when none is)."""
    name = settings.imagine_backend
    timeout = settings.imagine_request_timeout_seconds
    key = settings.imagine_api_key
    secret = key.get_secret_value() if key else None
    options = settings.imagine_options
    model = settings.imagine_model
    if name == "diffusers":
        if not model:
            raise ImagineNotConfigured()
        return DiffusersBackend(model, device=settings.imagine_device)
    if name is None or (name == "openai" and not settings.imagine_url):
        raise ImagineNotConfigured()
    url = settings.imagine_url or DEFAULT_URLS[name]
    if name == "automatic1111":
        return Automatic1111Backend(
            url, timeout=timeout, auth=secret, model=model, options=options
        )
    if name == "comfyui":
        templates = load_templates(settings.imagine_workflow_dir)
        return ComfyUIBackend(
            url, timeout=timeout, templates=templates, model=model, options=options
        )
    return OpenAIImagesBackend(
        url, timeout=timeout, api_key=secret, model=model, options=options
    )
