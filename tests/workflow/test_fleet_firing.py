"""A named schedule fires: its listed tasks and every task tagged for it run as one batch, nothing
runs on a skip date, and more than 40 tasks run at once when the schedule asks for it."""

from functools import cache
from typing import Any

from tests.workflow.conftest import run
from tests.workflow.test_batch_workflow import batch_messages, most_at_once


@cache
def fleet_firing() -> dict[str, Any]:
    return run("fleet-firing")


def test_a_firing_runs_the_listed_tasks_and_the_ones_tagged_for_its_schedule_each_once() -> None:
    summary = fleet_firing()

    assert summary["status"] == "SUCCEEDED"
    children = summary["batch"]["children"]
    # finance-share and photo-archive are listed; render-farm is only tagged; hr-records is tagged
    # for another schedule. photo-archive is listed and tagged: it runs once, with its listed request.
    assert [child["name"] for child in children] == [f"fleet-firing-run-1-{index}" for index in range(3)]
    requests = [child["input"] for child in children]
    assert [set(request) for request in requests] == [
        {"taskArn", "excludes", "firing"},
        {"taskArn", "includes", "firing"},
        {"taskArn", "firing"},
    ]
    # Each run knows its firing: the schedule and the time it fired for.
    assert {(r["firing"]["schedule"], r["firing"]["scheduledTime"]) for r in requests} == {
        ("nightly", "2026-11-22T00:00:00Z")
    }
    assert requests[1]["includes"] == "/2026/*"
    assert len({request["taskArn"] for request in requests}) == 3
    # One message for the firing: its digest (every run succeeded, so none sent its own).
    (message,) = summary["notifications"]
    assert message == batch_messages(summary)[0]
    assert message["subject"] == "DataSync nightly: 3 of 3 tasks succeeded"
    assert "hr-records" not in message["message"]
    # The schedule's maxConcurrency reached the Map.
    assert summary["output"]["maxConcurrency"] == 2
    assert most_at_once(summary["executions"]) == 2


def test_a_firing_on_a_skip_date_in_the_schedules_time_zone_starts_nothing_and_says_so_once() -> None:
    # 23:30 UTC on 24 December is already the 25th in Berlin, a skip date of the schedule.
    summary = run("fleet-firing", scheduledTime="2026-12-24T23:30:00Z")

    assert summary["status"] == "SUCCEEDED"
    assert summary["output"]["verdict"]["error"] == "Batch.Skipped"
    assert summary["executions"] == [] and summary["batch"]["children"] == []
    assert "Run Tasks" not in summary["states_entered"]
    (message,) = summary["notifications"]
    assert message["subject"] == "DataSync batch: skipped today"
    assert "2026-12-25 is a skip date of schedule nightly (in Europe/Berlin)" in message["message"]


def test_the_day_before_a_skip_date_in_utc_is_not_skipped_when_it_is_not_one_locally() -> None:
    # 23:30 UTC on 25 December is the 26th in Berlin: the schedule runs.
    summary = run("fleet-firing", scheduledTime="2026-12-25T23:30:00Z")

    assert summary["status"] == "SUCCEEDED"
    assert len(summary["batch"]["children"]) == 3


def test_a_schedule_that_looks_for_tasks_in_a_region_the_stack_is_not_set_up_for_is_refused_by_name() -> None:
    schedule = {"name": "nightly", "expression": "cron(0 1 * * ? *)", "selectByTag": True, "regions": ["eu-west-1"]}
    summary = run("fleet-firing", schedule=schedule)

    assert (summary["status"], summary["error"]) == ("FAILED", "InvalidBatchRequest")
    assert (
        "schedule nightly: regions: the stack is set up for us-east-1, not eu-west-1: deploy member/template.yaml"
        in summary["cause"]
    )
    assert summary["executions"] == []


def sixty_tasks() -> list[dict[str, Any]]:
    return [
        {
            "name": f"share-{index:02d}",
            "source": {"type": "NFS", "server": "files.example.internal", "subdirectory": f"/share-{index:02d}"},
            "destination": {"type": "S3", "bucket": "fleet-archive"},
            "options": {"LogLevel": "BASIC"},
            "logGroup": "/aws/datasync/fleet",
            "executions": [
                {
                    "phases": [
                        {"status": "LAUNCHING", "seconds": 20},
                        {"status": "TRANSFERRING", "seconds": 600 + 10 * index},
                        {"status": "VERIFYING", "seconds": 30},
                    ],
                    "outcome": "SUCCESS",
                    "files": 10,
                    "bytes": 1048576,
                }
            ],
        }
        for index in range(60)
    ]


def test_sixty_tasks_at_fifty_at_a_time_really_run_fifty_at_once() -> None:
    summary = run("nightly-batch", trigger="manual", maxConcurrency=50, tasks=sixty_tasks())

    assert summary["status"] == "SUCCEEDED"
    assert summary["output"]["counts"] == {"tasks": 60, "succeeded": 60, "failed": 0}
    # Beyond Inline Map's 40: in virtual time, fifty DataSync executions run at the same moment,
    # never more; the other ten start as the first ones end.
    assert most_at_once(summary["executions"]) == 50
    assert len(summary["executions"]) == 60
    # One line per task in the result, each run by its own SyncWorkflow execution.
    assert len(summary["batch"]["children"]) == 60


def test_a_firings_runs_end_on_their_schedules_deadline_not_the_stacks() -> None:
    schedule = {
        "name": "nightly",
        "expression": "cron(0 1 * * ? *)",
        "timezone": "Europe/Berlin",
        "selectByTag": True,
        "maxConcurrency": 3,
        "runDeadlineSeconds": 1200,
    }
    # The stack's own deadline is a day: only the schedule's 20 minutes can stop a run here.
    summary = run("fleet-firing", schedule=schedule, parameters={"RunDeadlineSeconds": "86400"})

    requests = {child["name"]: child["input"] for child in summary["batch"]["children"]}
    assert {request["runDeadlineSeconds"] for request in requests.values()} == {1200}
    outcomes = {child["name"]: (child["status"], child.get("error")) for child in summary["batch"]["children"]}
    # finance-share (32 min) and photo-archive (65 min) outlive 20 minutes; render-farm (16 min) does not.
    assert sorted(outcomes.values()) == [
        ("FAILED", "Watchdog.RunDeadline"),
        ("FAILED", "Watchdog.RunDeadline"),
        ("SUCCEEDED", None),
    ]
    for execution in summary["executions"]:
        phases = [mark["phase"] for mark in execution["phases"]]
        assert ("CANCELLING" in phases) == (phases[-1] == "ERROR")
    # Each run's line of history names the firing it belongs to (`history --schedule nightly`).
    assert {(line["schedule"], line["scheduledTime"]) for line in summary["history"]} == {
        ("nightly", "2026-11-22T00:00:00Z")
    }
    assert len(summary["history"]) == 3
    # And the schedule's own series on the dashboard: two failed runs and one that succeeded.
    by_schedule = [
        metric["emf"]
        for metric in summary["metrics"]
        if metric["function"] == "ReportRunFunction" and metric["emf"].get("Schedule") == "nightly"
    ]
    assert sorted((document["RunsFailed"][0], document["RunsSucceeded"][0]) for document in by_schedule) == [
        (0, 1),
        (1, 0),
        (1, 0),
    ]
