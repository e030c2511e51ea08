"""The sync workflow's ASL against its typed state (`datasync_scheduler.workflow.state.sync`)."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from datasync_scheduler.workflow.state import sync
from tests.template import asl_contract
from tests.template.asl_contract import Workflow

ROOT = Path(__file__).resolve().parents[2]
SYNC_ASL = ROOT / "statemachine" / "sync_workflow.asl.json"
SCHEMA = ROOT / "docs" / "state-schema" / "sync.json"


AFTER_THE_REPORT = (
    "Message Published?",
    "Count Message Not Published",
    "Sync Succeeded?",
    "Sync Succeeded",
    "Sync Failed",
)
WITHOUT_A_REPORT = (
    "Look Up Run Message",
    "Run Message Published?",
    "Run Of A Firing?",
    "Plain Message For The Firing?",
    "Report Run Failed After Its Message",
    "Report Run Failed",
    "Notify Success Not Reported",
    "Notify Failure Not Reported",
    "Notify Run Not Reported",
    "Report Run Failed, Routed",
    "Notify Success Not Reported, Routed",
    "Notify Failure Not Reported, Routed",
    "Notify Run Not Reported, Routed",
    "Count Plain Message Not Published",
    "Sync Succeeded Without Report",
    "Report Failed",
)


def sync_workflow(definition: dict[str, Any] | None = None) -> Workflow:
    return Workflow(
        name="SyncWorkflow",
        definition=definition or json.loads(SYNC_ASL.read_text()),
        state_models={
            # The run's input as it came: anything; Validate Sync Request decides.
            "Validate Sync Request": None,
            # Validate Sync Request's Catch replaces the state with its error.
            "Input Rejected": sync.CaughtError,
            # Report Run's output replaces the state.
            **dict.fromkeys(AFTER_THE_REPORT, sync.ReportRunOutput),
            # Report Run's Catch keeps the state and adds its error.
            **dict.fromkeys(WITHOUT_A_REPORT, sync.ReportFailedState),
        },
        default_model=sync.SyncState,
        lambda_inputs={
            "Validate Sync Request": sync.ValidateSyncRequestInput,
            "Start Sync": sync.StartSyncInput,
            "Await Sync End": sync.AwaitSyncEndInput,
            "Check Sync": sync.CheckSyncInput,
            "Analyze Run": sync.AnalyzeRunInput,
            "Plan Next Attempt": sync.PlanNextAttemptInput,
            "Report Run": sync.ReportRunInput,
        },
        carried=(sync.SyncState, sync.ReportFailedState, sync.ReportRunOutput),
        read_elsewhere={
            "$.messageId": "kept in Report Run's output for whoever looks at the run (one message per run)",
        },
    )


def test_every_path_the_sync_workflow_reads_or_writes_is_in_its_state_and_every_field_is_read() -> None:
    assert asl_contract.problems(sync_workflow()) == []


def test_a_path_to_a_field_the_state_does_not_have_is_refused() -> None:
    definition = json.loads(SYNC_ASL.read_text())
    broken = copy.deepcopy(definition)
    broken["States"]["Retry?"]["Choices"][0]["Variable"] = "$.attempts.retryNow"
    assert asl_contract.unknown_paths(sync_workflow(broken)) == [
        "Retry?: Choices[0].Variable reads $.attempts.retryNow, which SyncState does not have"
    ]


def test_a_field_nobody_reads_any_more_is_refused() -> None:
    definition = json.loads(SYNC_ASL.read_text())
    for reader in ("Plan Next Attempt", "Report Run"):
        del definition["States"][reader]["Parameters"]["analysisError.$"]
    unread = asl_contract.unread_fields(sync_workflow(definition))
    assert [problem for problem in unread if "in SyncState" in problem] == [
        "$.analysisError is carried in SyncState but nothing reads it",
        "$.analysisError.Error is carried in SyncState but nothing reads it",
        "$.analysisError.Cause is carried in SyncState but nothing reads it",
    ]


def test_a_lambda_given_more_than_its_input_model_is_refused() -> None:
    definition = json.loads(SYNC_ASL.read_text())
    definition["States"]["Check Sync"]["Parameters"]["attempts.$"] = "$.attempts"
    assert asl_contract.mismatched_parameters(sync_workflow(definition)) == [
        "Check Sync: Parameters send ['attempts', 'request', 'startedAt', 'taskExecution', 'workflowExecution'] but "
        "CheckSyncInput takes ['request', 'startedAt', 'taskExecution', 'workflowExecution'] (missing [], extra "
        "['attempts'])"
    ]


def test_the_published_json_schema_is_current() -> None:
    assert SCHEMA.read_text() == sync.schema_text(), "run `make schema` and commit docs/state-schema/"


@pytest.mark.parametrize("model", list(sync.SCHEMA_MODELS.values()), ids=list(sync.SCHEMA_MODELS))
def test_every_model_has_a_json_schema(model: Any) -> None:
    assert model.model_json_schema(by_alias=True)["type"] == "object"


def test_a_task_state_without_a_catch_for_every_error_is_refused() -> None:
    definition = json.loads(SYNC_ASL.read_text())
    definition["States"]["Check Sync"].pop("Catch")
    assert asl_contract.uncaught_tasks(sync_workflow(definition)) == [
        "Check Sync: a Task state without a States.ALL Catch"
    ]
