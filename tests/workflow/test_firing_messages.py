"""One message per firing: a named schedule's firing sends its digest, and its runs their own message
only as the schedule's perTaskMessages says; every message carries the schedule's route."""

from functools import cache
from typing import Any

from tests.workflow.conftest import run

FIRING = {
    "schedule": "finance-nightly",
    "scheduledTime": "2026-11-26T00:00:00Z",
    "perTaskMessages": "problems",
    "route": "finance-team",
}
# One task at a time, so that partner-drop's run is the third to report: its Report Run (calls 3 to 7,
# with the step's four retries) fails every time; the two runs before it report as usual.
ONE_AT_A_TIME = 1
PARTNER_DROPS_REPORT_BROKEN = [{"function": "ReportRunFunction", "error": "RuntimeError", "calls": [3, 4, 5, 6, 7]}]


@cache
def firing_digest() -> dict[str, Any]:
    """The `firing-digest` scenario (perTaskMessages problems), run once per test process."""
    return run("firing-digest")


def attributes(notification: dict[str, Any]) -> dict[str, str]:
    return {name: value["Value"] for name, value in notification["attributes"].items()}


def kinds(summary: dict[str, Any]) -> list[str]:
    return [attributes(n)["kind"] for n in summary["notifications"]]


def test_with_problems_a_firing_sends_one_digest_and_a_message_for_the_failed_run_only() -> None:
    summary = firing_digest()

    assert summary["status"] == "FAILED"
    assert sorted(kinds(summary)) == ["batch", "run"]
    task_message, digest = summary["notifications"]
    assert len(summary["slack_messages"]) == 2  # Slack gets the same two, as Block Kit
    assert task_message["subject"] == "DataSync partner-drop: sync FAILED (DataSync.ExecutionError)"
    assert digest["subject"] == "DataSync finance-nightly: 2 of 3 tasks succeeded, 1 FAILED"
    # The runs that did not send their own message say where it went; their verdict is as ever.
    children = summary["batch"]["children"]
    assert [child["status"] for child in children] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    for child in children[:2]:
        assert child["output"]["message"] == "in the firing's digest"
        assert child["output"]["verdict"]["status"] == "SUCCEEDED"
        assert "messageId" not in child["output"]


def test_the_digest_counts_lists_the_failed_task_with_its_reason_and_totals_the_rest() -> None:
    (digest,) = [n for n in firing_digest()["notifications"] if attributes(n)["kind"] == "batch"]
    text = digest["message"]
    lines = text.splitlines()

    assert lines[0] == (
        "The schedule finance-nightly (firing for 2026-11-26 00:00 UTC) ran 3 task(s), at most 3 at a time: "
        "2 succeeded, 1 failed."
    )
    assert lines[1] == "The tasks that succeeded transferred 20,000 file(s), 50.0 GiB."
    section = text.split("\nTasks that failed or recovered:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert section[0].startswith("  FAILED    partner-drop: DataSync.ExecutionError - DataSync ended the execution")
    # The line's link opens that task's run, which has the failure report and the failed files.
    assert section[1].strip().endswith(":execution:" + summary_run_name(firing_digest(), 2))
    assert len(section) == 2  # the tasks that succeeded cleanly have no line
    # Every task's line, in S3 beside the failure reports, linked from the digest.
    assert "Every task of the firing (JSON Lines): https://s3.console.aws.amazon.com/s3/object/" in text
    assert "Full list: s3://" in text and "/digests/finance-nightly/firing-digest-run-1.jsonl" in text


def summary_run_name(summary: dict[str, Any], index: int) -> str:
    name = summary["batch"]["children"][index]["name"]
    arn: str = summary["batch"]["children"][index]["executionArn"]
    assert arn.endswith(f":{name}")
    return arn.split(":execution:", 1)[1]


def test_every_message_of_the_firing_carries_its_route_and_schedule() -> None:
    for notification in firing_digest()["notifications"]:
        assert attributes(notification)["route"] == "finance-team"
        assert attributes(notification)["schedule"] == "finance-nightly"


def test_with_none_the_firing_sends_only_its_digest() -> None:
    summary = run("firing-digest", firing={**FIRING, "perTaskMessages": "none"})

    assert kinds(summary) == ["batch"]
    assert summary["notifications"][0]["subject"] == "DataSync finance-nightly: 2 of 3 tasks succeeded, 1 FAILED"
    assert summary["status"] == "FAILED"  # the verdict never depends on the message


def test_with_all_every_run_sends_its_own_message_and_the_digest_follows() -> None:
    summary = run("firing-digest", firing={**FIRING, "perTaskMessages": "all"})

    assert kinds(summary) == ["run", "run", "run", "batch"]


def test_a_recovered_run_counts_as_a_problem_worth_its_own_message() -> None:
    # The nightly batch as a firing: design-share recovers after a retry, partner-drop fails.
    summary = run("nightly-batch", trigger="manual", firing={**FIRING, "schedule": "nightly"})

    subjects = sorted(n["subject"] for n in summary["notifications"] if attributes(n)["kind"] == "run")
    assert subjects == [
        "DataSync design-share: sync recovered after 2 attempts",
        "DataSync partner-drop: sync FAILED (DataSync.ExecutionError)",
    ]
    (digest,) = [n for n in summary["notifications"] if attributes(n)["kind"] == "batch"]
    assert "(1 after a retry)" in digest["message"].splitlines()[0]
    assert "SUCCEEDED design-share: recovered on attempt 2" in digest["message"]


def test_a_firing_of_one_task_sends_exactly_one_message_the_tasks_own() -> None:
    summary = run("firing-one-task")

    assert summary["status"] == "SUCCEEDED"
    (message,) = summary["notifications"]
    assert message["subject"] == "DataSync archive-share: sync succeeded"
    assert attributes(message)["schedule"] == "archive-weekly"
    assert "Schedule: archive-weekly (firing for 2026-11-29 02:00 UTC)" in message["message"]
    # The batch says where its message went.
    assert summary["output"]["message"] == "the task's own message (a firing of one task sends only that)"
    assert summary["output"]["messageId"] is None


def test_when_report_run_breaks_a_firing_with_none_sends_only_its_digest() -> None:
    summary = run(
        "firing-digest",
        maxConcurrency=ONE_AT_A_TIME,
        firing={**FIRING, "perTaskMessages": "none"},
        faults=PARTNER_DROPS_REPORT_BROKEN,
    )

    assert kinds(summary) == ["batch"]
    assert summary["batch"]["children"][2]["error"] == "ReportRunFailed"
    assert "partner-drop: ReportRunFailed" in summary["notifications"][0]["message"]


def test_when_report_run_breaks_the_plain_message_of_a_firings_run_carries_its_route() -> None:
    summary = run("firing-digest", maxConcurrency=ONE_AT_A_TIME, faults=PARTNER_DROPS_REPORT_BROKEN)

    assert kinds(summary) == ["run", "batch"]
    plain, digest = summary["notifications"]
    # A report that broke is a problem worth the run's own message, sent to the schedule's route.
    assert plain["subject"] == "DataSync run: the report failed"
    assert attributes(plain)["route"] == "finance-team"
    assert attributes(plain)["schedule"] == "finance-nightly"
    assert attributes(digest)["route"] == "finance-team"


def test_when_summarize_batch_breaks_the_firing_still_sends_one_routed_message_in_place_of_its_digest() -> None:
    summary = run(
        "firing-digest", faults=[{"function": "SummarizeBatchFunction", "error": "RuntimeError", "calls": "all"}]
    )

    assert summary["status"] == "FAILED"
    assert kinds(summary) == ["run", "batch"]
    task_message, fallback = summary["notifications"]
    assert task_message["subject"] == "DataSync partner-drop: sync FAILED (DataSync.ExecutionError)"
    # The runs' results are in S3 only: the plain message cannot count the failed ones.
    assert fallback["subject"] == "DataSync finance-nightly: 3 tasks ran, outcome unknown (no digest)"
    assert attributes(fallback)["route"] == "finance-team"
    assert attributes(fallback)["schedule"] == "finance-nightly"
    assert "Summarize Batch failed with RuntimeError" in fallback["message"]
