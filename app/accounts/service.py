"""Accounts: users, their keys, names, blocks, blacklist and preferences."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import repository
from app.accounts.errors import (
    BlacklistFull,
    CannotBlockSelf,
    InvalidUsername,
    KeyNotFound,
    UsernameTaken,
    UserNotFound,
)
from app.auth.keys import display_prefix, generate_key, hash_key
from app.errors import BadRequest
from app.favorites import service as favorites
from app.gallery import service as gallery
from app.media.storage import Storage
from app.models import ApiKey, Project, User
from app.projects.service import delete_files_after_commit
from app.ratings import service as ratings
from app.search.sorts import SortOrder
from app.tags.names import normalize_tag

log = structlog.get_logger(__name__)

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,32}$")
# Names that would be confused with paths, roles or the service itself.
RESERVED_USERNAMES = frozenset(
    {
        "admin", "administrator", "anonymous", "api", "atproto", "characters",
        "config", "docs", "everyone", "favorites", "follow", "healthz", "help",
        "imagine", "lore", "lorebooks", "login", "logout", "me", "mcp", "metrics",
        "minisearch", "moderator", "mod", "null", "openapi", "register", "root",
        "rostro", "search", "self", "settings", "staff", "support", "system",
        "tags", "undefined", "users", "v1", "www",
    }
)  # fmt: skip
MAX_BLACKLIST_WORDS = 200
MAX_BLACKLIST_WORD_LENGTH = 100


@dataclass(frozen=True)
class NewUser:
    user: User
    api_key: str


def username_problem(username: str) -> str | None:
    """Why a name cannot be used by anyone, or None when it is well formed."""
    if not USERNAME_PATTERN.match(username):
        return "A username has 3 to 32 characters: letters, digits, '_' and '-' only."
    if username.lower() in RESERVED_USERNAMES:
        return f"The username {username!r} is reserved."
    return None


async def ensure_username_available(
    session: AsyncSession, username: str, *, for_user: User | None = None
) -> None:
    problem = username_problem(username)
    if problem is not None:
        raise InvalidUsername(problem)
    exclude = for_user.id if for_user is not None else None
    if await repository.name_exists(session, username, exclude_user_id=exclude):
        raise UsernameTaken(f"The username {username!r} is taken.")


async def check_username(session: AsyncSession, username: str) -> str | None:
    """Why ``username`` is not available, or None when it is."""
    try:
        await ensure_username_available(session, username)
    except (InvalidUsername, UsernameTaken) as error:
        return error.message
    return None


async def create_user(
    session: AsyncSession,
    username: str,
    *,
    email: str | None = None,
    is_admin: bool = False,
    credits: int = 0,
) -> NewUser:
    """Create a user with a first API key, returned in the clear once."""
    await ensure_username_available(session, username)

    user = User(username=username, email=email, is_admin=is_admin, credits=credits)
    session.add(user)
    await session.flush()
    key = await create_key(session, user, name="default")
    log.info("accounts.user_created", user_id=user.id, is_admin=is_admin)
    return NewUser(user=user, api_key=key)


async def create_key(session: AsyncSession, user: User, *, name: str) -> str:
    key = generate_key()
    session.add(
        ApiKey(
            user_id=user.id,
            key_hash=hash_key(key),
            prefix=display_prefix(key),
            name=name,
        )
    )
    await session.flush()
    log.info("accounts.key_created", user_id=user.id)
    return key


async def revoke_key(session: AsyncSession, key: str) -> None:
    stmt = (
        update(ApiKey)
        .where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
        .returning(ApiKey.user_id)
    )
    user_id = (await session.execute(stmt)).scalar_one_or_none()
    if user_id is None:
        raise KeyNotFound
    log.info("accounts.key_revoked", user_id=user_id)


async def get_user_by_name(session: AsyncSession, username: str) -> User:
    user = await repository.user_by_name(session, username)
    if user is None:
        raise UserNotFound(username)
    return user


async def change_username(session: AsyncSession, user: User, new_name: str) -> None:
    """Rename a user; project paths follow since they are built from the name."""
    await ensure_username_available(session, new_name, for_user=user)
    old_name, user.username = user.username, new_name
    await session.flush()
    log.info("accounts.username_changed", user_id=user.id, old=old_name)


async def block_user(session: AsyncSession, user: User, username: str) -> None:
    target = await get_user_by_name(session, username)
    if target.id == user.id:
        raise CannotBlockSelf
    await repository.add_user_block(session, user.id, target.id)


async def unblock_user(session: AsyncSession, user: User, username: str) -> None:
    target = await get_user_by_name(session, username)
    await repository.remove_user_block(session, user.id, target.id)


async def block_tag(session: AsyncSession, user: User, tag: str) -> None:
    await repository.add_tag_block(session, user.id, normalize_tag(tag))


async def unblock_tag(session: AsyncSession, user: User, tag: str) -> None:
    await repository.remove_tag_block(session, user.id, normalize_tag(tag))


def _blacklist_word(word: str) -> str:
    cleaned = " ".join(word.split()).lower()
    if not cleaned:
        raise BadRequest("The word cannot be empty.")
    if len(cleaned) > MAX_BLACKLIST_WORD_LENGTH:
        raise BadRequest(
            f"A blacklisted word has at most {MAX_BLACKLIST_WORD_LENGTH} characters."
        )
    return cleaned


async def add_blacklist_word(session: AsyncSession, user: User, word: str) -> None:
    cleaned = _blacklist_word(word)
    if cleaned in await repository.blacklist(session, user.id):
        return
    if await repository.count_blacklist(session, user.id) >= MAX_BLACKLIST_WORDS:
        raise BlacklistFull(f"A blacklist holds at most {MAX_BLACKLIST_WORDS} words.")
    await repository.add_blacklist_word(session, user.id, cleaned)


async def remove_blacklist_word(session: AsyncSession, user: User, word: str) -> None:
    await repository.remove_blacklist_word(session, user.id, _blacklist_word(word))


async def set_default_sort(session: AsyncSession, user: User, order: SortOrder) -> None:
    user.default_sort = order.value
    await session.flush()


async def delete_account(session: AsyncSession, storage: Storage, user: User) -> None:
    """Delete a user and, through foreign keys, everything they own; their
    files go once the deletion has committed."""
    owned = (
        await session.execute(select(Project).where(Project.creator_id == user.id))
    ).scalars()
    delete_files_after_commit(session, storage, list(owned))
    await gallery.forget_user_images(session, storage, user.id)
    # Pending changes to the user's rows (such as the key's last use) are
    # written first, so that the delete does not race its own session.
    await session.flush()
    await ratings.withdraw_user_ratings(session, user.id)
    await favorites.withdraw_user_favorites(session, user.id)
    await session.execute(delete(User).where(User.id == user.id))
    log.info("accounts.deleted", user_id=user.id)


async def list_users(session: AsyncSession) -> list[User]:
    return list((await session.execute(select(User).order_by(User.id))).scalars())


@dataclass(frozen=True)
class AccountDetails:
    blocked_users: list[str]
    blocked_tags: list[str]
    blacklisted_words: list[str]
    followed_tags: list[str]


async def account_details(session: AsyncSession, user: User) -> AccountDetails:
    return AccountDetails(
        blocked_users=list(await repository.blocked_usernames(session, user.id)),
        blocked_tags=list(await repository.tag_blocks(session, user.id)),
        blacklisted_words=list(await repository.blacklist(session, user.id)),
        followed_tags=list(await repository.followed_tags(session, user.id)),
    )


async def update_account(
    session: AsyncSession, user: User, fields: dict[str, str | None]
) -> None:
    """Change the profile fields given; an empty atproto value clears the DID."""
    if "atproto" in fields:
        did = fields.pop("atproto") or None
        if did is not None and not did.startswith("did:"):
            raise BadRequest("An atproto identifier is a DID, starting with 'did:'.")
        user.atproto_did = did
    for name, value in fields.items():
        setattr(user, name, value if name != "bio" else (value or ""))
    await session.flush()
