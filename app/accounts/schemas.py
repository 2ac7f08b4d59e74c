from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from app.kit.schemas import ReadSchema, Schema, Success


class Blockable(StrEnum):
    user = "user"
    tag = "tag"


class UsernameChangeRequest(Schema):
    username: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class UsernameCheck(ReadSchema):
    available: bool
    success: bool
    message: str


class WordBlacklist(Schema):
    word: Annotated[str, StringConstraints(max_length=1000)]


class RegisterRequest(Schema):
    username: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
    email: EmailStr | None = None


class Registered(Success):
    id: int
    username: str
    api_key: str


class AccountUpdate(Schema):
    name: Annotated[str, StringConstraints(max_length=100)] | None = None
    bio: Annotated[str, StringConstraints(max_length=5000)] | None = None
    email: EmailStr | None = None
    atproto: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None
    ) = Field(default=None, description="A Bluesky DID; an empty string clears it.")


class AccountLite(ReadSchema):
    id: int
    username: str


class AccountRead(ReadSchema):
    id: int
    username: str
    user_name: str
    name: str | None
    bio: str
    email: str | None
    is_admin: bool
    created_at: datetime
    tokens: int | None = Field(description="Credits for image generation.")
    blocked_users: list[str] | None
    blocked_tags: list[str] | None
    blacklisted_words: list[str]
    default_sort: str | None
    followed_tags: list[str]
    atproto: str | None
    badges: list[str] | None = None
    stripe_url: str | None = None


class AtprotoRead(ReadSchema):
    atproto: str
    did: str
