"""Credits: what image generation costs, taken and given back by SQL increments."""

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import BadRequest
from app.models import User


class CreditsWouldGoNegative(BadRequest):
    pass


async def charge(session: AsyncSession, user_id: int, amount: int) -> bool:
    """Take ``amount`` credits; False (and nothing taken) when too few are left."""
    stmt = (
        update(User)
        .where(User.id == user_id, User.credits >= amount)
        .values(credits=User.credits - amount)
        .returning(User.credits)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def refund(session: AsyncSession, user_id: int, amount: int) -> None:
    if amount:
        await session.execute(
            update(User).where(User.id == user_id).values(credits=User.credits + amount)
        )


async def grant(session: AsyncSession, user_id: int, amount: int) -> int:
    """Add ``amount`` credits (negative takes some away); the new balance."""
    stmt = (
        update(User)
        .where(User.id == user_id, User.credits + amount >= 0)
        .values(credits=User.credits + amount)
        .returning(User.credits)
    )
    balance = (await session.execute(stmt)).scalar_one_or_none()
    if balance is None:
        raise CreditsWouldGoNegative("That would leave the account below 0 credits.")
    return int(balance)
