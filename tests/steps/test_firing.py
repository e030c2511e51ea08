"""Validate Batch given a schedule's firing: the schedule read from the deployed file, its listed
and tagged tasks, its skip dates, and every refusal naming the schedule (on the fakes)."""

from typing import Any

import pytest

from datasync_scheduler.domain.batch import InvalidBatchRequest
from datasync_scheduler.domain.schedules import SCHEDULE_TAG_KEY
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.workflow.state.batch import ValidateBatchInput
from datasync_scheduler.workflow.validate_batch import validate_batch
from tests.fakes import FakeBatchObjects, FakeScheduleFile, FakeTaggedTasks

pytestmark = pytest.mark.unit

HOME = StackHome(partition="aws", region="eu-west-1", account="123456789012")
TASKS = [f"arn:aws:datasync:eu-west-1:123456789012:task/task-{index:017x}" for index in range(5)]
BATCH = "arn:aws:states:eu-west-1:123456789012:execution:BatchWorkflow-x:nightly-2026-11-22"


def schedule(**fields: Any) -> dict[str, Any]:
    return {"name": "nightly", "expression": "cron(0 1 * * ? *)", "timezone": "Europe/Berlin", **fields}


def fire(
    raw_file: Any, tags: dict[str, dict[str, str]] | None = None, **firing: Any
) -> tuple[dict[str, Any], FakeBatchObjects, FakeTaggedTasks]:
    objects, tagged = FakeBatchObjects("reports"), FakeTaggedTasks(tags)
    event = ValidateBatchInput(
        input={"schedule": "nightly", "scheduledTime": "2026-11-22T00:00:00Z", **firing},
        batch_execution=BATCH,
        batch_name="nightly-2026-11-22",
    )
    output = validate_batch(event, HOME, objects, FakeScheduleFile(raw_file), tagged).to_state()
    return output["batch"], objects, tagged


def refusal(raw_file: Any, tags: dict[str, dict[str, str]] | None = None, **firing: Any) -> str:
    with pytest.raises(InvalidBatchRequest) as caught:
        fire(raw_file, tags, **firing)
    return str(caught.value)


def test_listed_and_tagged_tasks_run_once_each_the_listed_request_winning() -> None:
    listed = [{"taskArn": TASKS[0], "excludes": "*.tmp"}, {"taskArn": TASKS[1], "includes": "/2026/*"}]
    tags = {
        TASKS[1]: {SCHEDULE_TAG_KEY: "nightly"},
        TASKS[2]: {SCHEDULE_TAG_KEY: "nightly", "team": "media"},
        TASKS[3]: {SCHEDULE_TAG_KEY: "weekly"},
        TASKS[4]: {"nightly": "yes"},
    }
    raw = {"schedules": [schedule(tasks=listed, selectByTag=True, maxConcurrency=250, messages={"route": "ops"})]}
    batch, objects, _ = fire(raw, tags)

    assert batch["tasks"] == 3 and batch["maxConcurrency"] == 250
    assert batch["firing"] == {
        "schedule": "nightly",
        "scheduledTime": "2026-11-22T00:00:00Z",
        "perTaskMessages": "problems",
        "route": "ops",
        "slackWebhookSecretArn": None,
    }
    # Each run gets the firing too (the SyncWorkflow's request `firing`).
    assert {item["request"]["firing"]["schedule"] for item in objects.get_json("reports", batch["items"]["key"])} == {
        "nightly"
    }
    items = objects.get_json("reports", batch["items"]["key"])
    assert [{k: v for k, v in item["request"].items() if k != "firing"} for item in items] == [
        *listed,
        {"taskArn": TASKS[2]},
    ]
    assert [item["name"] for item in items] == [f"nightly-2026-11-22-{index}" for index in range(3)]


def test_tags_are_not_looked_up_unless_the_schedule_selects_by_tag() -> None:
    raw = {"schedules": [schedule(tasks=[{"taskArn": TASKS[0]}])]}
    batch, _, tagged = fire(raw, {TASKS[1]: {SCHEDULE_TAG_KEY: "nightly"}})
    assert batch["tasks"] == 1 and tagged.calls == 0


@pytest.mark.parametrize(
    ("scheduled", "skipped"),
    [("2026-12-24T23:30:00Z", True), ("2026-12-24T22:30:00Z", False), ("2026-12-25T23:30:00Z", False)],
)
def test_a_skip_date_is_the_scheduled_times_date_in_the_schedules_time_zone(scheduled: str, skipped: bool) -> None:
    raw = {"schedules": [schedule(tasks=[{"taskArn": TASKS[0]}], skipDates=["2026-12-25"])]}
    batch, objects, _ = fire(raw, scheduledTime=scheduled)
    if skipped:
        assert batch["skipped"].startswith("Skipped: 2026-12-25 is a skip date of schedule nightly (in Europe/Berlin)")
        assert batch["items"] is None and objects.objects == {}
    else:
        assert batch["skipped"] is None and batch["tasks"] == 1


def test_a_firing_without_a_scheduled_time_is_never_skipped() -> None:
    raw = {"schedules": [schedule(tasks=[{"taskArn": TASKS[0]}], skipDates=["2026-11-22"])]}
    event_batch, _, _ = fire(raw, scheduledTime=None)
    assert event_batch["skipped"] is None


def test_an_unknown_schedule_is_refused_naming_it_and_the_known_ones() -> None:
    message = refusal({"schedules": [schedule(name="weekly", tasks=[{"taskArn": TASKS[0]}])]})
    assert "schedule: no schedule named nightly in the deployed schedules file (it has: weekly)" in message


def test_a_broken_schedules_file_is_refused_naming_the_schedule_and_field() -> None:
    message = refusal({"schedules": [schedule(tasks=[{"taskArn": TASKS[0]}], maxConcurrency=0)]})
    assert "schedule nightly cannot fire: the schedules file is not valid" in message
    assert "schedules[0] (nightly).maxConcurrency" in message


def test_a_bad_listed_task_is_named_with_the_schedule() -> None:
    raw = {"schedules": [schedule(tasks=[{"taskArn": TASKS[0], "overrides": {"Verify": 1}}], selectByTag=True)]}
    message = refusal(raw)
    assert "schedule nightly: tasks[0] (task-00000000000000000): overrides.Verify" in message


MEMBER = "222222222222"
FLEET = StackHome.of_function(
    "arn:aws:lambda:eu-west-1:123456789012:function:ValidateBatch",
    regions="us-east-1",
    accounts=MEMBER,
    member_role_name="DataSyncSchedulerMember",
)


def test_tagged_tasks_are_found_in_each_of_the_schedules_regions_in_every_account_the_stack_reaches() -> None:
    home_east = "arn:aws:datasync:us-east-1:123456789012:task/task-0000000000000000a"
    member_east = f"arn:aws:datasync:us-east-1:{MEMBER}:task/task-0000000000000000b"
    member_west = f"arn:aws:datasync:eu-west-1:{MEMBER}:task/task-0000000000000000c"
    tags = {arn: {SCHEDULE_TAG_KEY: "nightly"} for arn in (TASKS[0], home_east, member_east, member_west)}
    raw = {"schedules": [schedule(selectByTag=True, regions=["us-east-1"])]}
    objects, tagged = FakeBatchObjects("reports"), FakeTaggedTasks(tags)
    event = ValidateBatchInput(
        input={"schedule": "nightly", "scheduledTime": "2026-11-22T00:00:00Z"}, batch_execution=BATCH, batch_name="n"
    )
    batch = validate_batch(event, FLEET, objects, FakeScheduleFile(raw), tagged).batch
    items = objects.get_json("reports", batch.items.key if batch.items else "")
    # Only us-east-1 is listed: the home Region's tagged task is not looked up; both accounts are.
    assert sorted(item["request"]["taskArn"] for item in items) == sorted([home_east, member_east])
    assert tagged.calls == 2


def test_a_schedules_region_the_stack_is_not_set_up_for_is_refused_saying_what_to_deploy() -> None:
    raw = {"schedules": [schedule(selectByTag=True, regions=["us-east-1", "ap-south-1"])]}
    message = refusal(raw)
    assert "schedule nightly: regions: the stack is set up for eu-west-1, not us-east-1, ap-south-1" in message
    assert "deploy member/template.yaml in each and add it to the stack's TaskRegions parameter" in message


def test_a_listed_task_in_an_account_the_stack_does_not_reach_is_named_with_the_field() -> None:
    stranger = "arn:aws:datasync:eu-west-1:333333333333:task/task-0000000000000000d"
    raw = {"schedules": [schedule(tasks=[{"taskArn": stranger}])]}
    with pytest.raises(InvalidBatchRequest) as caught:
        event = ValidateBatchInput(input={"schedule": "nightly"}, batch_execution=BATCH, batch_name="n")
        validate_batch(event, FLEET, FakeBatchObjects("r"), FakeScheduleFile(raw), FakeTaggedTasks())
    assert "schedule nightly: tasks[0] (task-0000000000000000d): taskArn: account 333333333333 is not among" in str(
        caught.value
    )


def test_a_schedule_with_nothing_to_run_is_refused_saying_how_to_tag() -> None:
    message = refusal({"schedules": [schedule(selectByTag=True)]})
    assert "schedule nightly: no task to run" in message
    assert "datasync-scheduler:schedule=nightly" in message


@pytest.mark.parametrize(
    ("firing", "expected"),
    [
        ({"scheduledTime": "tomorrow"}, "scheduledTime: must be an ISO 8601 time with its offset"),
        ({"scheduledTime": "2026-11-22T01:00:00"}, "scheduledTime: must be an ISO 8601 time with its offset"),
        ({"maxConcurrency": 3}, "maxConcurrency: unknown field"),
    ],
)
def test_a_bad_firing_input_is_refused_naming_the_field(firing: dict[str, Any], expected: str) -> None:
    assert expected in refusal({"schedules": [schedule(tasks=[{"taskArn": TASKS[0]}])]}, **firing)


def test_each_firing_records_its_arrival_once_for_the_health_check() -> None:
    from datetime import UTC, datetime

    from tests.fakes import FakeFiringArrivals

    raw = {"schedules": [schedule(tasks=[{"taskArn": TASKS[0]}], skipDates=["2026-11-22"])]}
    arrivals = FakeFiringArrivals()
    for delivery in range(2):  # Scheduler delivers at least once: the same firing twice
        event = ValidateBatchInput(
            input={"schedule": "nightly", "scheduledTime": "2026-11-22T00:00:00Z"},
            batch_execution=f"{BATCH}-{delivery}",
            batch_name=f"nightly-2026-11-22-{delivery}",
        )
        validate_batch(event, HOME, FakeBatchObjects("reports"), FakeScheduleFile(raw), FakeTaggedTasks(), arrivals)
    # A firing on a skip date arrived too: skipped is not missed.
    [arrival] = arrivals.arrived("nightly", [datetime(2026, 11, 22, tzinfo=UTC)])
    assert arrival.batch_execution == f"{BATCH}-0"


def test_a_firing_without_a_scheduled_time_records_no_arrival() -> None:
    from tests.fakes import FakeFiringArrivals

    raw = {"schedules": [schedule(tasks=[{"taskArn": TASKS[0]}])]}
    arrivals = FakeFiringArrivals()
    event = ValidateBatchInput(input={"schedule": "nightly"}, batch_execution=BATCH, batch_name="by-hand")
    validate_batch(event, HOME, FakeBatchObjects("reports"), FakeScheduleFile(raw), FakeTaggedTasks(), arrivals)
    assert arrivals.arrivals == {}
