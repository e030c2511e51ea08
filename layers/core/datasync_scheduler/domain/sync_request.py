"""The input of one sync run, validated before anything touches DataSync.

Field names and values mirror DataSync's own API (`OverrideOptions`, filter patterns), so what a
user writes here is what they would pass to `aws datasync start-task-execution`. The options' names,
allowed values and ranges, the task ARN's pattern and the filters' limits are read from botocore's
DataSync model, so they cannot drift from what DataSync accepts (docs/aws-facts.md#what-a-run-accepts).
Types are strict: `true` or `"100"` is not a number, `1` is not an option value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from botocore.model import StructureShape
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from datasync_scheduler.domain import datasync_model
from datasync_scheduler.domain.schedules import Firing, ScheduleMessages
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.domain.where import Reach, Where

# Java's long and int, which botocore's `long` and `integer` shapes are: the bounds DataSync applies
# when the model gives no `max` (docs/aws-facts.md#what-a-run-accepts).
JAVA_LONG_MAX = 2**63 - 1
JAVA_INT_MAX = 2**31 - 1
_JAVA_BOUNDS = {"long": (-(2**63), JAVA_LONG_MAX), "integer": (-(2**31), JAVA_INT_MAX)}


def _java_pattern(shape_name: str) -> re.Pattern[str]:
    """A botocore `pattern` (a Java regex, anchored with ^…$) as a Python regex used with fullmatch:
    `$` alone would also accept a trailing line feed."""
    pattern = str(datasync_model.shape(shape_name).metadata["pattern"])
    return re.compile(pattern.removeprefix("^").removesuffix("$"))


TASK_ARN = _java_pattern("TaskArn")
TASK_ARN_MAX = int(datasync_model.shape("TaskArn").metadata["max"])
TASK_ARN_EXAMPLE = "arn:aws:datasync:<region>:<account>:task/task-<17 hex digits>"
# DataSync's limit for one filter's value (FilterRule.Value): includes and excludes, each.
FILTER_LIMIT = int(datasync_model.shape("FilterValue").metadata["max"])
_FILTER_VALUE = _java_pattern("FilterValue")

# A rejection names this many problems in full, then counts the rest: the message stays far below
# SNS's and Step Functions' limits whatever the input holds (docs/aws-facts.md#what-a-run-accepts).
PROBLEMS_SHOWN = 10
# A field name or a problem from the input is shortened to this many characters.
FIELD_NAME_LIMIT = 80
PROBLEM_LIMIT = 300
# A run's own deadline (`runDeadlineSeconds`, a named schedule's, docs/schedules.md) is bounded like
# the stack's RunDeadlineSeconds (0 = none) and by what a Standard workflow can last, a year
# (docs/aws-facts.md#how-long-a-run-can-be-watched).
RUN_DEADLINE_MAX = 365 * 24 * 3600


class InvalidSyncRequest(ValueError):
    """The run's input is unusable; the message names the offending fields."""


@dataclass(frozen=True)
class StackHome:
    """Where the stack runs, and the Regions and accounts it is set up for besides (docs/regions.md)."""

    partition: str
    region: str
    account: str
    # The stack's TaskRegions and MemberAccounts parameters, and the member stacks' role name.
    regions: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    member_role_name: str = ""

    @classmethod
    def of_function(
        cls, function_arn: str, *, regions: str = "", accounts: str = "", member_role_name: str = ""
    ) -> StackHome:
        """From a function's own ARN (`arn:<partition>:lambda:<region>:<account>:function:<name>[:qualifier]`),
        which Lambda gives every invocation (docs/aws-facts.md#what-a-run-accepts), and the stack's
        other Regions and accounts, as its parameters list them."""
        parts = function_arn.split(":")
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda":
            raise ValueError(f"not a Lambda function ARN: {one_line(function_arn)[:200]}")
        reach = Reach.of(Where(parts[1], parts[3], parts[4]), regions, accounts, member_role_name)
        return cls(parts[1], parts[3], parts[4], reach.regions, reach.accounts, member_role_name)

    @property
    def reach(self) -> Reach:
        return Reach(
            Where(self.partition, self.region, self.account), self.regions, self.accounts, self.member_role_name
        )

    def __str__(self) -> str:
        return f"partition {self.partition}, Region {self.region}, account {self.account}"


# --- DataSync's Options, generated from botocore's `Options` shape ---------------------------------


def _option_field(shape: Any) -> tuple[Any, Any]:
    """A pydantic field for one member of `Options`: its enum, or its integer range."""
    if shape.type_name == "string" and shape.enum:
        return Literal[tuple(shape.enum)] | None, None  # type: ignore[valid-type]
    if shape.type_name in _JAVA_BOUNDS:
        low, high = _JAVA_BOUNDS[shape.type_name]
        bounded = Annotated[int, Field(ge=shape.metadata.get("min", low), le=shape.metadata.get("max", high))]
        return bounded | None, None
    raise TypeError(f"Options.{shape.name}: a {shape.type_name} option is not handled; add it here")


class OverrideOptions(BaseModel):
    """DataSync `Options` that may be overridden for one execution (the API's names and values).

    The fields are generated from botocore's model (see `_options_model`); this class holds what
    every version of the model shares: strict types, no unknown names, and the documented rules."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def option(self, name: str) -> str | int | None:
        value = getattr(self, name, None)
        return value if isinstance(value, str | int) else None

    def as_api(self) -> dict[str, str | int]:
        return self.model_dump(exclude_none=True)

    @model_validator(mode="after")
    def _compatible(self) -> OverrideOptions:
        broken = [rule.text for rule in OPTION_RULES if rule.forbids(self)]
        if broken:
            raise ValueError("; ".join(broken))
        return self


@dataclass(frozen=True)
class OptionRule:
    """A combination the DataSync `Options` reference forbids in every task mode
    (docs/aws-facts.md#datasync-option-combinations)."""

    option: str
    value: str
    other: str
    forbidden: str
    text: str

    def forbids(self, options: OverrideOptions) -> bool:
        return options.option(self.option) == self.value and options.option(self.other) == self.forbidden


OPTION_RULES = (
    # Basic mode: Atime BEST_EFFORT needs Mtime PRESERVE; Enhanced mode refuses Mtime NONE at all.
    OptionRule("Atime", "BEST_EFFORT", "Mtime", "NONE", "Atime BEST_EFFORT requires Mtime PRESERVE"),
    # A transfer of everything does not scan the destination, so it cannot know what to delete.
    OptionRule(
        "PreserveDeletedFiles",
        "REMOVE",
        "TransferMode",
        "ALL",
        "PreserveDeletedFiles REMOVE cannot be combined with TransferMode ALL",
    ),
)


def _options_model() -> type[OverrideOptions]:
    options = datasync_model.shape("Options")
    assert isinstance(options, StructureShape)  # a structure in every version of the model
    members = options.members
    fields: dict[str, Any] = {name: _option_field(shape) for name, shape in members.items()}
    return create_model(
        "OverrideOptions",
        __base__=OverrideOptions,
        __doc__="DataSync `Options` that may be overridden for one execution (the API's names and values).",
        **fields,
    )


if TYPE_CHECKING:
    _Options = OverrideOptions
else:
    _Options = _options_model()


def _patterns(value: str) -> list[str]:
    return value.split("|")


class SyncRequest(BaseModel):
    """What to sync: `{"taskArn": …, "overrides": {…}, "includes": "…", "excludes": "…"}`, and, for a
    run of a named schedule's firing, `"firing": {…}` (domain/schedules.py `Firing`): which schedule
    and scheduled time the run belongs to and how its messages go. Without `firing`, a run is
    reported exactly as a run started by hand. `runDeadlineSeconds`, when given, is this run's
    deadline in place of the stack's RunDeadlineSeconds (0: none)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    taskArn: str
    overrides: _Options = Field(default_factory=_Options)
    includes: str | None = None
    excludes: str | None = None
    firing: Firing | None = None
    runDeadlineSeconds: Annotated[int, Field(ge=0, le=RUN_DEADLINE_MAX)] | None = None

    @field_validator("firing")
    @classmethod
    def _firing(cls, value: Firing | None) -> Firing | None:
        return check_firing(value) if value is not None else None

    def to_sync(self) -> dict[str, Any]:
        """What DataSync is asked to do, as the user wrote it: the request without its firing and
        deadline (two firings of one schedule ask for the same sync)."""
        return self.model_dump(mode="json", exclude_none=True, exclude={"firing", "runDeadlineSeconds"})

    def deadline_seconds(self, stack_deadline_seconds: int) -> int:
        """The run's deadline: its own when the request carries one, else the stack's (0: none)."""
        return self.runDeadlineSeconds if self.runDeadlineSeconds is not None else stack_deadline_seconds

    @field_validator("taskArn")
    @classmethod
    def _task_arn(cls, value: str) -> str:
        if len(value) > TASK_ARN_MAX or not TASK_ARN.fullmatch(value):
            raise ValueError(f"must be a DataSync task ARN like {TASK_ARN_EXAMPLE}")
        return value

    @field_validator("includes", "excludes")
    @classmethod
    def _filter_value(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > FILTER_LIMIT:
            raise ValueError(f"{len(value)} characters; DataSync allows {FILTER_LIMIT}")
        if not _FILTER_VALUE.fullmatch(value):
            raise ValueError("must be one or more patterns, without NUL characters")
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


def check_firing(firing: Firing) -> Firing:
    """A firing's message settings obey the schedules file's own rules (the route is an SNS attribute
    value a filter policy compares; the webhook a secret's ARN); raises ValueError naming the field."""
    try:
        ScheduleMessages(
            per_task=firing.per_task_messages,
            route=firing.route,
            slack_webhook_secret_arn=firing.slack_webhook_secret_arn,
        )
    except ValidationError as error:
        problem = error.errors(include_url=False)[0]
        where = {"route": "route", "slack_webhook_secret_arn": "slackWebhookSecretArn"}.get(
            str(problem["loc"][0]) if problem["loc"] else "", "perTaskMessages"
        )
        raise ValueError(f"{where}: {problem['msg'].removeprefix('Value error, ')}") from None
    return firing


def firing_problems(raw: object) -> tuple[Firing | None, list[str]]:
    """A batch's `firing` (`{"schedule", "scheduledTime", "perTaskMessages", "route", …}`), or each
    problem of it as `firing.field: what is wrong`."""
    try:
        return check_firing(Firing.model_validate(raw)), []
    except ValidationError as error:
        return None, [_under_firing(problem) for problem in _problems(error)]
    except ValueError as error:
        return None, [f"firing.{error}"]


def _under_firing(problem: str) -> str:
    # `input: …` is the firing itself (not an object); any other problem names a field of it.
    return f"firing{problem.removeprefix('input')}" if problem.startswith("input:") else f"firing.{problem}"


def parse_sync_request(raw: object, *, home: StackHome) -> SyncRequest:
    """Validates a run's input; raises InvalidSyncRequest naming the bad fields (the first few in full)."""
    title = "Invalid sync request"
    if not isinstance(raw, dict):
        raise InvalidSyncRequest(f"{title}: the input must be a JSON object, got {json_kind(raw)}")
    request, problems = sync_request_problems(raw, home)
    if request is None:
        raise InvalidSyncRequest(bounded(title, problems))
    return request


def sync_request_problems(raw: dict[str, Any], home: StackHome) -> tuple[SyncRequest | None, list[str]]:
    """The request, or each problem of it as `field: what is wrong` (field names made safe to show)."""
    try:
        request = SyncRequest.model_validate(raw)
    except ValidationError as error:
        return None, list(_problems(error))
    # A task's ARN says where it lives; the stack calls DataSync there only when it is set up for
    # that Region and account (docs/regions.md).
    problem = home.reach.problem(Where.of_arn(request.taskArn))
    if problem is not None:
        return None, [f"taskArn: {problem}"]
    return request, []


def _problems(error: ValidationError) -> Iterator[str]:
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or "input"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "model_type":
            message = f"must be a JSON object, got {json_kind(item['input'])}"
        yield f"{field_name(field)}: {message}"


def field_name(name: str) -> str:
    """A field name from the input, as a message may show it: on one line, and short."""
    return _shortened(one_line(name), FIELD_NAME_LIMIT)


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bounded(title: str, problems: Sequence[str]) -> str:
    """`title: p1; p2; …; and K more problem(s)`: the first PROBLEMS_SHOWN in full (each shortened)."""
    shown = [_shortened(one_line(problem), PROBLEM_LIMIT) for problem in problems[:PROBLEMS_SHOWN]]
    text = "; ".join(shown)
    if len(problems) > PROBLEMS_SHOWN:
        text += f"; and {len(problems) - PROBLEMS_SHOWN} more problem(s)"
    return f"{title}: {text}"


def json_kind(value: object) -> str:
    """What a JSON value is, in JSON's words (not Python's)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object" if isinstance(value, dict) else type(value).__name__
