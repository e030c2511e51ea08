"""Either workflow may be started with any JSON (`[]`, `"x"`, `5`, `true`, `null`): until its input is
validated, no state may read a field of it or write a result into it, which Step Functions fails with
States.Runtime, a failure no Catch takes (docs/aws-facts.md#what-a-run-accepts)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = {
    "SyncWorkflow": ROOT / "statemachine" / "sync_workflow.asl.json",
    "BatchWorkflow": ROOT / "statemachine" / "batch_workflow.asl.json",
}


def paths_read(value: Any) -> Iterator[str]:
    """Every reference path in a Parameters/ResultSelector template (`"key.$": "$.a"`, `States.X($.a)`)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.endswith(".$") and isinstance(inner, str):
                yield inner
            else:
                yield from paths_read(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from paths_read(inner)


def reads_a_field_of_the_input(path: str) -> bool:
    """`$.x` (or `$[0]`) inside any expression reads into the state; `$` alone and `$$.` do not."""
    text = path.replace("$$", "")
    return "$." in text or "$[" in text


def before_validation(definition: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """The start state, and the states its Catch leads to until the state they build is the run's own:
    (name, state, whether the state's input is the raw input or a caught error)."""
    states = definition["States"]
    start = states[definition["StartAt"]]
    yield definition["StartAt"], start, True
    for catcher in start.get("Catch", []):
        name = catcher["Next"]
        # A Catch's ResultPath "$" replaces the input by the error object: the next state reads that.
        yield name, states[name], False


def problems(definition: dict[str, Any]) -> list[str]:
    found = []
    for name, state, raw_input in before_validation(definition):
        for field in ("InputPath", "OutputPath"):
            if state.get(field, "$") not in ("$", None):
                found.append(f"{name}: {field} {state[field]} reads into the input")
        if state.get("ResultPath", "$") not in ("$", None):
            found.append(f"{name}: ResultPath {state['ResultPath']} writes into an input that may not be an object")
        for catcher in state.get("Catch", []):
            if catcher.get("ResultPath", "$") not in ("$", None):
                found.append(f"{name}: a Catch's ResultPath {catcher['ResultPath']} writes into the input")
        if raw_input:
            found += [
                f"{name}: reads {path}"
                for path in paths_read(state.get("Parameters"))
                if reads_a_field_of_the_input(path)
            ]
        if state["Type"] == "Choice":
            found.append(f"{name}: a Choice before validation reads the input")
    return found


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_until_the_input_is_validated_no_state_reads_or_writes_a_field_of_it(workflow: str) -> None:
    assert problems(json.loads(WORKFLOWS[workflow].read_text())) == []


def test_a_validate_step_that_writes_its_result_into_the_input_is_refused() -> None:
    definition = json.loads(WORKFLOWS["SyncWorkflow"].read_text())
    start = definition["States"][definition["StartAt"]]
    start["ResultPath"] = "$.request"
    start["Parameters"]["first.$"] = "$.taskArn"
    assert problems(definition) == [
        "Validate Sync Request: ResultPath $.request writes into an input that may not be an object",
        "Validate Sync Request: reads $.taskArn",
    ]
