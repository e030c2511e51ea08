"""The watch loop, on scripted answers and a fake clock: what it prints, when, and how it ends."""

import io
import json
from types import SimpleNamespace
from typing import Any

from datasync_scheduler.workflow.state.sync import Attempts, SyncState, TaskExecutionState
from datasync_scheduler_cli.operate import watch

WORKFLOW = "arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-SyncWorkflow:manual-1"
TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
FIRST, SECOND = f"{TASK}/execution/exec-0123456789abcdef0", f"{TASK}/execution/exec-0123456789abcdef1"


def exited(event_id: int, name: str, execution: str, attempt: int) -> dict[str, Any]:
    # The sync workflow's state as a step leaves it (datasync_scheduler.workflow.state.sync).
    output = SyncState(
        request=None,
        started_at="2026-11-21T23:00:00Z",
        attempts=Attempts(attempt=attempt, scope={"kind": "all"}, done=[], retry=False, wait_seconds=0),
        task_execution=TaskExecutionState(execution_arn=execution, status="TRANSFERRING", timeout_seconds=900),
    ).to_state()
    return {
        "id": event_id,
        "type": "TaskStateExited",
        "stateExitedEventDetails": {"name": name, "output": json.dumps(output)},
    }


def entered(event_id: int, name: str) -> dict[str, Any]:
    return {"id": event_id, "type": "TaskStateEntered", "stateEnteredEventDetails": {"name": name}}


class Polls:
    """Answers poll n with the n-th scripted look (the last one repeats)."""

    def __init__(self, looks: list[dict[str, Any]]) -> None:
        self.looks = looks
        self.poll = -1

    def look(self) -> dict[str, Any]:
        return self.looks[min(self.poll, len(self.looks) - 1)]

    def describe_execution(self, executionArn: str) -> dict[str, Any]:  # boto3's argument names
        self.poll += 1
        return {"status": "RUNNING", **self.look().get("end", {})}

    def get_paginator(self, operation: str) -> Any:
        assert operation == "get_execution_history"
        # One page, oldest first: as moto answers (it ignores reverseOrder and paging).
        return SimpleNamespace(paginate=lambda **_: iter([{"events": self.look()["events"]}]))

    def describe_task_execution(self, TaskExecutionArn: str) -> dict[str, Any]:
        assert TaskExecutionArn == self.look()["follows"]
        return {"Status": self.look()["phase"], **self.look().get("counters", {})}


def counters(done_gib: int) -> dict[str, int]:
    return {"BytesTransferred": done_gib * 1024**3, "EstimatedBytesToTransfer": 10 * 1024**3}


def run_watch(looks: list[dict[str, Any]], *, live: bool) -> tuple[int, str, list[float]]:
    polls, out, now, slept = Polls(looks), io.StringIO(), [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    code = watch(WORKFLOW, sfn=polls, datasync=polls, out=out, live=live, clock=lambda: now[0], sleep=sleep, interval=5)
    return code, out.getvalue(), slept


HISTORY = [entered(1, "Start Sync"), exited(2, "Start Sync", FIRST, 1), entered(3, "Await Sync End")]
SUCCEEDED = {"status": "SUCCEEDED", "output": json.dumps({"verdict": {"status": "SUCCEEDED", "reason": "All copied."}})}


def test_on_a_terminal_one_line_is_redrawn_in_place_then_the_verdict_follows() -> None:
    looks = [
        {"events": HISTORY, "follows": FIRST, "phase": "TRANSFERRING", "counters": counters(2)},
        {"events": HISTORY, "follows": FIRST, "phase": "TRANSFERRING", "counters": counters(7)},
        {"events": HISTORY, "follows": FIRST, "phase": "SUCCESS", "counters": counters(10), "end": SUCCEEDED},
    ]
    code, printed, slept = run_watch(looks, live=True)

    assert code == 0
    assert slept == [5, 5]  # the injected sleep: the test never waits
    frames = printed.split("\r")[1:]
    assert len(frames) == 3 and printed.startswith("\r")
    assert "1.0 GiB/s  ETA 3 s" in frames[1]  # 5 GiB in 5 s, 3 GiB to go
    last, verdict = frames[2].split("\n")[:2]
    assert len(last) >= len(frames[1]) and last.startswith("SUCCESS")  # padded over the longer line before
    assert verdict == "SUCCEEDED: All copied."


def test_in_a_log_a_line_is_printed_only_when_it_changes_and_a_failure_exits_1() -> None:
    failed = {"status": "FAILED", "error": "DataSync.ExecutionError", "cause": "DataSync ended the execution in ERROR"}
    looks = [
        {"events": HISTORY, "follows": FIRST, "phase": "LAUNCHING"},
        {"events": HISTORY, "follows": FIRST, "phase": "LAUNCHING"},
        {"events": HISTORY, "follows": FIRST, "phase": "ERROR", "end": failed},
    ]
    code, printed, _ = run_watch(looks, live=False)

    assert code == 1
    assert printed.splitlines() == [
        "LAUNCHING  attempt 1  (Await Sync End)",
        "ERROR  attempt 1  (Await Sync End)",
        "FAILED (DataSync.ExecutionError): DataSync ended the execution in ERROR",
    ]


def test_after_a_retry_the_watch_follows_the_new_execution() -> None:
    retried = [*HISTORY, exited(4, "Await Sync End", FIRST, 1), entered(5, "Start Sync")]
    retried += [exited(6, "Start Sync", SECOND, 2), entered(7, "Await Sync End")]
    looks = [{"events": retried, "follows": SECOND, "phase": "SUCCESS", "end": SUCCEEDED}]
    code, printed, _ = run_watch(looks, live=False)

    assert code == 0
    assert printed.splitlines()[0] == "SUCCESS  attempt 2  (Await Sync End)"
