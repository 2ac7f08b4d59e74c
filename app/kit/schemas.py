"""Base schemas and response shapes shared by every domain."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# Path and query ids are bigints in PostgreSQL; a larger number is bad input.
DbId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class Schema(BaseModel):
    """Request bodies: unknown fields are ignored, as clients send extras."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)


class Success(BaseModel):
    """The body of a successful mutation."""

    model_config = ConfigDict(extra="allow")

    message: str = "success"
    success: bool = True


def success(**fields: Any) -> Success:
    return Success(**fields)
