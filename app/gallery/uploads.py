"""Reading an upload from either body clients send: JSON or multipart."""

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from app.gallery.schemas import ImageUploadRequest
from app.gallery.service import Upload
from app.kit.fetch import Fetcher, is_url
from app.media.images import MAX_IMAGE_BYTES, InvalidImage, decode_data_url

MAX_FORM_FIELDS = 20


async def read_upload(request: Request, fetcher: Fetcher) -> Upload:
    """The upload in a JSON body (`image` as a data URL, base64 or an http(s)
    URL, or `url`) or a multipart one (`file`, or those as text); 422 when
    malformed, 400 when a URL is refused or cannot be fetched."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        fields, data = await _form(request)
    else:
        fields, data = await _json(request), None
    body = _validated(fields if data is None else {**fields, "image": "-"})
    if data is None:
        data = await _fetched_or_decoded(body, fetcher)
    if not data:
        raise InvalidImage("The image is empty.")
    return Upload(data, body.project_id, body.description, body.nsfw)


async def _fetched_or_decoded(body: ImageUploadRequest, fetcher: Fetcher) -> bytes:
    if body.url is not None or is_url(body.source):
        return await fetcher.fetch(body.source, MAX_IMAGE_BYTES)
    return decode_data_url(body.source)


async def _json(request: Request) -> dict[str, Any]:
    try:
        fields = await request.json()
    except ValueError:
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "The body is not valid JSON.", "type": "json"}]
        ) from None
    if not isinstance(fields, dict):
        raise RequestValidationError(
            [{"loc": ("body",), "msg": "Expected an object.", "type": "dict_type"}]
        )
    return fields


async def _form(request: Request) -> tuple[dict[str, Any], bytes | None]:
    fields: dict[str, Any] = {}
    data = None
    # Closing the form closes its spooled temporary files.
    async with request.form(max_files=1, max_fields=MAX_FORM_FIELDS) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
            elif value != "":
                # Compat: form clients send an empty field for "not given".
                fields[name] = value
    return fields, data


def _validated(fields: dict[str, Any]) -> ImageUploadRequest:
    try:
        return ImageUploadRequest.model_validate(fields)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None
