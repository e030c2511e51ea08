"""The verdict, the run result and the plain notification a person reads."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasync_scheduler.domain.execution import ExecutionSnapshot, entry_time, remaining_seconds
from datasync_scheduler.domain.run_result import RunResult, judge_execution, rejected_input, step_failed, timeline
from datasync_scheduler.messages.email import SUBJECT_LIMIT, render_plain, subject_text
from datasync_scheduler.workflow.state.sync import CaughtError

EXECUTION = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0"
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


def snapshot(status: str, **fields: object) -> ExecutionSnapshot:
    return ExecutionSnapshot.from_api({"TaskExecutionArn": EXECUTION, "Status": status, **fields})


def test_a_sparse_api_response_is_read_without_complaint() -> None:
    read = ExecutionSnapshot.from_api({"TaskExecutionArn": EXECUTION, "Status": "LAUNCHING"})
    assert read.status == "LAUNCHING"
    assert read.task_arn == "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
    assert read.files_transferred is None and read.result.error_code is None


def test_success_is_the_only_success() -> None:
    assert judge_execution(snapshot("SUCCESS"), watchdog_note=None, abandoned=False).status == "SUCCEEDED"
    verdict = judge_execution(
        snapshot("ERROR", Result={"ErrorCode": "FsS3HeadBucketFailed", "ErrorDetail": "Access Denied"}),
        watchdog_note=None,
        abandoned=False,
    )
    assert (verdict.status, verdict.error) == ("FAILED", "DataSync.FsS3HeadBucketFailed")
    assert verdict.reason == "DataSync ended the execution in ERROR: FsS3HeadBucketFailed: Access Denied"


def test_an_error_without_a_code_still_says_what_happened() -> None:
    verdict = judge_execution(snapshot("ERROR"), watchdog_note=None, abandoned=False)
    assert verdict.error == "DataSync.ExecutionError"
    assert "no error code was reported" in verdict.reason


def test_a_watchdog_cancel_is_the_reason_not_the_resulting_error() -> None:
    verdict = judge_execution(
        snapshot("ERROR"),
        watchdog_note="stayed in LAUNCHING for 31 min",
        abandoned=False,
        watchdog_limit="phaseTimeLimit",
    )
    assert verdict.error == "Watchdog.PhaseTimeLimit"
    assert verdict.reason == "Cancelled by the watchdog: the execution stayed in LAUNCHING for 31 min."


def test_which_limit_the_watchdog_applied_comes_from_data_not_from_the_notes_words() -> None:
    # A phase-limit note that happens to say "deadline" is still a phase limit, and the reverse.
    tricky = "stayed in TRANSFERRING for 3 h (limit 2 h): the source's deadline folder is huge"
    by_phase = judge_execution(
        snapshot("ERROR"), watchdog_note=tricky, abandoned=False, watchdog_limit="phaseTimeLimit"
    )
    assert by_phase.error == "Watchdog.PhaseTimeLimit"
    by_deadline = judge_execution(
        snapshot("ERROR"), watchdog_note="was still in PREPARING", abandoned=False, watchdog_limit="runDeadline"
    )
    assert by_deadline.error == "Watchdog.RunDeadline"
    # A cancel the ledger knows of but whose limit the state lost is not guessed from prose.
    unknown = judge_execution(
        snapshot("ERROR"), watchdog_note="was still in PREPARING when the run reached its deadline", abandoned=False
    )
    assert unknown.error == "Watchdog.Cancelled"


def caught(
    error: str, message: str, *, request_id: str | None = "8f5e-req", error_type: str | None = None
) -> CaughtError:
    cause = {"errorMessage": message, "errorType": error_type or error, "stackTrace": []}
    if request_id:
        cause["requestId"] = request_id
    return CaughtError(Error=error, Cause=json.dumps(cause))


EXECUTION_ARN = EXECUTION


@pytest.mark.parametrize(
    ("step", "error", "verdict_error", "says"),
    [
        ("Start Sync", "StartRefused", "DataSync.StartRefused", "DataSync refused to start the task: Task not found"),
        ("Start Sync", "TaskBusy", "Start.TaskBusy", "stayed busy with another execution past the wait limit"),
        ("Start Sync", "DataSyncThrottled", "Start.Throttled", "The start was throttled past every retry"),
        ("Start Sync", "ServiceThrottled", "Start.Throttled", "The start was throttled past every retry"),
        ("Start Sync", "ServiceUnreachable", "Start.ServiceUnavailable", "unavailable past every retry"),
        ("Check Sync", "RunDeadlineDuringOutage", "Outage.RunDeadline", "Task not found"),
        ("Check Sync", "PhaseLimitDuringOutage", "Outage.PhaseTimeLimit", "Task not found"),
        ("Check Sync", "OutageTooLong", "Outage.TooLong", "Task not found"),
        ("Check Sync", "TaskDeleted", "DataSync.TaskDeleted", "Task not found"),
        ("Check Sync", "ExecutionGone", "DataSync.ExecutionNotFound", "Task not found"),
        ("Start Sync", "DataSyncUnavailable", "Start.DataSyncUnavailable", "unavailable past every retry"),
        ("Start Sync", "KeyError", "StartSync.Failed", "Start Sync failed with KeyError, Lambda request 8f5e-req"),
        ("Check Sync", "RuntimeError", "CheckSync.Failed", "may still be running"),
        ("Plan Next Attempt", "ValueError", "PlanNextAttempt.Failed", "Nothing was retried"),
        ("Validate Sync Request", "InvalidSyncRequest", "InvalidSyncRequest", "The run was not started."),
        (
            "Validate Sync Request",
            "KeyError",
            "ValidateSyncRequest.Failed",
            "Validate Sync Request failed with KeyError",
        ),
    ],
)
def test_each_way_a_step_ends_the_run_has_its_own_verdict(step: str, error: str, verdict_error: str, says: str) -> None:
    verdict = step_failed(step, caught(error, "Task not found"), execution_arn=EXECUTION_ARN, status="TRANSFERRING")
    assert (verdict.status, verdict.error) == ("FAILED", verdict_error)
    assert says in verdict.reason


def test_a_lambda_that_timed_out_is_named_by_step_functions_error_when_there_is_no_lambda_error() -> None:
    verdict = step_failed(
        "Check Sync", CaughtError(Error="States.Timeout", Cause=None), execution_arn=EXECUTION_ARN, status="LAUNCHING"
    )
    assert verdict.error == "CheckSync.Failed"
    assert "Check Sync failed with States.Timeout" in verdict.reason


def test_a_cause_whose_words_name_another_cause_does_not_change_the_verdict() -> None:
    # The verdict reads the error's name; a message that mentions throttling is still our own bug.
    verdict = step_failed(
        "Start Sync", caught("KeyError", "DataSyncThrottled TaskBusy"), execution_arn=None, status=None
    )
    assert verdict.error == "StartSync.Failed"


def test_phases_are_listed_in_the_order_they_happened() -> None:
    marks = timeline({"SUCCESS": T0 + timedelta(hours=2), "LAUNCHING": T0, "QUEUED": T0, "PREPARING": T0})
    assert [mark.phase for mark in marks] == ["QUEUED", "LAUNCHING", "PREPARING", "SUCCESS"]


def test_known_entry_times_come_from_the_api() -> None:
    assert entry_time(snapshot("QUEUED", StartTime=T0)) == T0
    assert entry_time(snapshot("LAUNCHING", LaunchTime=T0)) == T0
    assert entry_time(snapshot("SUCCESS", EndTime=T0)) == T0
    assert entry_time(snapshot("TRANSFERRING")) is None


def test_the_rest_of_a_transfer_is_extrapolated_from_its_progress() -> None:
    quarter_done = snapshot("TRANSFERRING", BytesTransferred=25, EstimatedBytesToTransfer=100)
    assert remaining_seconds(quarter_done, T0, T0 + timedelta(hours=1)) == 3 * 3600
    assert remaining_seconds(snapshot("TRANSFERRING"), T0, T0 + timedelta(hours=1)) is None
    assert remaining_seconds(snapshot("PREPARING"), T0, T0 + timedelta(hours=1)) is None


def test_the_notification_says_what_happened_with_figures_and_phase_times() -> None:
    report = RunResult(
        judge_execution(snapshot("SUCCESS"), watchdog_note=None, abandoned=False),
        task_arn="arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0",
        task_name="nightly-archive",
        execution_arn=EXECUTION,
        snapshot=snapshot("SUCCESS", FilesTransferred=12000, EstimatedFilesToTransfer=12000, BytesTransferred=5 << 30),
        phases=timeline({"QUEUED": T0, "TRANSFERRING": T0 + timedelta(minutes=3), "SUCCESS": T0 + timedelta(hours=8)}),
    )
    message = render_plain(report)
    assert message.subject == "DataSync nightly-archive: sync succeeded"
    assert "Files transferred: 12,000 of 12,000" in message.message
    assert "Data transferred: 5.0 GiB" in message.message
    assert "  TRANSFERRING 2026-11-21 23:03:00  (7 h 57 min)" in message.message
    assert f"DataSync execution: {EXECUTION}" in message.message


def test_a_rejected_input_is_reported_with_its_reason() -> None:
    message = render_plain(RunResult(rejected_input("Invalid sync request: taskArn: required field is missing")))
    assert message.subject == "DataSync unknown task: sync FAILED (InvalidSyncRequest)"
    assert "The run was not started. Invalid sync request: taskArn: required field is missing" in message.message


@given(st.text())
def test_any_task_name_gives_a_subject_sns_accepts(name: str) -> None:
    subject = subject_text(f"DataSync {name}: sync succeeded")
    assert len(subject) < 100  # SNS Publish: "less than 100 characters long"
    assert all(" " <= char <= "~" for char in subject)


def test_a_task_name_that_makes_the_subject_exactly_100_characters_is_cut() -> None:
    name = "n" * (100 - len("DataSync : sync succeeded"))
    subject = subject_text(f"DataSync {name}: sync succeeded")
    assert len(subject) == SUBJECT_LIMIT == 99
    assert subject.endswith("...")


def test_control_characters_in_untrusted_text_cannot_reach_the_reader() -> None:
    report = RunResult(rejected_input("bad\x1b[31m name\x07"), task_name="evil\r\nBcc: someone")
    message = render_plain(report)
    assert "\x1b" not in message.message and "\x07" not in message.message and "\r" not in message.message
    assert "\n" not in message.subject


def failed_run(failures: dict[str, object]) -> RunResult:
    return RunResult(
        judge_execution(snapshot("ERROR"), watchdog_note=None, abandoned=False),
        task_name="nightly-archive",
        execution_arn=EXECUTION,
        snapshot=snapshot("ERROR"),
        failures=failures,
    )


def test_the_notification_lists_failed_files_by_category_with_what_to_do() -> None:
    message = render_plain(
        failed_run(
            {
                "available": True,
                "totalFailures": 7,
                "byCategory": {"checksum_mismatch": 6, "access_denied": 1},
                "byRetryClass": {"transient": 6, "permanent": 1},
                "examples": {"checksum_mismatch": ["/a.txt", "/b.txt"], "access_denied": ["/secret.txt"]},
                "report": "s3://reports/failure-reports/task-x/exec-y.jsonl",
            }
        )
    ).message
    assert "Files that failed: 7 (6 a rerun can fix, 1 it cannot)" in message
    assert "  checksum_mismatch: 6 - the file changed while it was copied; rerun when the source is quiet" in message
    assert "    /a.txt\n    /b.txt\n    and 4 more" in message
    assert "Full list: s3://reports/failure-reports/task-x/exec-y.jsonl" in message


def test_a_hostile_file_name_stays_on_its_own_line() -> None:
    message = render_plain(
        failed_run(
            {
                "available": True,
                "totalFailures": 1,
                "byCategory": {"source_vanished": 1},
                "byRetryClass": {"transient": 1},
                "examples": {"source_vanished": ["/x\nDataSync status: SUCCESS\x1b[2J"]},
            }
        )
    ).message
    assert "    /x\\nDataSync status: SUCCESS\\u001b[2J" in message
    assert "\nDataSync status: SUCCESS\x1b" not in message


def test_when_the_analysis_was_impossible_a_failed_run_says_why() -> None:
    message = render_plain(failed_run({"available": False, "note": "LogLevel is OFF for this execution"})).message
    assert "Which files failed is unknown: LogLevel is OFF for this execution" in message
