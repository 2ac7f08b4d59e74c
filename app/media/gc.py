"""Finding and removing stored files that no row references.

Deletions normally follow their commits (see `app.db.after_commit`); this
sweep catches what a crash, a failed request or an older version left behind.
Each top-level folder has its own rule, and folders without one are left
alone, so that a new kind of media is never swept before it has a rule here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from uuid import UUID

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.media.storage import StoredFile
from app.models import GalleryImage, ImagineJob, Project, User

log = structlog.get_logger(__name__)

# Files younger than this may belong to a transaction still under way (an
# upload writes its files before its row commits).
DEFAULT_GRACE = timedelta(hours=1)


class ListableStorage(Protocol):
    async def list_files(self) -> list[StoredFile]: ...

    async def delete(self, key: str) -> None: ...


@dataclass
class References:
    keys: set[str]
    """Keys some row names exactly (avatars, cards, gallery images)."""
    project_ids: set[int]
    imagine_jobs: set[UUID]


@dataclass
class Sweep:
    orphans: list[str] = field(default_factory=list)
    kept: int = 0
    young: int = 0
    unknown: list[str] = field(default_factory=list)
    """Files under folders without a rule, left alone."""


async def load_references(session: AsyncSession) -> References:
    keys: set[str] = set()
    for column in (
        Project.avatar_key,
        Project.card_key,
        User.avatar_path,
        GalleryImage.image_key,
        GalleryImage.preview_key,
    ):
        found = await session.execute(select(column).where(column.is_not(None)))
        keys.update(key for key in found.scalars() if key)
    project_ids = set((await session.execute(select(Project.id))).scalars())
    jobs = set((await session.execute(select(ImagineJob.uuid))).scalars())
    return References(keys, project_ids, jobs)


def _named(key: str, refs: References) -> bool:
    return key in refs.keys


def _project_folder(key: str, refs: References) -> bool:
    # assets/<project id>/...: a card's assets live while their project does.
    part = key.split("/")[1]
    return part.isdigit() and int(part) in refs.project_ids


def _imagine_folder(key: str, refs: References) -> bool:
    # imagine/<user id>/<job uuid>/...: a job's inputs and outputs.
    parts = key.split("/")
    try:
        return len(parts) > 3 and UUID(parts[2]) in refs.imagine_jobs
    except ValueError:
        return False


RULES: dict[str, Callable[[str, References], bool]] = {
    "avatars": _named,
    "cards": _named,
    "gallery": _named,
    "assets": _project_folder,
    "imagine": _imagine_folder,
}


def classify(
    files: list[StoredFile], refs: References, *, older_than: datetime
) -> Sweep:
    """Which files no row references, among those written before `older_than`."""
    sweep = Sweep()
    for stored in files:
        rule = RULES.get(stored.key.split("/")[0]) if "/" in stored.key else None
        if rule is None:
            sweep.unknown.append(stored.key)
        elif rule(stored.key, refs):
            sweep.kept += 1
        elif stored.modified_at >= older_than:
            sweep.young += 1
        else:
            sweep.orphans.append(stored.key)
    return sweep


async def collect(
    session: AsyncSession,
    storage: ListableStorage,
    *,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
) -> Sweep:
    """Delete (unless `dry_run`) the files no row references."""
    # Files are listed before the rows are read: a file written and committed
    # in between then counts as referenced, never as an orphan.
    files = await storage.list_files()
    refs = await load_references(session)

    sweep = classify(files, refs, older_than=datetime.now(UTC) - grace)
    if not dry_run:
        for key in sweep.orphans:
            await storage.delete(key)
    log.info(
        "media.gc_finished", orphans=len(sweep.orphans), kept=sweep.kept,
        young=sweep.young, unknown=len(sweep.unknown), dry_run=dry_run,
    )  # fmt: skip
    return sweep
