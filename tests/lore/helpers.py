"""A small world of our own for the lore tests, and request helpers."""

from typing import Any

from httpx import AsyncClient, Response

from app.cards import LorebookEntry

WORLD = [
    LorebookEntry(
        keys=["Mirewood"],
        name="Mirewood",
        content=(
            "Mirewood is a drowned forest of black willows and peat pools, where "
            "fog lies on the water all day and travellers lose the path."
        ),
    ),
    LorebookEntry(
        keys=["marsh hounds"],
        name="Marsh hounds",
        content=(
            "Marsh hounds are pale, eyeless dogs that hunt in packs at dusk, "
            "following the smell of blood across the bogs."
        ),
    ),
    LorebookEntry(
        keys=["Lantern Hall"],
        name="Lantern Hall",
        content=(
            "Lantern Hall is a guild house in the capital where scribes copy "
            "maps and sell ink; its cellars hold tax records."
        ),
    ),
    LorebookEntry(
        keys=["Orla"],
        name="Orla",
        content=(
            "Orla can mend broken bones and close wounds with a touch of her "
            "hands, a gift of healing that tires her for days."
        ),
    ),
]


def entry_body(**fields: Any) -> dict[str, Any]:
    """A lorebook_v3 entry object."""
    entry: dict[str, Any] = {
        "keys": ["key"],
        "content": "Some content.",
        "extensions": {},
        "enabled": True,
        "insertion_order": 100,
        "use_regex": False,
    }
    entry.update(fields)
    return entry


def lorebook_v3(*entries: dict[str, Any], name: str = "Book") -> dict[str, Any]:
    return {
        "spec": "lorebook_v3",
        "data": {"name": name, "extensions": {}, "entries": list(entries)},
    }


async def add_text(
    client: AsyncClient,
    headers: dict[str, str],
    owner_id: int,
    content: str,
    **fields: str,
) -> Response:
    return await client.post(
        "/lore/item",
        data={"owner_id": str(owner_id), "content": content, **fields},
        headers=headers,
    )


async def ask(
    client: AsyncClient, headers: dict[str, str] | None = None, **body: Any
) -> Response:
    body.setdefault("first", 5)
    return await client.post("/lore", json=body, headers=headers or {})


def error_shape(response: Response) -> bool:
    body = response.json()
    return (
        body.get("errorCode") == response.status_code
        and body.get("code") == response.status_code
        and isinstance(body.get("detail"), str)
        and body.get("error") == body.get("detail")
    )
