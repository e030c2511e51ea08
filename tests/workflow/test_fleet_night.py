"""One night of a fleet (events/scenarios/fleet-night.json): three named schedules fire once each,
their tasks found by tag in two Regions and two accounts, one of them without a forwarder. What a
user checks the next morning: one digest per firing naming its failures, the failed task's files
itemised from its own account's logs, and every run ended, the unforwarded ones by the fallback check.
Before the window, one preflight message named the task whose agent was offline."""

import json
import re
from functools import cache
from typing import Any

import pytest

from emulator.scenario import SCENARIO_DIR, ScenarioError, parse_scenario
from emulator.stack import ACCOUNT_ID, REGION
from tests.workflow.conftest import run

MEMBER = "222222222222"
BERLIN = "eu-central-1"
SCHEDULES = ("finance-nightly", "render-farm", "archives-weekly")


@cache
def fleet_night() -> dict[str, Any]:
    return run("fleet-night")


def digests(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The firings' digests, by schedule (a digest's subject is `DataSync SCHEDULE: N of M tasks ...`)."""
    found: dict[str, dict[str, Any]] = {}
    for message in summary["notifications"]:
        for schedule in SCHEDULES:
            if message["subject"].startswith(f"DataSync {schedule}: ") and " of " in message["subject"]:
                assert schedule not in found, f"a second digest for {schedule}"
                found[schedule] = message
    return found


def attributes(notification: dict[str, Any]) -> dict[str, str]:
    return {name: value["Value"] for name, value in notification["attributes"].items()}


def task_of(arn: str) -> str:
    """The task of a task or execution ARN: `task-<17 hex>`."""
    return arn.split(":task/")[1].split("/")[0]


def place(execution: dict[str, Any]) -> tuple[str, str]:
    region, account = execution["executionArn"].split(":")[3:5]
    return region, account


def test_each_firing_sends_one_digest_that_names_its_failures() -> None:
    summary = fleet_night()

    by_schedule = digests(summary)
    assert set(by_schedule) == set(SCHEDULES)
    assert by_schedule["finance-nightly"]["subject"] == "DataSync finance-nightly: 1 of 2 tasks succeeded, 1 FAILED"
    assert by_schedule["render-farm"]["subject"] == "DataSync render-farm: 2 of 2 tasks succeeded"
    assert by_schedule["archives-weekly"]["subject"] == "DataSync archives-weekly: 2 of 2 tasks succeeded"
    # The failed task is the member account's invoices-share, in Berlin: the digest names it.
    (failed,) = [e for e in summary["executions"] if e["status"] == "ERROR"]
    assert place(failed) == (BERLIN, MEMBER)
    failed_task = failed["executionArn"].split("/")[1]
    assert f"FAILED    {failed_task}: DataSync.ExecutionError" in by_schedule["finance-nightly"]["message"]
    # The firings' verdicts: the finance one failed, the other two succeeded.
    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.TasksFailed")
    assert [other["status"] for other in summary["other_runs"]] == ["SUCCEEDED", "SUCCEEDED"]


def test_the_failed_task_in_the_member_account_has_its_files_itemised_from_that_accounts_logs() -> None:
    summary = fleet_night()

    (own,) = [m for m in summary["notifications"] if m["subject"].startswith("DataSync invoices-share: ")]
    # perTask problems: the failure also sends its own message, with the files its logs list.
    assert "Files that failed: 1 (0 a rerun can fix, 1 it cannot)" in own["message"]
    assert "metadata_mismatch: 1" in own["message"]
    assert "/invoices/2026-11 <draft>.pdf" in own["message"]


def test_runs_happen_in_each_region_and_account_and_the_fallback_ends_the_unforwarded_ones() -> None:
    summary = fleet_night()

    executions = summary["executions"]
    # ledger-share and hr-records at home, invoices-share in the member's Berlin, the two render
    # tasks in the stack's own account's Berlin, photo-archive in the member's us-east-1.
    assert sorted(place(e) for e in executions) == sorted(
        [
            (REGION, ACCOUNT_ID),
            (REGION, ACCOUNT_ID),
            (BERLIN, MEMBER),
            (BERLIN, ACCOUNT_ID),
            (BERLIN, ACCOUNT_ID),
            (REGION, MEMBER),
        ]
    )
    assert all(e["startedByWorkflow"] for e in executions)
    for execution in executions:
        heard = execution["recorded"]["eventStatuses"]
        if place(execution) == (BERLIN, ACCOUNT_ID):
            # No member stack forwards this place's events: the run ended on the fallback check.
            assert heard == [], execution["executionArn"]
            assert execution["status"] == "SUCCESS"
        else:
            assert heard, f"the forwarded events of {execution['executionArn']} reached the stack"
    render = summary["other_runs"][0]["output"]
    assert render["counts"] == {"tasks": 2, "succeeded": 2, "failed": 0}


def test_preflight_names_the_task_whose_agent_is_offline_once_before_the_window() -> None:
    summary = fleet_night()

    # The check at 23:35 is inside finance-nightly's 30-minute lead; the one at 23:40 sends nothing more.
    assert summary["health_checks"] == [
        {"at": "2026-11-21T23:35:00+00:00", "published": ["preflight#finance-nightly#2026-11-22T00:00:00Z"]},
        {"at": "2026-11-21T23:40:00+00:00", "published": []},
    ]
    preflights = [m for m in summary["notifications"] if attributes(m)["kind"] == "preflight"]
    (preflight,) = preflights
    assert summary["notifications"][0] is preflight, "the preflight message comes before the window's messages"
    assert attributes(preflight)["schedule"] == "finance-nightly"
    assert attributes(preflight)["severity"] == "error"
    assert (
        preflight["subject"] == "DataSync finance-nightly: 1 task(s) will FAIL at the Sun 2026-11-22 01:00 CET firing"
    )
    # It looked at both of the schedule's tasks, the member account's Berlin one too, and names one
    # task of the stack's own Region and account: ledger-share, whose agent is offline.
    assert "Preflight looked at the 2 task(s) the schedule resolves to now" in preflight["message"]
    (finding,) = [line for line in preflight["message"].splitlines() if line.startswith("  WILL FAIL")]
    assert "is UNAVAILABLE: an agent it uses is offline" in finding
    (offline_arn,) = re.findall(r"arn:aws:datasync:\S+:task/task-[0-9a-f]{17}", finding)
    assert offline_arn.split(":")[3:5] == [REGION, ACCOUNT_ID]
    # Someone restarted the agent's VM at 23:45: the firing ran the task as usual.
    (run_of_it,) = [e for e in summary["executions"] if task_of(e["executionArn"]) == task_of(offline_arn)]
    assert run_of_it["status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"forwarders": [{"region": "eu-west-1"}]}, "forwarders[0]: no task of the scenario lives in eu-west-1"),
        ({"forwarders": [{"region": BERLIN, "account": 222}]}, "forwarders[0].account: expected a 12-digit"),
        ({"firings": [{"schedule": "weekly", "scheduledTime": "2026-11-29T00:00:00Z"}]}, "firings[0].schedule"),
    ],
)
def test_a_scenario_that_names_a_place_or_schedule_it_does_not_have_is_refused_by_field(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        run("fleet-night", **change)


def test_a_task_account_that_is_not_an_account_id_is_refused_by_field() -> None:
    raw = json.loads((SCENARIO_DIR / "fleet-night.json").read_text(encoding="utf-8"))
    raw["tasks"][1]["account"] = "member"
    with pytest.raises(ScenarioError, match=r"tasks\[1\]\.account: expected a 12-digit AWS account ID"):
        parse_scenario("fleet-night", raw)
