from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from app.kit.schemas import ReadSchema, Schema

ConfigKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ConfigUpsert(Schema):
    value: Any = None


class ConfigItem(Schema):
    config_id: ConfigKey
    sub_id: ConfigKey
    value: Any = None


class ConfigsUpsert(Schema):
    configs: Annotated[list[ConfigItem], Field(max_length=1000)]


class ConfigsDelete(Schema):
    config_ids: Annotated[list[ConfigKey], Field(max_length=1000)]


class ConfigsFetch(Schema):
    config_ids: Annotated[list[ConfigKey], Field(max_length=1000)] | None = None


class ConfigRead(ReadSchema):
    config_id: str
    sub_id: str
    value: Any
    updated_at: datetime


class ConfigList(ReadSchema):
    configs: list[ConfigRead]
