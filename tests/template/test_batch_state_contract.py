"""The batch workflow's ASL against its typed state (`datasync_scheduler.workflow.state.batch`)."""

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from datasync_scheduler.workflow.state import batch
from datasync_scheduler.workflow.state.sync import CaughtError
from tests.template import asl_contract
from tests.template.asl_contract import JSON_PATH, Workflow, has_path, states

ROOT = Path(__file__).resolve().parents[2]
BATCH_ASL = ROOT / "statemachine" / "batch_workflow.asl.json"
SCHEMA = ROOT / "docs" / "state-schema" / "batch.json"
# `.sync:2`'s result: DescribeExecution's fields in Step Functions' casing, the run's output as JSON.
SYNC_RESULT_FIELDS = {"ExecutionArn", "Input", "Output", "StartDate", "StateMachineArn", "Status", "StopDate", "Name"}


def definition() -> dict[str, Any]:
    return dict(json.loads(BATCH_ASL.read_text()))


def batch_workflow(asl: Mapping[str, Any] | None = None) -> Workflow:
    return Workflow(
        name="BatchWorkflow",
        definition=asl or definition(),
        state_models={
            # The batch's input as it came: anything; Validate Batch decides.
            "Validate Batch": None,
            # Validate Batch's Catch replaces the state with its error.
            "Batch Not Started": CaughtError,
            # Inside the Map: one item, then the item with Run Task's error.
            "Run Task": batch.TaskItem,
            "Task Succeeded": batch.RanTaskItem,
            "Task Failed": batch.CaughtTaskItem,
        },
        default_model=batch.BatchState,
        lambda_inputs={"Validate Batch": batch.ValidateBatchInput, "Summarize Batch": batch.SummarizeBatchInput},
        carried=(batch.BatchState,),
        read_elsewhere={
            # A Catch always writes the Cause; the fallback path cannot rely on its presence (not
            # documented), so its message sends the reader to the batch execution's history for it.
            "$.summaryError.Cause": "read by a person, in the batch execution's history",
        },
    )


def result_selector_problems(asl: Mapping[str, Any]) -> list[str]:
    """`ResultSelector` paths of `.sync:2` tasks against the run's result: `$.Output.…` in the
    SyncWorkflow's output as the batch reads it (`SyncRunOutput`), the rest in DescribeExecution's fields."""
    problems = []
    for name, state in states(asl):
        if not str(state.get("Resource", "")).endswith(":states:::states:startExecution.sync:2"):
            continue
        for key, value in state.get("ResultSelector", {}).items():
            if not key.endswith(".$"):
                continue
            for path in JSON_PATH.findall(value):
                top, _, rest = path.removeprefix("$.").partition(".")
                if top not in SYNC_RESULT_FIELDS:
                    problems.append(f"{name}: ResultSelector.{key} reads {path}, which .sync:2 does not return")
                elif top == "Output" and not has_path(batch.SyncRunOutput, f"$.{rest}"):
                    problems.append(f"{name}: ResultSelector.{key} reads {path}, which SyncRunOutput does not have")
    return problems


def test_every_path_the_batch_workflow_reads_or_writes_is_in_its_state_and_every_field_is_read() -> None:
    asl = definition()
    assert asl_contract.problems(batch_workflow(asl)) == []
    assert result_selector_problems(asl) == []


def test_what_run_task_keeps_of_a_run_is_one_typed_bounded_result() -> None:
    processor = definition()["States"]["Run Tasks"]["ItemProcessor"]["States"]

    def fields(template: Mapping[str, Any]) -> set[str]:
        return {key.removesuffix(".$") for key in template}

    def properties(model: type[BaseModel]) -> set[str]:
        return set(model.model_json_schema(by_alias=True)["properties"])

    assert fields(processor["Run Task"]["ResultSelector"]) == properties(batch.SucceededRun)
    assert fields(processor["Task Succeeded"]["Parameters"]) == properties(batch.TaskRunSucceeded)
    assert fields(processor["Task Failed"]["Parameters"]) == properties(batch.TaskRunNotSucceeded)


def test_a_field_the_sync_output_does_not_have_is_refused() -> None:
    asl = definition()
    broken = copy.deepcopy(asl)
    run_task = broken["States"]["Run Tasks"]["ItemProcessor"]["States"]["Run Task"]
    run_task["ResultSelector"]["filesTransferred.$"] = "$.Output.counters.filesCopied"
    run_task["ResultSelector"]["status.$"] = "$.Outcome"
    assert result_selector_problems(broken) == [
        "Run Task: ResultSelector.filesTransferred.$ reads $.Output.counters.filesCopied, which SyncRunOutput "
        "does not have",
        "Run Task: ResultSelector.status.$ reads $.Outcome, which .sync:2 does not return",
    ]


def test_a_path_to_a_field_the_state_does_not_have_is_refused() -> None:
    broken = definition()
    broken["States"]["Skip Date?"]["Choices"][0]["Variable"] = "$.batch.skip"
    broken["States"]["Run Tasks"]["ItemReader"]["Parameters"]["Key.$"] = "$.batch.items.keys"
    assert asl_contract.unknown_paths(batch_workflow(broken)) == [
        "Skip Date?: Choices[0].Variable reads $.batch.skip, which BatchState does not have",
        "Run Tasks: ItemReader.Parameters.Key.$ reads $.batch.items.keys, which BatchState does not have",
    ]


def test_summarize_batch_given_the_whole_state_is_refused() -> None:
    broken = definition()
    broken["States"]["Summarize Batch"]["Parameters"] = {"state.$": "$", "batchExecution.$": "$$.Execution.Id"}
    problems = asl_contract.mismatched_parameters(batch_workflow(broken))
    assert "Summarize Batch: passes the whole state ($) to its function" in problems


def test_a_result_nobody_reads_is_refused() -> None:
    # Summarize Batch's error, written by its Catch, no longer named by any message or verdict.
    broken = json.loads(BATCH_ASL.read_text().replace("$.summaryError.Error", "$.batch.notStarted.Error"))
    assert asl_contract.unread_fields(batch_workflow(broken)) == [
        "$.summaryError.Error is carried in BatchState but nothing reads it"
    ]


def test_the_published_json_schema_is_current() -> None:
    assert SCHEMA.read_text() == batch.schema_text(), "run `make schema` and commit docs/state-schema/"


@pytest.mark.parametrize("model", list(batch.SCHEMA_MODELS.values()), ids=list(batch.SCHEMA_MODELS))
def test_every_model_has_a_json_schema(model: type[BaseModel]) -> None:
    assert model.model_json_schema(by_alias=True)["type"] == "object"
