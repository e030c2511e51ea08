"""A start DataSync refuses: on a busy task it may only mean "not queued", on an idle task it is final."""

from typing import Any

import pytest

from datasync_scheduler import steps
from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.ports import StartRefused
from datasync_scheduler.settings import Settings

TASK_ARN = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
RUNNING = f"{TASK_ARN}/execution/exec-0123456789abcdef0"


class RefusingDataSync:
    """DataSync that refuses every start, with the task in `status`."""

    def __init__(self, status: str) -> None:
        self.status = status

    def find_started(self, task_arn: str, tags: dict[str, str]) -> str | None:
        return None

    def start(self, request: SyncRequest, tags: dict[str, str], scope: dict[str, Any] | None = None) -> str:
        raise StartRefused("The task is already running.")

    def task(self, task_arn: str) -> TaskFacts:
        current = RUNNING if self.status != "AVAILABLE" else None
        return TaskFacts(task_arn, status=self.status, current_execution_arn=current)


def start(status: str) -> None:
    ports: Any = steps.Ports(datasync=RefusingDataSync(status), ledger=None, callbacks=None)  # type: ignore[arg-type]
    settings = Settings.from_environment({"RUN_LEDGER_TABLE": "ledger", "WHEN_TASK_BUSY": "queue"})
    steps.start_sync(SyncRequest(taskArn=TASK_ARN), "run-1", ports, settings)


@pytest.mark.parametrize("status", ["RUNNING", "QUEUED"])
def test_a_start_refused_while_the_task_is_busy_waits_for_the_running_execution(status: str) -> None:
    with pytest.raises(steps.TaskBusy, match=f"did not queue the start behind {RUNNING}"):
        start(status)


def test_a_start_refused_while_the_task_is_idle_is_reported_as_refused() -> None:
    with pytest.raises(StartRefused, match="already running"):
        start("AVAILABLE")
