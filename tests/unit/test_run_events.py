"""What a run's and a batch's events say, and that an event never costs a run its verdict."""

from __future__ import annotations

import json

import jsonschema
import pytest

from datasync_scheduler.ports import NotEmitted
from datasync_scheduler.workflow import events
from tests.fakes import FakeEventBus

pytestmark = pytest.mark.unit

TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
RUN = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-x:run-1"


def _result(**changes: object) -> dict[str, object]:
    return {
        "taskArn": TASK,
        "taskName": "nightly\u202earchive\nforged line",
        "executionArn": f"{TASK}/execution/exec-0123456789abcdef0",
        "workflowExecution": RUN,
        "verdict": {"status": "FAILED", "error": "DataSync.ExecutionError", "reason": "boom " * 1000},
        "counters": {"filesTransferred": 3, "bytesTransferred": 10, "somethingNew": 1},
        "failures": {
            "available": True,
            "totalFailures": 2,
            "byCategory": {"checksum": 1, "access_denied": 1},
            "report": {"bucket": "reports", "key": "failure-reports/task/exec.jsonl"},
            "examples": {"checksum": ["/a" * 5000]},
        },
        "attempts": [{}, {}],
        **changes,
    }


def test_a_run_end_counts_failures_by_category_and_keeps_file_names_out() -> None:
    detail = events.run_ended(_result(), message_id="m-1", firing=None, ended_at="2026-11-22T07:00:00Z")
    assert detail.failures is not None
    assert (detail.failures.total, detail.failures.by_category) == (2, {"checksum": 1, "access_denied": 1})
    assert detail.failures.report == "s3://reports/failure-reports/task/exec.jsonl"
    assert "/a/a" not in detail.model_dump_json()
    assert detail.attempts == 2


def test_untrusted_text_is_one_visible_line_and_bounded() -> None:
    detail = events.run_ended(_result(), message_id=None, firing=None, ended_at="2026-11-22T07:00:00Z")
    assert detail.task_name == "nightly\\u202earchive\\nforged line"
    assert len(detail.verdict.reason) == events.TEXT_MAX and detail.verdict.reason.endswith("…")


def test_every_detail_built_from_a_result_matches_its_published_schema() -> None:
    entry = events.entry(
        events.run_ended(_result(), message_id=None, firing=None, ended_at="2026-11-22T07:00:00Z"), resources=[TASK]
    )
    event = {
        "version": "0",
        "id": "1",
        "detail-type": entry.detail_type,
        "source": entry.source,
        "account": "123456789012",
        "time": "2026-11-21T23:00:00Z",
        "region": "us-east-1",
        "resources": list(entry.resources),
        "detail": json.loads(entry.detail),
    }
    jsonschema.validate(event, events.event_schema(events.RUN_ENDED), cls=jsonschema.Draft4Validator)


def test_an_entry_over_what_putevents_takes_is_refused_before_the_call() -> None:
    with pytest.raises(ValueError, match="PutEvents takes at most"):
        events.entry(
            events.run_ended(_result(), message_id=None, firing=None, ended_at="2026-11-22T07:00:00Z"),
            resources=["arn:" + "x" * 300_000],
        )


def test_a_bus_that_refuses_the_event_is_logged_and_nothing_is_raised() -> None:
    bus = FakeEventBus()
    bus.failures.append(NotEmitted("ThrottlingException: Rate exceeded"))
    detail = events.run_ended(_result(), message_id=None, firing=None, ended_at="2026-11-22T07:00:00Z")
    assert events.emit(bus, detail, resources=[TASK]) == "ThrottlingException: Rate exceeded"
    assert events.emit(bus, detail, resources=[TASK]) is None
    assert [event["detail-type"] for event in bus.events] == ["Sync Run Ended"]


def test_an_eventbridge_that_does_not_answer_costs_a_step_less_than_its_lambda_timeout() -> None:
    # Every function that puts events runs with the template's global Timeout; a PutEvents that hangs
    # must give up well before it, or the step would time out and the run fail for an event.
    from pathlib import Path

    import yaml

    from datasync_scheduler.adapters.aws_clients import SERVICE_TOTAL_ATTEMPTS, config

    class _Loader(yaml.SafeLoader):
        pass

    _Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((Path(__file__).resolve().parents[2] / "template.yaml").read_text(), Loader=_Loader)
    timeout = int(template["Globals"]["Function"]["Timeout"])
    client = config("events")
    attempts = SERVICE_TOTAL_ATTEMPTS["events"]
    # botocore's standard back-off before attempt n+1: at most min(2**(n-1), 20) s, plus up to 5 s
    # when the answer carries a retry-after header.
    backoff = sum(min(2 ** (n - 1), 20) + 5 for n in range(1, attempts))
    worst = attempts * (client.connect_timeout + client.read_timeout) + backoff
    assert worst < timeout / 2, f"{worst} s of a {timeout} s timeout"
