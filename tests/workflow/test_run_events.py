"""Runs and batches tell other systems when they start and end: events on the stack's bus that
match the schemas the stack publishes (docs/events.md), whatever way the run ended."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.workflow.conftest import run

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "event-schemas"


def _validator(detail_type: str) -> jsonschema.Draft4Validator:
    schema = json.loads((SCHEMAS / (detail_type.lower().replace(" ", "-") + ".json")).read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _valid(events: list[dict[str, Any]]) -> list[str]:
    for event in events:
        errors = sorted(_validator(event["detail-type"]).iter_errors(event), key=str)
        assert not errors, f"{event['detail-type']}: {[error.message for error in errors]}"
    return [event["detail-type"] for event in events]


def test_a_nightly_batch_tells_its_start_its_runs_and_its_end() -> None:
    summary = run("nightly-success")
    assert _valid(summary["bus_events"]) == ["Batch Started", "Sync Run Started", "Sync Run Ended", "Batch Ended"]
    ended = summary["bus_events"][2]["detail"]
    assert ended["verdict"]["status"] == "SUCCEEDED"
    assert ended["counters"]["filesTransferred"] == 12000
    assert ended["messageId"] is not None


def test_a_run_with_failed_files_counts_them_by_category_and_points_at_the_failure_report() -> None:
    summary = run("task-report-failures")
    ended = next(event for event in summary["bus_events"] if event["detail-type"] == "Sync Run Ended")
    _valid(summary["bus_events"])
    assert ended["detail"]["verdict"]["status"] == "FAILED"
    failures = ended["detail"]["failures"]
    assert failures["total"] > 0 and sum(failures["byCategory"].values()) == failures["total"]
    assert failures["report"].startswith("s3://")


def test_a_rejected_request_ends_without_having_started() -> None:
    summary = run("bad-input")
    assert _valid(summary["bus_events"]) == ["Sync Run Ended"]
    assert summary["bus_events"][0]["detail"]["verdict"]["status"] == "FAILED"


@pytest.mark.parametrize("name", ["hostile-names"])
def test_untrusted_names_reach_the_bus_bounded_and_on_one_line(name: str) -> None:
    summary = run(name)
    _valid(summary["bus_events"])
    for event in summary["bus_events"]:
        text = json.dumps(event["detail"], ensure_ascii=False)
        assert "\u202e" not in text and "\u0085" not in text


def test_a_schedule_firing_names_its_schedule_in_every_event() -> None:
    summary = run("firing-digest")
    events = summary["bus_events"]
    _valid(events)
    assert {event["detail"]["firing"]["schedule"] for event in events} == {events[0]["detail"]["firing"]["schedule"]}


def test_an_event_bus_that_refuses_the_event_changes_neither_the_verdict_nor_the_message() -> None:
    # A bus name the account does not have: PutEvents fails the entry.
    summary = run("nightly-success", parameters={"EventBusName": "no-such-bus"})
    assert summary["status"] == "SUCCEEDED"
    assert summary["bus_events"] == []
    assert summary["output"]["messageId"] is not None
    assert summary["history"][0]["status"] == "SUCCEEDED"


def test_an_eventbridge_outage_changes_neither_the_verdict_nor_the_message() -> None:
    summary = run(
        "nightly-success", faults=[{"api": "events:PutEvents", "error": "ServiceUnavailable", "calls": "all"}]
    )
    assert summary["status"] == "SUCCEEDED"
    assert summary["bus_events"] == []
    assert summary["output"]["messageId"] is not None
    # Four events, each tried twice (the events client's attempts) and then given up.
    assert [fault["call"] for fault in summary["faults_injected"]] == list(range(1, 9))
