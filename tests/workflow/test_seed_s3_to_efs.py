"""The S3 → EFS pair of examples/s3-to-efs, run by the scheduler exactly as its template deploys it."""

from pathlib import Path

from emulator.template import load_template
from tests.workflow.conftest import run

ROOT = Path(__file__).resolve().parents[2]
STACK = load_template(ROOT / "examples" / "s3-to-efs" / "template.yaml")


def test_the_scheduled_run_of_the_example_task_uses_the_templates_options_and_excludes_and_succeeds() -> None:
    summary = run("seed-s3-to-efs")

    assert summary["status"] == "SUCCEEDED"
    (execution,) = summary["executions"]
    assert execution["startedByWorkflow"]
    assert execution["status"] == "SUCCESS"
    effective = execution["effective"]
    # The recipe's options reached DataSync untouched: the schedule overrides nothing.
    assert execution["overrides"] == {}
    template_options = STACK["Resources"]["Task"]["Properties"]["Options"]
    assert {key: effective["options"][key] for key in template_options} == template_options
    assert effective["options"]["LogLevel"] == "TRANSFER"
    assert effective["options"]["VerifyMode"] == "POINT_IN_TIME_CONSISTENT"
    assert effective["excludes"] == [
        {"FilterType": "SIMPLE_PATTERN", "Value": STACK["Parameters"]["ExcludePatterns"]["Default"]}
    ]
    assert execution["counters"]["FilesVerified"] == 3200
    # The nightly schedule runs the task as a batch of one: the task's message, then the batch's.
    task_message, batch_message = summary["notifications"]
    assert task_message["subject"] == "DataSync s3-to-efs: sync succeeded"
    assert batch_message["subject"] == "DataSync batch: 1 of 1 task succeeded"
