from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse, Response

from app.errors import NotFound
from app.media.dependencies import StorageDep
from app.media.storage import InvalidKey, content_type_of

router = APIRouter(tags=["Read-Only"])

# Media keys are content-addressed: a key's bytes never change.
CACHE_FOREVER = {"Cache-Control": "public, max-age=31536000, immutable"}


@router.get("/media/{key:path}", response_class=Response)
async def get_media(
    key: Annotated[str, Path(max_length=500)], storage: StorageDep
) -> Response:
    """Serve a stored media file (avatars, card images, gallery images)."""
    try:
        path = storage.local_path(key)
        if path is not None:
            if not path.is_file():
                raise NotFound("No such media file.")
            return FileResponse(
                path, media_type=content_type_of(key), headers=CACHE_FOREVER
            )
        data = await storage.get(key)
    except InvalidKey:
        raise NotFound("No such media file.") from None
    if data is None:
        raise NotFound("No such media file.")
    return Response(data, media_type=content_type_of(key), headers=CACHE_FOREVER)
