"""The operator's side of the scheduler: find the stack, start runs, follow one, read the history.

Works the same against AWS and the local stack: boto3 finds credentials and endpoints the standard
way (AWS_ENDPOINT_URL points it at `datasync-scheduler local serve`). The decisions and the lines
printed are pure (`domain.progress`, `domain.run_history`); this module only asks AWS and loops.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

from botocore.exceptions import ClientError
from pydantic import ValidationError

from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.run_result import iso
from datasync_scheduler.domain.units import format_bytes, format_duration
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.workflow.state.sync import ReportFailedState, SyncState
from datasync_scheduler_cli.progress import Observation, progress, status_line, verdict_line

ClientFactory = Callable[[str], Any]  # service name -> boto3 client
OBSERVATIONS_KEPT = 200  # enough for the rate window at any sensible interval
_HISTORY_PAGE = 25  # events per look back through a run's history (newest first)
_HISTORY_PAGES = 20
_DATASYNC_EXECUTION = re.compile(
    r"^arn:[\w-]+:datasync:[\w-]+:\d{12}:task/task-[0-9a-f]{17}/execution/exec-[0-9a-f]{17}$"
)


class OperatorError(Exception):
    """Something the operator has to fix (a missing stack, a bad flag); printed without a traceback."""


@dataclass(frozen=True)
class StackResources:
    sync_workflow_arn: str | None = None
    batch_workflow_arn: str | None = None
    ledger_table: str | None = None


def find_resources(
    clients: ClientFactory,
    stack_name: str,
    *,
    sync_workflow_arn: str | None = None,
    batch_workflow_arn: str | None = None,
    ledger_table: str | None = None,
    needed: Iterable[str] = ("sync_workflow_arn", "batch_workflow_arn", "ledger_table"),
) -> StackResources:
    """Explicit values win; whatever `needed` is still missing comes from the stack's outputs."""
    given = StackResources(sync_workflow_arn, batch_workflow_arn, ledger_table)
    if all(getattr(given, name) for name in needed):
        return given
    hint = "name another with --stack-name, or give the resources with their flags"
    outputs = stack_outputs(clients, stack_name, hint=hint)
    return StackResources(
        sync_workflow_arn=sync_workflow_arn or outputs.get("SyncWorkflowArn"),
        batch_workflow_arn=batch_workflow_arn or outputs.get("BatchWorkflowArn"),
        ledger_table=ledger_table or outputs.get("RunLedgerTable"),
    )


def stack_outputs(clients: ClientFactory, stack_name: str, *, hint: str) -> dict[str, str]:
    """The stack's outputs by key; a stack that cannot be read is an OperatorError ending with `hint`."""
    return described_stack(clients, stack_name, hint=hint).outputs


@dataclass(frozen=True)
class DescribedStack:
    """A deployed stack as DescribeStacks gives it: its outputs and its parameters, each by key."""

    outputs: dict[str, str]
    parameters: dict[str, str]


def described_stack(clients: ClientFactory, stack_name: str, *, hint: str) -> DescribedStack:
    """One DescribeStacks (docs/aws-facts.md#stack-parameters); a stack that cannot be read is an
    OperatorError ending with `hint`."""
    try:
        stacks = clients("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        raise OperatorError(
            f"cannot read the outputs of stack {stack_name!r}: {error.response.get('Error', {}).get('Message', error)}"
            f" ({hint})"
        ) from error
    return DescribedStack(
        outputs={output["OutputKey"]: output["OutputValue"] for output in stacks[0].get("Outputs", [])},
        parameters={
            item["ParameterKey"]: str(item.get("ParameterValue", ""))
            for item in stacks[0].get("Parameters", [])
            if "ParameterKey" in item
        },
    )


def run_name(now: datetime) -> str:
    """An execution name that sorts by start and never collides (Step Functions keeps names 90 days)."""
    return f"manual-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def start_run(sfn: Any, state_machine_arn: str, run_input: dict[str, Any], name: str) -> str:
    return str(
        sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(run_input))["executionArn"]
    )


# -- following one run --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunEnd:
    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    output: dict[str, Any] | None
    error: str | None
    cause: str | None

    @property
    def line(self) -> str:
        return verdict_line(self.status, self.output, self.error, self.cause)


def observe(sfn: Any, datasync: Any, execution_arn: str, at: float) -> tuple[Observation, RunEnd | None]:
    """One look: the workflow's state, and the DataSync execution it follows as DataSync describes it."""
    described = sfn.describe_execution(executionArn=execution_arn)
    state, followed, attempt = _position(sfn, execution_arn)
    end = None
    if described["status"] != "RUNNING":
        output = json.loads(described["output"]) if described.get("output") else None
        end = RunEnd(str(described["status"]), output, described.get("error"), described.get("cause"))
    if followed is None:
        return Observation(at=at, state=state, attempt=attempt), end
    execution = datasync.describe_task_execution(TaskExecutionArn=followed)
    return Observation(
        at=at,
        state=state,
        execution_arn=followed,
        phase=execution.get("Status"),
        attempt=attempt,
        bytes_done=int(execution.get("BytesTransferred") or 0),
        bytes_total=int(execution.get("EstimatedBytesToTransfer") or 0),
        files_done=int(execution.get("FilesTransferred") or 0),
        files_total=int(execution.get("EstimatedFilesToTransfer") or 0),
    ), end


def _position(sfn: Any, execution_arn: str) -> tuple[str | None, str | None, int | None]:
    """The state the run is in, and the DataSync execution and attempt its state last carried.

    Every step after Start Sync keeps `run.executionArn` and `next.attempt` in the typed state, so
    the newest exited state that has them is enough: the history is read newest first, a page at a time.
    """
    state: str | None = None
    pages = sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn,
        reverseOrder=True,
        PaginationConfig={"PageSize": _HISTORY_PAGE, "MaxItems": _HISTORY_PAGE * _HISTORY_PAGES},
    )
    for page in pages:
        # Newest first by id, whatever the order: moto (the local stack) ignores reverseOrder and paging.
        for event in sorted(page["events"], key=lambda event: int(event["id"]), reverse=True):
            if state is None and event["type"].endswith("StateEntered"):
                state = event["stateEnteredEventDetails"]["name"]
            details = event.get("stateExitedEventDetails")
            if details:
                carried = _carried(details.get("output"))
                if carried is not None:
                    return state or details.get("name"), carried[0], carried[1]
    return state, None, None


def _carried(output: str | None) -> tuple[str, int | None] | None:
    """The task execution and attempt a step's output carries, read as the sync workflow's state
    (`state.sync.SyncState`, docs/state-schema/sync.json); anything else (a batch's state, the
    result after Report Run) carries none."""
    for model in (SyncState, ReportFailedState):
        try:
            state = model.model_validate_json(output or "null")
        except ValidationError:
            continue
        if state.task_execution is None or not _DATASYNC_EXECUTION.match(state.task_execution.execution_arn):
            return None
        return state.task_execution.execution_arn, state.attempts.attempt if state.attempts else None
    return None


def watch(
    execution_arn: str,
    *,
    sfn: Any,
    datasync: Any,
    out: TextIO,
    live: bool,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    interval: float = 2.0,
) -> int:
    """Follows the run to its end: 0 when it SUCCEEDED, 1 otherwise.

    `live` (a terminal): one line redrawn in place with a carriage return. Otherwise a plain line
    each time it changes, so a log or a pipe gets a readable record.
    """
    seen: list[Observation] = []
    drawn = 0
    printed: str | None = None
    while True:
        observation, end = observe(sfn, datasync, execution_arn, clock())
        seen = [*seen[-OBSERVATIONS_KEPT:], observation]
        # The line quotes the task's name and the workflow's cause: one_line keeps it one line.
        line = one_line(status_line(progress(seen), live=live))
        if live:
            out.write("\r" + line.ljust(drawn))
            drawn = len(line)
        elif line != printed:
            out.write(line + "\n")
            printed = line
        out.flush()
        if end is not None:
            out.write(("\n" if live else "") + one_line(end.line) + "\n")
            out.flush()
            return 0 if end.status == "SUCCEEDED" else 1
        sleep(interval)


# -- history --------------------------------------------------------------------------------------


def history_lines(entries: Sequence[RunHistoryEntry], *, schedule: str | None = None) -> list[str]:
    """The last runs as a table, newest first; a SCHEDULE column when a run of a named schedule's
    firing is among them."""
    if not entries:
        return ["no runs recorded yet" + (f" for schedule {schedule}" if schedule else "")]
    fired = any(entry.schedule for entry in entries)
    rows = [
        (
            "ENDED (UTC)",
            "TASK",
            *(("SCHEDULE",) if fired else ()),
            "OUTCOME",
            "DATA",
            "FILES",
            "FAILURES",
            "ATTEMPTS",
            "DURATION",
        )
    ]
    for entry in entries:
        outcome = entry.status if not entry.error else f"{entry.status} {entry.error}"
        failures = ", ".join(f"{count} {name}" for name, count in sorted(entry.failures.items()) if count) or "-"
        rows.append(
            (
                iso(entry.ended_at)[:19].replace("T", " "),
                entry.task_label,
                *((entry.schedule or "-",) if fired else ()),
                outcome,
                format_bytes(entry.bytes_transferred),
                f"{entry.files_transferred:,}",
                failures,
                str(entry.attempts),
                format_duration(entry.duration.total_seconds()),
            )
        )
    # Task names and errors come from outside: each cell stays on its line.
    shown = [[one_line(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in shown) for column in range(len(shown[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in shown]
