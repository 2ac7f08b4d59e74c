"""Small async factories for test data, written through the real services."""

from dataclasses import dataclass
from itertools import count

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.models import User

_numbers = count(1)


@dataclass
class Caller:
    user: User
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"CH-API-KEY": self.key}


async def create_user(session: AsyncSession, **overrides: object) -> Caller:
    username = str(overrides.pop("username", f"user{next(_numbers)}"))
    new = await accounts.create_user(session, username, **overrides)  # type: ignore[arg-type]
    return Caller(user=new.user, key=new.api_key)
