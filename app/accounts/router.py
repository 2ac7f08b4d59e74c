from typing import Annotated

from fastapi import APIRouter, Path

from app.accounts import service
from app.accounts.errors import RegistrationClosed
from app.accounts.schemas import (
    AccountLite,
    AccountRead,
    AccountUpdate,
    AtprotoRead,
    Blockable,
    Registered,
    RegisterRequest,
    UsernameChangeRequest,
    UsernameCheck,
    WordBlacklist,
)
from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.errors import NotFound
from app.kit.dependencies import SettingsDep
from app.kit.schemas import Success, success
from app.media.dependencies import StorageDep
from app.search.sorts import SortOrder

router = APIRouter()

NameParam = Annotated[str, Path(max_length=200)]


@router.get("/api/account", tags=["User Account"], response_model_exclude_none=False)
async def get_account(
    session: SessionDep,
    user: CurrentUser,
    tokens: bool = True,
    blocks: bool = True,
    badges: bool = False,
    stripe_url: bool = False,
    nocache: str | None = None,
    no_cache: str | None = None,
) -> AccountRead:
    """Get user account information."""
    details = await service.account_details(session, user)
    return AccountRead(
        id=user.id,
        username=user.username,
        user_name=user.username,
        name=user.name,
        bio=user.bio,
        email=user.email,
        is_admin=user.is_admin,
        created_at=user.created_at,
        tokens=user.credits if tokens else None,
        blocked_users=details.blocked_users if blocks else None,
        blocked_tags=details.blocked_tags if blocks else None,
        blacklisted_words=details.blacklisted_words,
        default_sort=user.default_sort,
        followed_tags=details.followed_tags,
        atproto=user.atproto_did,
        badges=[] if badges else None,
        # Billing is not part of a self-hosted hub.
        stripe_url=None,
    )


@router.patch("/api/account", tags=["User Account"])
async def update_account(
    body: AccountUpdate, session: SessionDep, user: CurrentUser
) -> Success:
    """Update the profile fields of this account (name, bio, email, atproto DID)."""
    await service.update_account(session, user, body.model_dump(exclude_unset=True))
    return success()


@router.delete("/api/account", tags=["User Account"])
async def delete_account(
    session: SessionDep, storage: StorageDep, user: CurrentUser
) -> Success:
    """Delete this account completely and irreversibly."""
    await service.delete_account(session, storage, user)
    return success()


@router.post("/api/account/block/{block_type}/{name}", tags=["User Account"])
async def block(
    block_type: Blockable, name: NameParam, session: SessionDep, user: CurrentUser
) -> Success:
    """Block yourself from viewing these in search."""
    if block_type is Blockable.user:
        await service.block_user(session, user, name)
    else:
        await service.block_tag(session, user, name)
    return success()


@router.delete("/api/account/block/{block_type}/{name}", tags=["User Account"])
async def unblock(
    block_type: Blockable, name: NameParam, session: SessionDep, user: CurrentUser
) -> Success:
    """Unblock yourself from viewing these in search."""
    if block_type is Blockable.user:
        await service.unblock_user(session, user, name)
    else:
        await service.unblock_tag(session, user, name)
    return success()


@router.post("/api/account/blacklist", tags=["User Account"])
async def add_blacklist_word(
    body: WordBlacklist, session: SessionDep, user: CurrentUser
) -> Success:
    """Prevent users from commenting specific words/phrases on your pages."""
    await service.add_blacklist_word(session, user, body.word)
    return success()


@router.post("/api/account/blacklist/remove", tags=["User Account"])
async def remove_blacklist_word(
    body: WordBlacklist, session: SessionDep, user: CurrentUser
) -> Success:
    """Remove a word from your blacklist."""
    await service.remove_blacklist_word(session, user, body.word)
    return success()


@router.post("/api/account/sort/{order}", tags=["User Account"])
async def set_default_sort(
    order: SortOrder, session: SessionDep, user: CurrentUser
) -> Success:
    """Set a default sort order in search."""
    await service.set_default_sort(session, user, order)
    return success()


@router.get("/api/self", tags=["User Account"])
async def get_self(user: CurrentUser) -> AccountLite:
    """Get truncated user account information."""
    return AccountLite(id=user.id, username=user.username)


@router.post("/api/self/username", tags=["Unstable"])
async def change_username(
    body: UsernameChangeRequest, session: SessionDep, user: CurrentUser
) -> Success:
    """Attempt to change your username."""
    await service.change_username(session, user, body.username)
    return success(username=user.username)


@router.post("/api/check/username", tags=["Unstable"])
async def check_username(
    body: UsernameChangeRequest, session: SessionDep
) -> UsernameCheck:
    """Check if username is taken."""
    problem = await service.check_username(session, body.username)
    if problem is None:
        return UsernameCheck(available=True, success=True, message="available")
    return UsernameCheck(available=False, success=True, message=problem)


@router.post("/api/auth/register", tags=["User Account"])
async def register(
    body: RegisterRequest, session: SessionDep, settings: SettingsDep
) -> Registered:
    """Create an account and its first API key, when the server allows it."""
    if not settings.open_registration:
        raise RegistrationClosed
    new = await service.create_user(
        session, body.username, email=body.email, credits=settings.starting_credits
    )
    return Registered(id=new.user.id, username=new.user.username, api_key=new.api_key)


@router.get("/atproto/{username}", tags=["Read-Only"])
async def get_atproto(username: NameParam, session: SessionDep) -> AtprotoRead:
    """Get the configured atproto for this username for Bluesky."""
    user = await service.get_user_by_name(session, username)
    if user.atproto_did is None:
        raise NotFound(f"{user.username} has not set an atproto DID.")
    return AtprotoRead(atproto=user.atproto_did, did=user.atproto_did)
