"""The input of one sync run, validated before anything touches DataSync.

Field names and values mirror DataSync's own API (`OverrideOptions`, filter patterns), so what a
user writes here is what they would pass to `aws datasync start-task-execution`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

TASK_ARN_PATTERN = (
    r"^arn:(aws|aws-cn|aws-us-gov|aws-eusc|aws-iso|aws-iso-b):datasync:[a-z\-0-9]+:[0-9]{12}:task/task-[0-9a-f]{17}$"
)
TASK_ARN_EXAMPLE = "arn:aws:datasync:<region>:<account>:task/task-<17 hex digits>"
# DataSync's limit for include and exclude patterns together (FilterRule.Value).
FILTER_LIMIT = 102_400


class InvalidSyncRequest(ValueError):
    """The run's input is unusable; the message names every offending field."""


class OverrideOptions(BaseModel):
    """DataSync `Options` that may be overridden for one execution (the API's names and values)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    VerifyMode: Literal["POINT_IN_TIME_CONSISTENT", "ONLY_FILES_TRANSFERRED", "NONE"] | None = None
    OverwriteMode: Literal["ALWAYS", "NEVER"] | None = None
    Atime: Literal["NONE", "BEST_EFFORT"] | None = None
    Mtime: Literal["NONE", "PRESERVE"] | None = None
    Uid: Literal["NONE", "INT_VALUE", "NAME", "BOTH"] | None = None
    Gid: Literal["NONE", "INT_VALUE", "NAME", "BOTH"] | None = None
    PreserveDeletedFiles: Literal["PRESERVE", "REMOVE"] | None = None
    PreserveDevices: Literal["NONE", "PRESERVE"] | None = None
    PosixPermissions: Literal["NONE", "PRESERVE"] | None = None
    BytesPerSecond: Annotated[int, Field(ge=-1)] | None = None
    TaskQueueing: Literal["ENABLED", "DISABLED"] | None = None
    LogLevel: Literal["OFF", "BASIC", "TRANSFER"] | None = None
    TransferMode: Literal["CHANGED", "ALL"] | None = None
    SecurityDescriptorCopyFlags: Literal["NONE", "OWNER_DACL", "OWNER_DACL_SACL"] | None = None
    ObjectTags: Literal["PRESERVE", "NONE"] | None = None
    ObjectMetadata: Literal["PRESERVE", "NONE"] | None = None

    @model_validator(mode="after")
    def _compatible(self) -> OverrideOptions:
        if self.TransferMode == "ALL" and self.PreserveDeletedFiles == "REMOVE":
            raise ValueError("TransferMode ALL cannot be combined with PreserveDeletedFiles REMOVE")
        return self

    def as_api(self) -> dict[str, str | int]:
        return self.model_dump(exclude_none=True)


def _patterns(value: str) -> list[str]:
    return value.split("|")


class SyncRequest(BaseModel):
    """What to sync: `{"taskArn": …, "overrides": {…}, "includes": "…", "excludes": "…"}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    taskArn: str
    overrides: OverrideOptions = Field(default_factory=OverrideOptions)
    includes: str | None = None
    excludes: str | None = None

    @field_validator("taskArn")
    @classmethod
    def _task_arn(cls, value: str) -> str:
        if not re.match(TASK_ARN_PATTERN, value):
            raise ValueError(f"must be a DataSync task ARN like {TASK_ARN_EXAMPLE}")
        return value

    @field_validator("includes")
    @classmethod
    def _includes(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for pattern in _patterns(value):
            if not pattern.startswith("/"):
                raise ValueError(
                    f"include pattern {pattern!r} must start with '/' (paths are relative to the location)"
                )
            if "*" in pattern[:-1]:
                raise ValueError(f"include pattern {pattern!r} may use '*' only as its last character")
        return value

    @field_validator("excludes")
    @classmethod
    def _excludes(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if any(pattern == "" for pattern in _patterns(value)):
            raise ValueError("empty pattern: patterns are separated by a single '|'")
        return value

    @model_validator(mode="after")
    def _filters_fit(self) -> SyncRequest:
        size = len(self.includes or "") + len(self.excludes or "")
        if size > FILTER_LIMIT:
            raise ValueError(f"includes and excludes together are {size} characters; DataSync allows {FILTER_LIMIT}")
        if "\x00" in (self.includes or "") + (self.excludes or ""):
            raise ValueError("filter patterns cannot contain NUL characters")
        return self


def parse_sync_request(raw: object) -> SyncRequest:
    """Validates a run's input; raises InvalidSyncRequest naming each bad field."""
    if not isinstance(raw, dict):
        raise InvalidSyncRequest(f"the input must be a JSON object, got {type(raw).__name__}")
    try:
        return SyncRequest.model_validate(raw)
    except ValidationError as error:
        raise InvalidSyncRequest(describe_validation_error(error)) from None


def describe_validation_error(error: ValidationError) -> str:
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "input"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(f"{field}: {message}")
    return "Invalid sync request: " + "; ".join(problems)
