"""SQL statements of the accounts domain."""

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import BlacklistWord, TagBlock, TagFollow, User, UserBlock


async def user_by_name(session: AsyncSession, username: str) -> User | None:
    stmt = select(User).where(func.lower(User.username) == username.lower())
    return (await session.execute(stmt)).scalar_one_or_none()


async def name_exists(
    session: AsyncSession, username: str, exclude_user_id: int | None = None
) -> bool:
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    if exclude_user_id is not None:
        stmt = stmt.where(User.id != exclude_user_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def blocked_usernames(session: AsyncSession, user_id: int) -> Sequence[str]:
    stmt = (
        select(User.username)
        .join(UserBlock, UserBlock.blocked_user_id == User.id)
        .where(UserBlock.user_id == user_id)
        .order_by(func.lower(User.username))
    )
    return (await session.execute(stmt)).scalars().all()


async def tag_blocks(session: AsyncSession, user_id: int) -> Sequence[str]:
    stmt = (
        select(TagBlock.tag).where(TagBlock.user_id == user_id).order_by(TagBlock.tag)
    )
    return (await session.execute(stmt)).scalars().all()


async def followed_tags(session: AsyncSession, user_id: int) -> Sequence[str]:
    stmt = (
        select(TagFollow.tag)
        .where(TagFollow.user_id == user_id)
        .order_by(TagFollow.tag)
    )
    return (await session.execute(stmt)).scalars().all()


async def blacklist(session: AsyncSession, user_id: int) -> Sequence[str]:
    stmt = (
        select(BlacklistWord.word)
        .where(BlacklistWord.user_id == user_id)
        .order_by(BlacklistWord.word)
    )
    return (await session.execute(stmt)).scalars().all()


async def count_blacklist(session: AsyncSession, user_id: int) -> int:
    stmt = select(func.count()).where(BlacklistWord.user_id == user_id)
    return (await session.execute(stmt)).scalar_one()


async def add_user_block(session: AsyncSession, user_id: int, blocked_id: int) -> None:
    stmt = insert(UserBlock).values(user_id=user_id, blocked_user_id=blocked_id)
    await session.execute(stmt.on_conflict_do_nothing())


async def remove_user_block(
    session: AsyncSession, user_id: int, blocked_id: int
) -> None:
    await session.execute(
        delete(UserBlock).where(
            UserBlock.user_id == user_id, UserBlock.blocked_user_id == blocked_id
        )
    )


async def add_tag_block(session: AsyncSession, user_id: int, tag: str) -> None:
    stmt = insert(TagBlock).values(user_id=user_id, tag=tag)
    await session.execute(stmt.on_conflict_do_nothing())


async def remove_tag_block(session: AsyncSession, user_id: int, tag: str) -> None:
    await session.execute(
        delete(TagBlock).where(TagBlock.user_id == user_id, TagBlock.tag == tag)
    )


async def add_blacklist_word(session: AsyncSession, user_id: int, word: str) -> bool:
    stmt = insert(BlacklistWord).values(user_id=user_id, word=word)
    result = await session.execute(stmt.on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))


async def remove_blacklist_word(session: AsyncSession, user_id: int, word: str) -> None:
    await session.execute(
        delete(BlacklistWord).where(
            BlacklistWord.user_id == user_id, BlacklistWord.word == word
        )
    )
