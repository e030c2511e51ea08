"""Every publish of one run's (or batch's) message carries the same `message_id`; no two runs share one."""

import json
from pathlib import Path

import pytest

from datasync_scheduler.domain.run_result import RunResult, rejected_input
from datasync_scheduler.messages.message import run_message
from datasync_scheduler.messages.publication import MESSAGE_ID_ATTRIBUTE, message_id, sns_publication

ROOT = Path(__file__).resolve().parents[2]
RUN = "arn:aws:states:eu-west-1:123456789012:execution:SyncWorkflow-abc:nightly-20260101"
OTHER_RUN = "arn:aws:states:eu-west-1:123456789012:execution:SyncWorkflow-abc:nightly-20260102"
BATCH = "arn:aws:states:eu-west-1:123456789012:execution:BatchWorkflow-abc:nightly-20260101"


def published_id(workflow_execution: str) -> str:
    message = run_message(RunResult(rejected_input("x")))
    attributes = sns_publication(message, workflow_execution=workflow_execution)["attributes"]
    return str(attributes[MESSAGE_ID_ATTRIBUTE]["StringValue"])


def test_a_retried_publish_carries_the_id_of_the_first() -> None:
    assert published_id(RUN) == published_id(RUN) == f"run:{RUN}"


def test_two_runs_never_share_a_message_id_nor_a_run_and_a_batch() -> None:
    assert published_id(RUN) != published_id(OTHER_RUN)
    assert message_id("run", BATCH) != message_id("batch", BATCH)


@pytest.mark.parametrize(("definition", "kind"), [("sync_workflow", "run"), ("batch_workflow", "batch")])
def test_every_message_a_state_machine_publishes_itself_carries_the_same_id(definition: str, kind: str) -> None:
    """The plain fallback messages name the run as Report Run and Summarize Batch do, so a
    subscriber that already showed the run's message does not show the fallback as well."""
    asl = json.loads((ROOT / "statemachine" / f"{definition}.asl.json").read_text(encoding="utf-8"))
    publishes = {
        name: state["Parameters"]["MessageAttributes"]
        for name, state in asl["States"].items()
        if str(state.get("Resource", "")).endswith(":states:::sns:publish")
    }
    assert publishes, f"{definition} publishes nothing itself"
    for name, attributes in publishes.items():
        assert attributes[MESSAGE_ID_ATTRIBUTE] == {
            "DataType": "String",
            "StringValue.$": f"States.Format('{kind}:{{}}', $$.Execution.Id)",
        }, name
    # What the definition builds from `$$.Execution.Id` is what a function builds from the same ARN.
    assert message_id(kind, RUN) == f"{kind}:{{}}".format(RUN)


def test_a_message_named_by_no_run_has_no_id() -> None:
    message = run_message(RunResult(rejected_input("x")))
    assert MESSAGE_ID_ATTRIBUTE not in sns_publication(message)["attributes"]


def test_the_json_rendering_names_the_message_too_as_sns_passes_it_no_attributes() -> None:
    message = run_message(RunResult(rejected_input("x")))
    publication = sns_publication(message, workflow_execution=RUN)
    default = json.loads(json.loads(publication["structured"])["default"])
    assert default["message_id"] == f"run:{RUN}"
