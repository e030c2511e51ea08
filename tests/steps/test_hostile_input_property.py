"""Whatever JSON a run is started with, it is refused with its field named and nothing called, or it
is valid and started once (Validate Sync Request, then Start Sync, on fakes)."""

from __future__ import annotations

from typing import Any, cast

import botocore.session
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from datasync_scheduler.domain.batch import InvalidBatchRequest, parse_batch_request
from datasync_scheduler.domain.sync_request import (
    InvalidSyncRequest,
    StackHome,
    field_name,
    json_kind,
    parse_sync_request,
)
from datasync_scheduler.ports import DataSyncPort, Ports
from datasync_scheduler.workflow.start_sync import start_sync
from tests.fakes import ACCOUNT, REGION, FakeDataSync, FakeLedger, FakeTaskLease
from tests.steps.conftest import WORKFLOW
from tests.steps.conftest import settings as step_settings

HOME = StackHome(partition="aws", region=REGION, account=ACCOUNT)
# How many inputs each property tries (the closing figures of the input checks quote them).
JSON_EXAMPLES = 400
OPTION_EXAMPLES = 600
BATCH_EXAMPLES = 300
_OPTIONS = botocore.session.get_session().get_service_model("datasync").shape_for("Options").members

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


def option_values(name: str) -> st.SearchStrategy[Any]:
    shape = _OPTIONS[name]
    enum = shape.metadata.get("enum")
    known = st.sampled_from(enum) if enum else st.integers(min_value=-3, max_value=2**64)
    # Mostly DataSync's own values (so that many runs are valid and start), sometimes anything.
    return st.one_of(known, known, known, json_values)


option_objects = st.dictionaries(
    st.one_of(st.sampled_from(sorted(_OPTIONS)), st.sampled_from(sorted(_OPTIONS)), st.text(max_size=12)),
    st.just(None),
    max_size=6,
).flatmap(
    lambda keys: st.fixed_dictionaries({key: option_values(key) if key in _OPTIONS else json_values for key in keys})
)


class CountingDataSync:
    """The fake DataSync, counting every call a step makes to it."""

    def __init__(self) -> None:
        self.fake = FakeDataSync()
        self.task_arn = self.fake.add_task()
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self.fake, name)


def validate_then_start(raw: object) -> tuple[CountingDataSync, str | None]:
    """The run as the workflow makes it: Validate Sync Request, then (if valid) Start Sync."""
    datasync = CountingDataSync()
    try:
        request = parse_sync_request(raw, home=HOME)
    except InvalidSyncRequest as refused:
        return datasync, str(refused)
    ports = Ports(
        datasync=cast(DataSyncPort, datasync), ledger=FakeLedger(), callbacks=cast(Any, None), lease=FakeTaskLease()
    )
    start_sync(request, WORKFLOW, ports, step_settings())
    return datasync, None


def assert_refused_naming_a_field(raw: object, message: str) -> None:
    assert message.startswith("Invalid sync request: ")
    if not isinstance(raw, dict):
        assert message == f"Invalid sync request: the input must be a JSON object, got {json_kind(raw)}"
        return
    first = message.removeprefix("Invalid sync request: ").split(": ", 1)[0]
    named = {field_name(str(key)) for key in raw} | {"taskArn"}
    assert any(first == name or first.startswith(name + ".") for name in named), message


@settings(max_examples=JSON_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=json_values)
def test_any_json_value_is_refused_naming_its_field_without_calling_datasync(raw: object) -> None:
    datasync, refusal = validate_then_start(raw)
    # An arbitrary value never names this stack's task, so it is never valid.
    assert refusal is not None
    assert_refused_naming_a_field(raw, refusal)
    assert datasync.calls == [] and datasync.fake.executions == {}


# Half the objects use only DataSync's option names and types (so that many runs are valid and start,
# and the rules between options are tried), half anything.
datasync_like_options = st.dictionaries(st.sampled_from(sorted(_OPTIONS)), st.just(None), max_size=8).flatmap(
    lambda keys: st.fixed_dictionaries(
        {
            key: st.sampled_from(_OPTIONS[key].metadata["enum"])
            if _OPTIONS[key].metadata.get("enum")
            else st.integers(min_value=-2, max_value=2**63)
            for key in keys
        }
    )
)


@settings(max_examples=OPTION_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    overrides=datasync_like_options | option_objects,
    extra=st.dictionaries(st.sampled_from(["includes", "excludes", "x"]), json_values, max_size=1),
)
def test_any_options_are_refused_naming_the_field_or_started_once_as_given(
    overrides: dict[str, Any], extra: dict[str, Any]
) -> None:
    # Every fake DataSync's first task has the same ARN: the run names the task it will find.
    raw = {"taskArn": CountingDataSync().task_arn, "overrides": overrides, **extra}
    datasync, refusal = validate_then_start(raw)
    event("refused" if refusal is not None else "started")
    if refusal is not None:
        assert_refused_naming_a_field(raw, refusal)
        assert datasync.calls == [] and datasync.fake.executions == {}
        return
    (execution,) = datasync.fake.executions.values()
    given_options = {name: value for name, value in overrides.items() if value is not None}
    assert execution.request.overrides.as_api() == given_options
    for name, value in given_options.items():
        # Strict: an option DataSync takes as text is text, a number is a number and never a boolean.
        assert type(value) is (str if _OPTIONS[name].metadata.get("enum") else int)


@settings(max_examples=BATCH_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=json_values | st.fixed_dictionaries({"tasks": st.lists(json_values, max_size=4), "maxConcurrency": json_values})
)
def test_any_batch_input_is_refused_with_a_bounded_message_or_accepted(raw: object) -> None:
    try:
        parse_batch_request(raw, home=HOME)
    except InvalidBatchRequest as refused:
        assert str(refused).startswith("Invalid batch request: ")
        assert len(str(refused)) < 4096 and "\n" not in str(refused)
