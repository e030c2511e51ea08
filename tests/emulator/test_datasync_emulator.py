"""The local DataSync: real boto3 clients in front, virtual time behind, moto's CloudWatch Logs for its lines."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import moto.logs.models
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from emulator import aws_hooks
from emulator import datasync as datasync_module
from emulator.clock import DEFAULT_EPOCH, VirtualClock
from emulator.datasync import DataSyncEmulator
from emulator.datasync_logs import LogStream, write_events
from emulator.datasync_script import ExecutionScript
from emulator.datasync_shapes import validate_output

REGION = "us-east-1"
ACCOUNT = "123456789012"
LOG_GROUP = "/datasync/nightly"
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUP}:*"
T0 = DEFAULT_EPOCH

NIGHTLY = {
    "phases": [
        {"status": "LAUNCHING", "seconds": 20},
        {"status": "PREPARING", "seconds": 120},
        {"status": "TRANSFERRING", "seconds": 28800},
        {"status": "VERIFYING", "seconds": 600},
    ],
    "files": 12000,
    "bytes": 53687091200,
}
QUICK = {"phases": [{"status": "LAUNCHING", "seconds": 10}, {"status": "TRANSFERRING", "seconds": 90}]}


@dataclass
class World:
    clock: VirtualClock
    emulator: DataSyncEmulator
    datasync: Any
    logs: Any
    events: list[dict[str, Any]] = field(default_factory=list)

    def location(self, bucket: str = "data") -> str:
        arn: str = self.datasync.create_location_s3(
            S3BucketArn=f"arn:aws:s3:::{bucket}",
            S3Config={"BucketAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/datasync"},
        )["LocationArn"]
        return arn

    def task(self, *scripts: dict[str, Any], **params: Any) -> str:
        params.setdefault("SourceLocationArn", self.location("source"))
        params.setdefault("DestinationLocationArn", self.location("destination"))
        arn: str = self.datasync.create_task(**params)["TaskArn"]
        if scripts:
            self.emulator.script_task(arn, [ExecutionScript.from_dict(script) for script in scripts])
        return arn

    def start(self, task_arn: str, **params: Any) -> str:
        arn: str = self.datasync.start_task_execution(TaskArn=task_arn, **params)["TaskExecutionArn"]
        return arn

    def describe(self, execution_arn: str) -> dict[str, Any]:
        response: dict[str, Any] = self.datasync.describe_task_execution(TaskExecutionArn=execution_arn)
        response.pop("ResponseMetadata")
        return response

    def task_status(self, task_arn: str) -> str:
        status: str = self.datasync.describe_task(TaskArn=task_arn)["Status"]
        return status

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def settle(self) -> int:
        """Runs until nothing is scheduled any more; returns how many jumps of the clock that took."""
        jumps = 0
        while (due := self.emulator.next_change_at()) is not None:
            assert jumps < 1000, "the emulator keeps scheduling changes"
            self.clock.advance((due - self.clock.now()).total_seconds())
            jumps += 1
        return jumps

    def states(self, execution_arn: str) -> list[tuple[str, datetime]]:
        return [
            (event["detail"]["State"], datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC))
            for event in self.events
            if event["resources"] == [execution_arn]
        ]

    def log_events(self, group: str = LOG_GROUP) -> list[dict[str, Any]]:
        pages = self.logs.get_paginator("filter_log_events").paginate(logGroupName=group)
        return [event for page in pages for event in page["events"]]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    clock = VirtualClock()
    events: list[dict[str, Any]] = []
    emulator = DataSyncEmulator(
        clock,
        event_sink=events.append,
        logs_client_factory=lambda: boto3.client("logs", region_name=REGION),
        s3_client_factory=lambda: boto3.client("s3", region_name=REGION),
    )
    clock.attach(emulator)
    # moto accepts log events only within 14 days before and 2 hours after *its* clock: run it on ours.
    monkeypatch.setattr(moto.logs.models, "utcnow", lambda: clock.now().replace(tzinfo=None))
    aws_hooks.serve("datasync", emulator.handle)
    try:
        with mock_aws():
            logs = boto3.client("logs", region_name=REGION)
            logs.create_log_group(logGroupName=LOG_GROUP)
            yield World(clock, emulator, boto3.client("datasync", region_name=REGION), logs, events)
    finally:
        aws_hooks.stop("datasync")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def epoch_ms(seconds: float) -> int:
    return int(at(seconds).timestamp() * 1000)


def error_of(call: Any, **params: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value


# -- the phase walk -------------------------------------------------------------------------------------------


def test_an_execution_walks_every_phase_and_ends_in_success(world: World) -> None:
    task = world.task(NIGHTLY)
    execution = world.start(task)
    assert world.describe(execution)["Status"] == "QUEUED"
    assert world.events == []  # status changes and their events happen only when time is advanced

    world.settle()

    expected = [
        ("QUEUED", at(0)),
        ("LAUNCHING", at(0)),
        ("PREPARING", at(20)),
        ("TRANSFERRING", at(140)),
        ("VERIFYING", at(28940)),
        ("SUCCESS", at(29540)),
    ]
    assert world.states(execution) == expected
    assert [(status, moment) for status, moment in world.emulator.executions()[0].status_history] == expected
    event = world.events[-1]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", event.pop("id"))
    assert event == {
        "version": "0",
        "detail-type": "DataSync Task Execution State Change",
        "source": "aws.datasync",
        "account": ACCOUNT,
        "time": "2026-11-22T07:12:20Z",
        "region": REGION,
        "resources": [execution],
        "detail": {"State": "SUCCESS"},
    }
    assert re.fullmatch(rf"{task}/execution/exec-[0-9a-f]{{17}}", execution)
    described = world.describe(execution)
    assert (described["StartTime"], described["LaunchTime"], described["EndTime"]) == (at(0), at(0), at(29540))
    assert described["Result"] == {
        "PrepareStatus": "SUCCESS",
        "PrepareDuration": 120_000,
        "TransferStatus": "SUCCESS",
        "TransferDuration": 28_800_000,
        "VerifyStatus": "SUCCESS",
        "VerifyDuration": 600_000,
        "TotalDuration": 29_540_000,
    }
    assert (described["FilesTransferred"], described["BytesWritten"], described["FilesVerified"]) == (
        12000,
        53687091200,
        12000,
    )
    assert described["TaskMode"] == "BASIC"
    assert not {"FilesPrepared", "FilesListed", "FilesFailed"} & described.keys()  # Enhanced-only
    assert world.task_status(task) == "AVAILABLE"


def test_counters_grow_with_virtual_time_during_the_transfer(world: World) -> None:
    execution = world.start(world.task(NIGHTLY))
    world.advance(100)  # preparing: nothing estimated yet
    assert world.describe(execution)["EstimatedFilesToTransfer"] == 0

    world.advance(40 + 7200)  # a quarter into TRANSFERRING
    described = world.describe(execution)

    assert described["Status"] == "TRANSFERRING"
    assert (described["EstimatedFilesToTransfer"], described["EstimatedBytesToTransfer"]) == (12000, 53687091200)
    assert (described["FilesTransferred"], described["BytesWritten"], described["BytesTransferred"]) == (
        3000,
        13421772800,
        13421772800,
    )
    assert described["FilesVerified"] == 0
    assert described["Result"] == {
        "PrepareStatus": "SUCCESS",
        "PrepareDuration": 120_000,
        "TransferStatus": "PENDING",
        "VerifyStatus": "PENDING",
    }
    assert "EndTime" not in described


def test_a_phase_can_stall_before_its_counters_move(world: World) -> None:
    stalling = {**QUICK, "files": 100, "phases": [{"status": "TRANSFERRING", "seconds": 100, "stalledSeconds": 60}]}
    execution = world.start(world.task(stalling))
    world.advance(59)
    assert world.describe(execution)["FilesTransferred"] == 0  # still, though the phase runs
    world.advance(21)
    assert world.describe(execution)["FilesTransferred"] == 50  # half of the rest of the phase
    world.settle()
    assert world.describe(execution)["FilesTransferred"] == 100
    assert world.states(execution)[-1] == ("SUCCESS", at(100))


def test_describe_can_lag_the_end_its_event_announced(world: World) -> None:
    execution = world.start(world.task({**QUICK, "describeLagSeconds": 30}))
    world.advance(100)
    assert world.states(execution)[-1] == ("SUCCESS", at(100))  # the event is out at the end
    lagging = world.describe(execution)
    assert lagging["Status"] == "TRANSFERRING" and "EndTime" not in lagging
    world.advance(30)
    caught_up = world.describe(execution)
    assert caught_up["Status"] == "SUCCESS" and caught_up["EndTime"] == at(100)


def test_a_failing_execution_reports_its_error_and_the_phase_that_failed(world: World) -> None:
    failing = {
        "phases": [
            {"status": "LAUNCHING", "seconds": 20},
            {"status": "PREPARING", "seconds": 60},
            {"status": "TRANSFERRING", "seconds": 300},
        ],
        "outcome": "ERROR",
        "errorCode": "OpNotSupp",
        "errorDetail": "Connection reset by peer",
        "files": 10,
        "bytes": 1000,
    }
    execution = world.start(world.task(failing))
    world.settle()

    assert world.states(execution)[-2:] == [("TRANSFERRING", at(80)), ("ERROR", at(380))]
    described = world.describe(execution)
    assert described["Status"] == "ERROR"
    assert described["Result"] == {
        "PrepareStatus": "SUCCESS",
        "PrepareDuration": 60_000,
        "TransferStatus": "ERROR",
        "TransferDuration": 300_000,
        "VerifyStatus": "PENDING",
        "TotalDuration": 380_000,
        "ErrorCode": "OpNotSupp",
        "ErrorDetail": "Connection reset by peer",
    }


def test_verify_mode_none_skips_the_verifying_phase(world: World) -> None:
    execution = world.start(world.task(NIGHTLY), OverrideOptions={"VerifyMode": "NONE"})
    world.settle()

    assert [status for status, _ in world.states(execution)] == [
        "QUEUED",
        "LAUNCHING",
        "PREPARING",
        "TRANSFERRING",
        "SUCCESS",
    ]
    described = world.describe(execution)
    assert described["FilesVerified"] == 0
    assert (described["Result"]["VerifyStatus"], described["Result"]["VerifyDuration"]) == ("SUCCESS", 0)


def test_the_nth_execution_follows_the_nth_script_and_the_last_one_repeats(world: World) -> None:
    task = world.task({**QUICK, "outcome": "ERROR"}, QUICK)
    outcomes = []
    for _ in range(3):
        execution = world.start(task)
        world.settle()
        outcomes.append(world.describe(execution)["Status"])
    unscripted = world.start(world.task())
    world.settle()

    assert outcomes == ["ERROR", "SUCCESS", "SUCCESS"]
    assert world.describe(unscripted)["Status"] == "SUCCESS"


# -- one execution at a time ------------------------------------------------------------------------------


def test_executions_of_a_busy_task_wait_in_a_fifo_queue(world: World) -> None:
    task = world.task(QUICK)
    first, second, third = (world.start(task) for _ in range(3))
    assert world.task_status(task) == "QUEUED"  # nothing has left QUEUED before time moves
    world.advance(0)

    assert [world.describe(arn)["Status"] for arn in (first, second, third)] == ["LAUNCHING", "QUEUED", "QUEUED"]
    assert world.task_status(task) == "RUNNING"
    assert world.datasync.describe_task(TaskArn=task)["CurrentTaskExecutionArn"] == third

    world.settle()
    first_run, second_run, third_run = (world.describe(arn) for arn in (first, second, third))
    assert second_run["LaunchTime"] == first_run["EndTime"] == at(100)
    assert third_run["LaunchTime"] == second_run["EndTime"] == at(200)
    assert [event["detail"]["State"] for event in world.events[-4:]] == [
        "SUCCESS",
        "LAUNCHING",
        "TRANSFERRING",
        "SUCCESS",
    ]
    assert world.states(third)[0] == ("QUEUED", at(0))


def test_a_start_on_a_busy_task_fails_when_task_queueing_is_disabled(world: World) -> None:
    strict_task = world.task(QUICK, Options={"TaskQueueing": "DISABLED"})
    world.start(strict_task)
    error = error_of(world.datasync.start_task_execution, TaskArn=strict_task)
    assert error.response["Error"]["Code"] == "InvalidRequestException"

    relaxed_task = world.task(QUICK)
    world.start(relaxed_task)
    error = error_of(
        world.datasync.start_task_execution, TaskArn=relaxed_task, OverrideOptions={"TaskQueueing": "DISABLED"}
    )
    assert error.response["Error"]["Code"] == "InvalidRequestException"

    world.settle()
    assert world.describe(world.start(strict_task))["Status"] == "QUEUED"


def test_an_identical_start_on_a_busy_task_can_be_refused_while_different_filters_still_queue(world: World) -> None:
    # DataSync documents queueing for executions with different filters or manifests only; what an
    # identical start gets is undocumented, so the emulator can do either.
    task = world.task(QUICK)
    world.start(task)
    assert world.describe(world.start(task))["Status"] == "QUEUED"  # the default: queued

    world.emulator.identical_start_while_busy = "refuse"
    error = error_of(world.datasync.start_task_execution, TaskArn=task)
    assert error.response["Error"]["Code"] == "InvalidRequestException"
    other_files = [{"FilterType": "SIMPLE_PATTERN", "Value": "/reports"}]
    assert world.describe(world.start(task, Includes=other_files))["Status"] == "QUEUED"

    world.settle()
    world.start(task)  # an idle task starts whatever the switch says


MANIFEST = {
    "Action": "TRANSFER",
    "Format": "CSV",
    "Source": {
        "S3": {
            "ManifestObjectPath": "manifests/retry.csv",
            "BucketAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/manifest-reader",
            "S3BucketArn": "arn:aws:s3:::manifests",
        }
    },
}
TEMP_FILES = [{"FilterType": "SIMPLE_PATTERN", "Value": "*.tmp"}]


@pytest.mark.parametrize(
    "task_params, start_params",
    [
        ({"Excludes": TEMP_FILES}, {}),
        ({"Includes": [{"FilterType": "SIMPLE_PATTERN", "Value": "/projects"}]}, {}),
        ({}, {"Excludes": TEMP_FILES}),
        ({}, {"Includes": [{"FilterType": "SIMPLE_PATTERN", "Value": "/projects"}]}),
        ({"Options": {"PreserveDeletedFiles": "REMOVE"}}, {}),
        ({}, {"OverrideOptions": {"PreserveDeletedFiles": "REMOVE"}}),
    ],
    ids=[
        "task excludes",
        "task includes",
        "execution excludes",
        "execution includes",
        "task REMOVE",
        "REMOVE override",
    ],
)
def test_a_manifest_is_refused_with_filters_or_with_deleted_files_removed(
    world: World, task_params: dict[str, Any], start_params: dict[str, Any]
) -> None:
    task = world.task(QUICK, **task_params)
    error = error_of(world.datasync.start_task_execution, TaskArn=task, ManifestConfig=MANIFEST, **start_params)
    assert error.response["Error"]["Code"] == "InvalidRequestException"
    assert world.emulator.executions() == []


def test_a_manifest_is_accepted_when_an_override_keeps_deleted_files_on_a_task_that_removes_them(world: World) -> None:
    task = world.task(QUICK, Options={"PreserveDeletedFiles": "REMOVE"})
    keep = {"PreserveDeletedFiles": "PRESERVE"}
    assert world.describe(world.start(task, ManifestConfig=MANIFEST, OverrideOptions=keep))["Status"] == "QUEUED"


@pytest.mark.parametrize(
    "manifest, problem",
    [
        ("photos/picture1.png\nphotos/\n", "the manifest names the directory photos/"),
        ("photos/" + "é" * 510 + ".png\n", "is over 1024 bytes"),  # 517 characters, 1,031 bytes
    ],
    ids=["a directory", "a path over 1,024 bytes"],
)
def test_a_manifest_the_guide_rules_out_fails_the_execution_while_preparing(
    world: World, manifest: str, problem: str
) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="manifests")
    s3.put_object(Bucket="manifests", Key="manifests/retry.csv", Body=manifest.encode())
    execution = world.start(world.task(QUICK), ManifestConfig=MANIFEST)
    world.settle()

    result = world.describe(execution)
    assert (result["Status"], result["Result"]["ErrorCode"]) == ("ERROR", "InvalidManifest")
    assert problem in result["Result"]["ErrorDetail"]
    assert [state for state, _ in world.states(execution)][-2:] == ["PREPARING", "ERROR"]


def test_a_manifest_of_files_runs_as_scripted(world: World) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="manifests")
    guide_example = (Path(__file__).parents[1] / "fixtures" / "aws" / "manifests" / "utf8-characters.csv").read_bytes()
    s3.put_object(Bucket="manifests", Key="manifests/retry.csv", Body=guide_example)
    execution = world.start(world.task(QUICK), ManifestConfig=MANIFEST)
    world.settle()
    assert world.describe(execution)["Status"] == "SUCCESS"


def test_a_task_queues_at_most_fifty_executions(world: World) -> None:
    task = world.task(QUICK)
    world.start(task)
    world.advance(0)
    for _ in range(50):
        world.start(task)

    error = error_of(world.datasync.start_task_execution, TaskArn=task)

    assert error.response["Error"]["Code"] == "InvalidRequestException"


# -- cancelling -----------------------------------------------------------------------------------------------


def test_a_cancelled_execution_passes_through_cancelling_to_error(world: World) -> None:
    execution = world.start(world.task(NIGHTLY))
    world.advance(140 + 7200)

    world.datasync.cancel_task_execution(TaskExecutionArn=execution)

    assert world.describe(execution)["Status"] == "CANCELLING"  # at once, in the call
    assert world.states(execution)[-1][0] == "TRANSFERRING"  # its event waits for the next advance
    assert world.emulator.next_change_at() == at(7340)
    world.datasync.cancel_task_execution(TaskExecutionArn=execution)  # a repeat changes nothing
    world.advance(0)
    assert world.states(execution)[-1] == ("CANCELLING", at(7340))
    world.advance(3600)
    assert world.states(execution)[-1] == ("ERROR", at(7345))
    described = world.describe(execution)
    assert described["EndTime"] == at(7345)
    assert described["FilesTransferred"] == 3000  # frozen at the cancel
    assert described["Result"] == {
        "PrepareStatus": "SUCCESS",
        "PrepareDuration": 120_000,
        "TransferStatus": "ERROR",
        "TransferDuration": 7_200_000,
        "VerifyStatus": "PENDING",
        "TotalDuration": 7_345_000,
    }
    error = error_of(world.datasync.cancel_task_execution, TaskExecutionArn=execution)
    assert error.response["Error"]["Code"] == "InvalidRequestException"


def test_an_execution_stuck_launching_ends_only_when_cancelled(world: World) -> None:
    task = world.task({"phases": [{"status": "LAUNCHING", "seconds": None}], "cancelSeconds": 30})
    execution = world.start(task)
    world.advance(3600)

    assert world.describe(execution)["Status"] == "LAUNCHING"
    assert world.emulator.next_change_at() is None
    assert world.task_status(task) == "UNAVAILABLE"

    world.datasync.cancel_task_execution(TaskExecutionArn=execution)
    world.settle()

    assert world.states(execution)[-2:] == [("CANCELLING", at(3600)), ("ERROR", at(3630))]
    result = world.describe(execution)["Result"]
    assert (result["PrepareStatus"], result["TransferStatus"], result["VerifyStatus"]) == ("PENDING",) * 3
    assert "ErrorCode" not in result
    assert world.task_status(task) == "AVAILABLE"


def test_a_queued_execution_can_be_cancelled_and_the_queue_moves_on(world: World) -> None:
    task = world.task(QUICK)
    first, second, third = (world.start(task) for _ in range(3))
    world.advance(0)

    world.datasync.cancel_task_execution(TaskExecutionArn=second)
    world.settle()

    assert [status for status, _ in world.states(second)] == ["QUEUED", "CANCELLING", "ERROR"]
    cancelled = world.describe(second)
    assert "LaunchTime" not in cancelled
    assert cancelled["Result"]["TotalDuration"] == 0
    assert world.describe(third)["LaunchTime"] == world.describe(first)["EndTime"]


def test_a_task_deleted_while_its_execution_runs_takes_the_execution_with_it(world: World) -> None:
    task = world.task(NIGHTLY)
    execution = world.start(task)
    world.advance(600)
    world.datasync.delete_task(TaskArn=task)
    world.settle()

    for call, params in (
        (world.datasync.describe_task_execution, {"TaskExecutionArn": execution}),
        (world.datasync.describe_task, {"TaskArn": task}),
        (world.datasync.list_task_executions, {"TaskArn": task}),
    ):
        error = error_of(call, **params)
        assert isinstance(error, world.datasync.exceptions.InvalidRequestException)
    assert world.datasync.list_task_executions()["TaskExecutions"] == []
    # No event after the deletion: the execution was TRANSFERRING, and nothing more is heard of it.
    assert [status for status, _ in world.states(execution)][-1] == "TRANSFERRING"
    assert [record.deleted for record in world.emulator.executions()] == [True]


def test_a_task_can_be_deleted_at_a_virtual_time(world: World) -> None:
    task = world.task(NIGHTLY)
    world.emulator.delete_task_at(task, T0 + timedelta(hours=1))
    world.advance(3599)
    assert world.task_status(task) == "AVAILABLE"
    world.advance(1)
    assert isinstance(
        error_of(world.datasync.describe_task, TaskArn=task), world.datasync.exceptions.InvalidRequestException
    )


# -- API surface ------------------------------------------------------------------------------------------------


def test_unknown_arns_are_rejected_like_real_datasync(world: World) -> None:
    task = world.task(QUICK)
    unknown_task = f"arn:aws:datasync:{REGION}:{ACCOUNT}:task/task-0123456789abcdef0"
    unknown_execution = f"{task}/execution/exec-0123456789abcdef0"
    unknown_location = f"arn:aws:datasync:{REGION}:{ACCOUNT}:location/loc-0123456789abcdef0"
    calls: list[tuple[Any, dict[str, Any]]] = [
        (world.datasync.describe_task, {"TaskArn": unknown_task}),
        (world.datasync.start_task_execution, {"TaskArn": unknown_task}),
        (world.datasync.list_task_executions, {"TaskArn": unknown_task}),
        (world.datasync.describe_task_execution, {"TaskExecutionArn": unknown_execution}),
        (world.datasync.cancel_task_execution, {"TaskExecutionArn": unknown_execution}),
        (world.datasync.list_tags_for_resource, {"ResourceArn": unknown_execution}),
        (world.datasync.tag_resource, {"ResourceArn": unknown_task, "Tags": [{"Key": "team", "Value": "storage"}]}),
        (
            world.datasync.create_task,
            {"SourceLocationArn": unknown_location, "DestinationLocationArn": unknown_location},
        ),
    ]
    for call, params in calls:
        error = error_of(call, **params)
        assert isinstance(error, world.datasync.exceptions.InvalidRequestException)
        assert error.response["Error"] == {
            "Code": "InvalidRequestException",
            "Message": "Request references a resource which does not exist.",
        }
        assert error.response["message"] == error.response["Error"]["Message"]
        assert error.response["errorCode"]


def test_requests_break_rules_botocore_leaves_to_the_service(world: World) -> None:
    source, destination = world.location(), world.location()
    bad_requests: list[dict[str, Any]] = [
        {"TaskMode": "TURBO"},  # enums are checked by the service, not by botocore
        {"Name": "nightly sync!"},  # so are patterns
        {"Options": {"TransferMode": "ALL", "PreserveDeletedFiles": "REMOVE"}},
        {"TaskMode": "ENHANCED", "Options": {"VerifyMode": "POINT_IN_TIME_CONSISTENT"}},
    ]
    for params in bad_requests:
        error = error_of(
            world.datasync.create_task, SourceLocationArn=source, DestinationLocationArn=destination, **params
        )
        assert error.response["Error"]["Code"] == "InvalidRequestException", params


def test_options_are_datasync_defaults_under_the_task_s_under_each_execution_s(world: World) -> None:
    basic = world.task(QUICK, Options={"BytesPerSecond": 1048576}, Name="nightly")
    enhanced = world.task(QUICK, TaskMode="ENHANCED")
    includes = [{"FilterType": "SIMPLE_PATTERN", "Value": "/reports/q3.xlsx|/reports/q4.xlsx"}]

    execution = world.start(basic, OverrideOptions={"LogLevel": "BASIC"}, Includes=includes)

    task_options = world.datasync.describe_task(TaskArn=basic)["Options"]
    assert (task_options["LogLevel"], task_options["VerifyMode"], task_options["TaskQueueing"]) == (
        "OFF",
        "POINT_IN_TIME_CONSISTENT",
        "ENABLED",
    )
    assert task_options["BytesPerSecond"] == 1048576
    assert world.datasync.describe_task(TaskArn=enhanced)["Options"]["VerifyMode"] == "ONLY_FILES_TRANSFERRED"
    described = world.describe(execution)
    assert (described["Options"]["LogLevel"], described["Options"]["BytesPerSecond"]) == ("BASIC", 1048576)
    assert described["Includes"] == includes
    assert world.emulator.executions()[0].start_params == {
        "TaskArn": basic,
        "OverrideOptions": {"LogLevel": "BASIC"},
        "Includes": includes,
    }


def test_listings_page_through_tasks_and_executions(world: World) -> None:
    task, other_task = world.task(QUICK, Name="nightly"), world.task(QUICK)
    executions = [world.start(task) for _ in range(5)]
    other = world.start(other_task)

    pages = [world.datasync.list_task_executions(TaskArn=task, MaxResults=2)]
    while "NextToken" in pages[-1]:
        pages.append(world.datasync.list_task_executions(TaskArn=task, MaxResults=2, NextToken=pages[-1]["NextToken"]))

    assert [len(page["TaskExecutions"]) for page in pages] == [2, 2, 1]
    assert [entry["TaskExecutionArn"] for page in pages for entry in page["TaskExecutions"]] == executions
    assert pages[0]["TaskExecutions"][0] == {"TaskExecutionArn": executions[0], "Status": "QUEUED", "TaskMode": "BASIC"}
    everything = world.datasync.list_task_executions()["TaskExecutions"]
    assert [entry["TaskExecutionArn"] for entry in everything] == [*executions, other]
    first_page = world.datasync.list_tasks(MaxResults=1)
    assert first_page["Tasks"] == [{"TaskArn": task, "Status": "QUEUED", "Name": "nightly", "TaskMode": "BASIC"}]
    assert [entry["TaskArn"] for entry in world.datasync.list_tasks(NextToken=first_page["NextToken"])["Tasks"]] == [
        other_task
    ]


def test_tasks_and_executions_carry_tags(world: World) -> None:
    task = world.task(QUICK, Tags=[{"Key": "team", "Value": "storage"}])
    execution = world.start(task, Tags=[{"Key": "attempt", "Value": "1"}])

    world.datasync.tag_resource(ResourceArn=task, Tags=[{"Key": "team", "Value": "backup"}, {"Key": "env"}])
    world.datasync.tag_resource(ResourceArn=execution, Tags=[{"Key": "reason", "Value": "retry"}])
    world.datasync.untag_resource(ResourceArn=execution, Keys=["attempt"])

    assert world.datasync.list_tags_for_resource(ResourceArn=task)["Tags"] == [
        {"Key": "team", "Value": "backup"},
        {"Key": "env"},
    ]
    assert world.datasync.list_tags_for_resource(ResourceArn=execution)["Tags"] == [{"Key": "reason", "Value": "retry"}]


def test_every_response_is_checked_against_botocore_s_model(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    validated: set[str] = set()

    def recording(operation: str, response: dict[str, Any]) -> None:
        validated.add(operation)
        validate_output(operation, response)

    monkeypatch.setattr(datasync_module, "validate_output", recording)
    nfs = world.datasync.create_location_nfs(
        ServerHostname="nas.example.com",
        Subdirectory="/export",
        OnPremConfig={"AgentArns": [f"arn:aws:datasync:{REGION}:{ACCOUNT}:agent/agent-0123456789abcdef0"]},
    )["LocationArn"]
    task = world.task(NIGHTLY, DestinationLocationArn=nfs, Tags=[{"Key": "team", "Value": "storage"}])
    execution = world.start(task)
    world.advance(140 + 60)
    world.describe(execution)
    world.datasync.describe_task(TaskArn=task)
    world.datasync.list_tasks()
    world.datasync.list_task_executions(TaskArn=task)
    world.datasync.tag_resource(ResourceArn=execution, Tags=[{"Key": "attempt", "Value": "1"}])
    world.datasync.untag_resource(ResourceArn=execution, Keys=["attempt"])
    world.datasync.list_tags_for_resource(ResourceArn=task)
    world.datasync.cancel_task_execution(TaskExecutionArn=execution)

    assert validated == {
        "CreateLocationS3",
        "CreateLocationNfs",
        "CreateTask",
        "StartTaskExecution",
        "DescribeTaskExecution",
        "DescribeTask",
        "ListTasks",
        "ListTaskExecutions",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "CancelTaskExecution",
    }


@pytest.mark.parametrize(
    ("operation", "response", "complaint"),
    [
        ("DescribeTaskExecution", {"Status": "CANCELED"}, "CANCELED"),
        ("DescribeTaskExecution", {"Status": "SUCCESS", "FilesFailedVerify": 1}, "FilesFailedVerify"),
        ("DescribeTaskExecution", {"StartTime": datetime(2026, 11, 21, 23, 0)}, "StartTime"),  # naive
        ("DescribeTaskExecution", {"Result": {"PrepareDuration": "120000"}}, "PrepareDuration"),
        ("DescribeTaskExecution", {"TaskExecutionArn": "exec-1"}, "TaskExecutionArn"),
        ("ListTagsForResource", {"Tags": [{"Value": "storage"}]}, "Key"),
        ("CancelTaskExecution", {"Cancelled": True}, "Cancelled"),
    ],
)
def test_the_output_validator_catches_what_the_real_api_never_returns(
    operation: str, response: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(AssertionError, match=complaint):
        validate_output(operation, response)


def test_the_output_validator_accepts_a_real_shaped_response() -> None:
    validate_output(
        "DescribeTaskExecution",
        {
            "TaskExecutionArn": "arn:aws:datasync:eu-central-1:533267260386:task/task-0806c70094b09457b/execution/"
            "exec-0fcddf3728817690d",
            "Status": "SUCCESS",
            "StartTime": T0,
            "Result": {"PrepareStatus": "SUCCESS", "TotalDuration": 1},
        },
    )
    validate_output("CancelTaskExecution", {})


def test_ids_are_reproducible_from_run_to_run() -> None:
    def arns() -> list[str]:
        emulator = DataSyncEmulator(VirtualClock())
        location = {
            "S3BucketArn": "arn:aws:s3:::data",
            "S3Config": {"BucketAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"},
        }
        source = emulator.handle("CreateLocationS3", location)["LocationArn"]
        task = emulator.handle("CreateTask", {"SourceLocationArn": source, "DestinationLocationArn": source})["TaskArn"]
        return [source, task, emulator.handle("StartTaskExecution", {"TaskArn": task})["TaskExecutionArn"]]

    assert arns() == arns()


# -- scripts ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "complaint"),
    [
        ({"phases": [], "retries": 2}, "'retries'"),
        ({"phases": [{"status": "LAUNCHING", "seconds": 1, "duration": 2}]}, r"phases\[0\].*'duration'"),
        ({"failedFiles": [{"path": "/a", "kind": "checksum", "size": 1}]}, r"failedFiles\[0\].*'size'"),
        ({"failedFiles": [{"path": "/a", "kind": "bitrot"}]}, "bitrot"),
        ({"failedFiles": [{"path": "relative.txt", "kind": "checksum"}]}, "relative.txt"),
        ({"phases": [{"status": "LAUNCHING"}]}, r"phases\[0\]\.seconds is required"),
        ({"phases": [{"status": "PREPARING", "seconds": 1}, {"status": "LAUNCHING", "seconds": 1}]}, "order"),
        ({"phases": [{"status": "LAUNCHING", "seconds": None}, {"status": "PREPARING", "seconds": 1}]}, "last"),
        ({"phases": [{"status": "CANCELLING", "seconds": 1}]}, "CANCELLING"),
        ({"errorCode": "OpNotSupp"}, "outcome ERROR"),
        ({"files": "many"}, "files"),
        ({"cancelSeconds": True}, "cancelSeconds"),
    ],
)
def test_a_bad_execution_script_is_rejected_naming_what_is_wrong(script: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        ExecutionScript.from_dict(script)


# -- CloudWatch Logs ------------------------------------------------------------------------------------------


ALL_KINDS = {
    "phases": [
        {"status": "LAUNCHING", "seconds": 20},
        {"status": "PREPARING", "seconds": 120},
        {"status": "TRANSFERRING", "seconds": 3000},
        {"status": "VERIFYING", "seconds": 600},
    ],
    "files": 100,
    "bytes": 10_000,
    "failedFiles": [
        {"path": "/reports/q3.xlsx", "kind": "checksum"},
        {"path": "/reports/q4.xlsx", "kind": "metadata"},
        {"path": "/old/extra.txt", "kind": "only_at_destination"},
        {"path": "/tmp/scratch.bin", "kind": "destination_vanished"},
        {"path": "/src/gone.csv", "kind": "source_vanished"},
        {"path": "/secret/plan.pdf", "kind": "access_denied"},
        {"path": "/big.iso", "kind": "transfer_failed"},
        {"path": "/huge.iso", "kind": "transfer_failed", "reason": "Host is down"},
    ],
}
META = r"type=R mode=0\d{3} uid=\d+ gid=\d+ size=(\d+) atime=\d+/\d+ mtime=(\d+/\d+) extAttrsHash=0"


def basic_task(world: World, script: dict[str, Any]) -> str:
    return world.task(script, CloudWatchLogGroupArn=LOG_GROUP_ARN, Options={"LogLevel": "BASIC"})


def test_basic_mode_logs_each_failed_file_in_datasync_s_own_words(world: World) -> None:
    world.start(basic_task(world, ALL_KINDS))
    world.settle()

    events = world.log_events()
    assert len({event["logStreamName"] for event in events}) == 1
    transfer_window, verify_window = (epoch_ms(140), epoch_ms(3140)), (epoch_ms(3140), epoch_ms(3740))
    lines = [event["message"] for event in events]
    assert lines[:4] == [
        "[ERROR] Failed to open source file /src/gone.csv: No such file or directory",
        "[WARN] Failed to read metadata for file /secret/plan.pdf: S3 Head Object Failed",
        "[ERROR] Failed to transfer file /big.iso: Connection reset by peer",
        "[ERROR] Failed to transfer file /huge.iso: Host is down",
    ]
    assert all(transfer_window[0] < event["timestamp"] < transfer_window[1] for event in events[:4])
    assert all(verify_window[0] < event["timestamp"] < verify_window[1] for event in events[4:])

    checksum, metadata = lines[4:9], lines[9:14]
    assert checksum[0] == "[NOTICE] Verification failed <> /reports/q3.xlsx"
    source = re.fullmatch(rf"\[NOTICE\] /reports/q3\.xlsx   srcMeta: {META}", checksum[1])
    destination = re.fullmatch(rf"\[NOTICE\] /reports/q3\.xlsx   dstMeta: {META}", checksum[3])
    assert source and destination
    assert source.groups() != destination.groups()  # other size and mtime
    assert re.fullmatch(r"\[NOTICE\]   srcHash: [0-9a-f]{64}", checksum[2])
    assert re.fullmatch(r"\[NOTICE\]   dstHash: [0-9a-f]{64}", checksum[4])
    assert checksum[2].split()[-1] != checksum[4].split()[-1]

    assert metadata[0] == "[NOTICE] Verification failed <> /reports/q4.xlsx"
    source = re.fullmatch(rf"\[NOTICE\] /reports/q4\.xlsx   srcMeta: {META}", metadata[1])
    destination = re.fullmatch(rf"\[NOTICE\] /reports/q4\.xlsx   dstMeta: {META}", metadata[3])
    assert source and destination
    assert source.group(1) == destination.group(1) and source.group(2) != destination.group(2)
    assert metadata[2].split()[-1] == metadata[4].split()[-1]  # same content

    only_at_destination = lines[14:17]
    assert only_at_destination[0] == "[NOTICE] Verification failed > /old/extra.txt"
    assert re.fullmatch(rf"\[NOTICE\] /old/extra\.txt   dstMeta: {META}", only_at_destination[1])
    assert re.fullmatch(r"\[NOTICE\]   dstHash: [0-9a-f]{64}", only_at_destination[2])

    vanished = lines[17:]
    assert vanished[0] == "[NOTICE] Verification failed <> /tmp/scratch.bin"
    assert vanished[3].startswith("[NOTICE] /tmp/scratch.bin   dstMeta: type=R ")
    assert vanished[3].endswith(" size=0 atime=0/0 mtime=0/0 extAttrsHash=0")
    assert vanished[4] == "[NOTICE]   dstHash: " + "0" * 64


def test_log_lines_appear_at_the_virtual_moment_their_failure_happens(world: World) -> None:
    script = {**ALL_KINDS, "failedFiles": [{"path": f"/changed/{n}.txt", "kind": "checksum"} for n in range(4)]}
    execution = world.start(basic_task(world, script))

    world.advance(3140 + 300)  # halfway through VERIFYING: two of four failures so far (at 120 s and 240 s)
    assert [line for line in (event["message"] for event in world.log_events()) if "Verification failed" in line] == [
        "[NOTICE] Verification failed <> /changed/0.txt",
        "[NOTICE] Verification failed <> /changed/1.txt",
    ]

    world.datasync.cancel_task_execution(TaskExecutionArn=execution)  # the other two never happen
    world.settle()
    assert len(world.log_events()) == 10


def test_enhanced_mode_logs_one_json_event_per_failed_file(world: World) -> None:
    world.logs.create_log_group(logGroupName="/aws/datasync")
    source, destination = world.location("source"), world.location("destination")
    script = {
        **ALL_KINDS,
        "failedFiles": [
            {"path": "/directory1/directory2/file1.txt", "kind": "only_at_destination"},
            {"path": "/reports/q4.xlsx", "kind": "metadata"},
            {"path": "/reports/q3.xlsx", "kind": "checksum"},
            {"path": "/secret/plan.pdf", "kind": "access_denied"},
        ],
    }
    task = world.task(
        script,
        TaskMode="ENHANCED",
        SourceLocationArn=source,
        DestinationLocationArn=destination,
        Options={"LogLevel": "BASIC"},
    )
    execution = world.start(task)
    world.settle()

    lines = [event["message"] for event in world.log_events("/aws/datasync")]
    records = [json.loads(line) for line in lines]
    source_id, destination_id = source.rsplit("/", 1)[1], destination.rsplit("/", 1)[1]
    assert records[1] == {
        "Action": "VERIFY",
        "Source": {"LocationId": source_id, "RelativePath": "directory1/directory2/file1.txt"},
        "Destination": {"LocationId": destination_id, "RelativePath": "directory1/directory2/file1.txt"},
        "ErrorCode": "FileNotAtSource",
        "ErrorDetail": "Verification failed due to file being present at the destination but not at the source",
    }
    assert lines[1].startswith('{"Action":"VERIFY","Source":{"LocationId":')  # compact, as DataSync writes it
    assert [(record["Action"], record["ErrorCode"]) for record in records] == [
        ("TRANSFER", "AccessDenied"),
        ("VERIFY", "FileNotAtSource"),
        ("VERIFY", "MetadataDiffers"),
        ("VERIFY", records[3]["ErrorCode"]),
    ]
    described = world.describe(execution)
    assert described["FilesFailed"] == {"Prepare": 0, "Transfer": 1, "Verify": 3, "Delete": 0}
    assert (described["FilesPrepared"], described["FilesListed"]) == (
        100,
        {"AtSource": 100, "AtDestinationForDelete": 0},
    )
    assert described["Result"] == {
        "PrepareStatus": "SUCCESS",
        "PrepareDuration": 0,
        "TransferStatus": "SUCCESS",
        "TransferDuration": 0,
        "VerifyStatus": "SUCCESS",
        "VerifyDuration": 0,
        "TotalDuration": 0,
    }


def test_read_and_write_errors_are_logged_while_transferring_in_both_modes(world: World) -> None:
    world.logs.create_log_group(logGroupName="/aws/datasync")
    script = {
        **ALL_KINDS,
        "failedFiles": [
            {"path": "/mnt/broken dir", "kind": "read_error"},
            {"path": "/xattrs/file.bin", "kind": "write_error"},
        ],
    }
    basic = world.start(basic_task(world, script))
    enhanced = world.start(world.task(script, TaskMode="ENHANCED", Options={"LogLevel": "BASIC"}))
    world.settle()

    transfer_window = (epoch_ms(140), epoch_ms(3140))
    basic_events = world.log_events()
    assert [event["message"] for event in basic_events] == [
        "[ERROR] Failed to read metadata for directory /mnt/broken dir: No data available",
        '[ERROR] Deferred error: WriteFileExtAttr2 failed to setextattrlist(filename="/xattrs/file.bin"): '
        "Operation not supported",
    ]
    enhanced_events = world.log_events("/aws/datasync")
    assert all(transfer_window[0] < event["timestamp"] < transfer_window[1] for event in basic_events)
    assert all(transfer_window[0] < event["timestamp"] < transfer_window[1] for event in enhanced_events)
    records = [json.loads(event["message"]) for event in enhanced_events]
    assert [(record["Action"], record["Source"]["RelativePath"]) for record in records] == [
        ("TRANSFER", "mnt/broken dir"),
        ("TRANSFER", "xattrs/file.bin"),
    ]
    assert [record["ErrorCode"] for record in records] == ["SourceReadError", "DestinationWriteError"]
    assert "read" in records[0]["ErrorDetail"] and "write" in records[1]["ErrorDetail"]
    assert world.describe(enhanced)["FilesFailed"] == {"Prepare": 0, "Transfer": 2, "Verify": 0, "Delete": 0}
    assert world.describe(basic)["Status"] == "SUCCESS"


def test_nothing_is_logged_when_logging_is_off_or_the_group_does_not_exist(world: World) -> None:
    silent = world.task(ALL_KINDS, CloudWatchLogGroupArn=LOG_GROUP_ARN)  # the API's default LogLevel is OFF
    missing_group = world.task(
        ALL_KINDS,
        Options={"LogLevel": "TRANSFER"},
        CloudWatchLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/nowhere",
    )
    no_group = world.task(ALL_KINDS, Options={"LogLevel": "BASIC"})
    executions = [world.start(task) for task in (silent, missing_group, no_group)]
    world.settle()

    assert [world.describe(arn)["Status"] for arn in executions] == ["SUCCESS"] * 3
    assert world.logs.describe_log_streams(logGroupName=LOG_GROUP)["logStreams"] == []
    assert [group["logGroupName"] for group in world.logs.describe_log_groups()["logGroups"]] == [LOG_GROUP]


def test_a_hostile_file_name_is_written_verbatim(world: World) -> None:
    world.logs.create_log_group(logGroupName="/aws/datasync")
    name = '/Ünïcödé dir/<>|*`$(rm -rf ~)` "quoted"\nsecond line\t.txt'
    script = {**ALL_KINDS, "failedFiles": [{"path": name, "kind": "checksum"}]}
    world.start(basic_task(world, script))
    world.start(world.task(script, TaskMode="ENHANCED", Options={"LogLevel": "BASIC"}))
    world.settle()

    basic = [event["message"] for event in world.log_events()]
    assert basic[0] == f"[NOTICE] Verification failed <> {name}"
    assert basic[1].startswith(f"[NOTICE] {name}   srcMeta: ")
    enhanced = json.loads(world.log_events("/aws/datasync")[0]["message"])
    assert enhanced["Source"]["RelativePath"] == name[1:]


def test_thousands_of_failed_files_cost_a_few_clock_advances(world: World) -> None:
    script = {**ALL_KINDS, "failedFiles": [{"path": f"/changed/{n:05}.txt", "kind": "metadata"} for n in range(800)]}
    world.start(basic_task(world, script))

    advances = world.settle()

    assert advances <= 20
    assert len(world.log_events()) == 800 * 5


def test_log_events_stamped_outside_the_logs_backend_window_fail_loudly() -> None:
    clock = VirtualClock(start=datetime(2020, 1, 1, tzinfo=UTC))  # moto left on real time this time
    emulator = DataSyncEmulator(clock, logs_client_factory=lambda: boto3.client("logs", region_name=REGION))
    clock.attach(emulator)
    aws_hooks.serve("datasync", emulator.handle)
    try:
        with mock_aws():
            boto3.client("logs", region_name=REGION).create_log_group(logGroupName=LOG_GROUP)
            world = World(clock, emulator, boto3.client("datasync", region_name=REGION), None)
            world.start(basic_task(world, ALL_KINDS))
            with pytest.raises(RuntimeError, match="rejected"):
                world.settle()
    finally:
        aws_hooks.stop("datasync")


def test_log_writes_respect_cloudwatch_s_limits_per_call() -> None:
    calls: list[list[dict[str, Any]]] = []

    class RecordingLogs:
        def create_log_stream(self, **_: Any) -> dict[str, Any]:
            return {}

        def put_log_events(self, logEvents: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
            calls.append(logEvents)
            return {}

    day_ms = 24 * 3600 * 1000
    many = [(0, "[NOTICE] line")] * 10_001
    write_events(
        RecordingLogs(),
        LogStream("/g", "s"),
        [*many, (day_ms + 1, "a day later"), (day_ms + 2, "x" * 600_000), (day_ms + 3, "y" * 600_000)],
    )

    assert [len(batch) for batch in calls] == [10_000, 1, 2, 1]


def test_two_tasks_can_log_to_one_group_at_once_each_execution_in_its_own_stream(world: World) -> None:
    script = {**ALL_KINDS, "failedFiles": [{"path": "/reports/q3.xlsx", "kind": "checksum"}]}
    first = world.start(basic_task(world, script))
    second = world.start(basic_task(world, script))
    world.settle()

    streams = {event["logStreamName"] for event in world.log_events()}
    # Stream naming is not documented; by default each stream is named after its execution.
    assert streams == {f"aws-datasync-{execution.rsplit('/', 1)[1]}" for execution in (first, second)}


def test_stream_names_that_name_no_execution_can_be_chosen(world: World) -> None:
    world.emulator.log_stream_names = "unnamed"
    script = {**ALL_KINDS, "failedFiles": [{"path": "/reports/q3.xlsx", "kind": "checksum"}]}
    world.start(basic_task(world, script))
    world.settle()

    (stream,) = {event["logStreamName"] for event in world.log_events()}
    assert "exec-" not in stream


def test_a_failure_datasync_counts_need_not_reach_the_logs(world: World) -> None:
    script = {
        **ALL_KINDS,
        "failedFiles": [
            {"path": "/clips/intro.mov", "kind": "checksum"},
            {"path": "/clips/outro.mov", "kind": "checksum", "logged": False},
        ],
    }
    world.logs.create_log_group(logGroupName="/aws/datasync")
    execution = world.start(world.task(script, TaskMode="ENHANCED", Options={"LogLevel": "BASIC"}))
    world.settle()

    assert world.describe(execution)["FilesFailed"]["Verify"] == 2
    assert ["outro.mov" in event["message"] for event in world.log_events("/aws/datasync")] == [False]


# -- agents: ONLINE or OFFLINE, and a task that uses an offline agent is UNAVAILABLE ------------------


def _agent_location(world: World, name: str = "render-agent") -> tuple[str, str]:
    agent: str = world.datasync.create_agent(ActivationKey="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", AgentName=name)["AgentArn"]
    nfs: str = world.datasync.create_location_nfs(
        ServerHostname="render.example.internal", Subdirectory="/frames", OnPremConfig={"AgentArns": [agent]}
    )["LocationArn"]
    return agent, nfs


def test_an_activated_agent_is_online_and_an_unknown_one_is_refused(world: World) -> None:
    agent, _ = _agent_location(world)
    described = world.datasync.describe_agent(AgentArn=agent)
    assert (described["Name"], described["Status"]) == ("render-agent", "ONLINE")
    with pytest.raises(ClientError, match="InvalidRequestException"):
        world.datasync.describe_agent(AgentArn=f"arn:aws:datasync:{REGION}:{ACCOUNT}:agent/agent-0fffffffffffffff0")
    with pytest.raises(ClientError, match="ActivationKey"):
        world.datasync.create_agent(ActivationKey="not-a-key")


def test_a_task_whose_agent_goes_offline_is_unavailable_until_it_is_back(world: World) -> None:
    agent, nfs = _agent_location(world)
    task = world.task(SourceLocationArn=nfs)
    other = world.task()  # S3 to S3: no agent
    assert world.task_status(task) == "AVAILABLE"
    world.emulator.set_agent_status(agent, "OFFLINE", at(600))
    world.advance(599)
    assert world.task_status(task) == "AVAILABLE"
    world.advance(1)
    assert world.datasync.describe_agent(AgentArn=agent)["Status"] == "OFFLINE"
    assert world.task_status(task) == "UNAVAILABLE"
    assert {t["TaskArn"]: t["Status"] for t in world.datasync.list_tasks()["Tasks"]} == {
        task: "UNAVAILABLE",
        other: "AVAILABLE",
    }
    world.emulator.set_agent_status(agent, "ONLINE", world.clock.now())
    assert world.task_status(task) == "AVAILABLE"
