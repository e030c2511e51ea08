"""Plan Next Attempt on fakes: after a failed attempt, retry just the files a rerun can fix, by manifest
or by filter as DataSync allows for the task, or stop."""

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.ports import AnalysisPorts, ApiCallFailed, RetryPorts
from datasync_scheduler.workflow.analyze_run import analyze_run
from datasync_scheduler.workflow.plan_next_attempt import plan_next_attempt
from datasync_scheduler.workflow.start_sync import start_sync
from datasync_scheduler.workflow.state.sync import PlanNextAttemptInput
from datasync_scheduler.workflow.validate_sync_request import first_attempt
from tests.fakes import FakeBucket, FakeLogs, FakeTaskReports
from tests.steps.conftest import WORKFLOW, World, settings, state

GROUP = "/aws/datasync/nightly"
GROUP_ARN = f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}:*"
MANIFEST_ROLE = "arn:aws:iam::123456789012:role/datasync-manifest-access"
# The guide's Basic-mode verification failure (a checksum mismatch of one file).
GUIDE_LINES = (
    (Path(__file__).parents[1] / "fixtures/aws/attribution/basic-verification-failed.log").read_text().splitlines()
)


def attempt_that_failed_verification(world: World, bucket: FakeBucket, **task: Any) -> dict[str, Any]:
    """Start, a verification failure in the execution's log, the end in ERROR, the analysis: the
    state Plan Next Attempt receives."""
    request = SyncRequest(taskArn=world.datasync.add_task(log_group_arn=GROUP_ARN, log_level="BASIC", **task))
    run = start_sync(request, WORKFLOW, world.ports, settings())
    execution = str(state(run)["executionArn"])
    world.pass_time(minutes=20)
    logs = FakeLogs()
    logs.put(GROUP, f"aws-datasync-{execution.rsplit('/', 1)[-1]}", world.now - timedelta(minutes=1), *GUIDE_LINES)
    world.datasync.finish(execution, "ERROR", error_code="VerificationFailed")
    analysis_ports = AnalysisPorts(logs=logs, reports=FakeTaskReports(), sink_for=bucket.failure_sink)
    analysis = dict(analyze_run(run, world.datasync, analysis_ports))
    return {
        "workflowExecution": WORKFLOW,
        "request": request.model_dump(mode="json", exclude_none=True),
        "startedAt": None,
        "taskExecution": state(run),
        "attempts": state(first_attempt()),
        "analysis": analysis,
    }


def plan(world: World, bucket: FakeBucket, step: dict[str, Any]) -> dict[str, Any]:
    retry_ports = RetryPorts(
        failures=bucket.read_failures,
        manifest_upload=bucket.line_upload,
        manifest_bucket=bucket.name,
        manifest_role_arn=MANIFEST_ROLE,
    )
    return state(plan_next_attempt(PlanNextAttemptInput.model_validate(step), world.ports, retry_ports, settings()))


def test_a_checksum_mismatch_is_retried_by_a_manifest_of_just_that_file(world: World) -> None:
    bucket = FakeBucket()
    planned = plan(world, bucket, attempt_that_failed_verification(world, bucket))
    assert planned["retry"] is True and planned["attempt"] == 2
    scope = planned["scope"]
    assert scope["kind"] == "manifest"
    assert scope["manifest"]["bucket"] == bucket.name and scope["manifest"]["roleArn"] == MANIFEST_ROLE
    assert bucket.text(scope["manifest"]["key"]) == "directory1/directory2/file1.txt\n"
    (first,) = planned["done"]
    assert first["status"] == "ERROR" and first["failures"] == {"checksum_mismatch": 1}


def test_a_task_with_its_own_filter_is_retried_by_an_includes_filter_not_a_manifest(world: World) -> None:
    bucket = FakeBucket()
    planned = plan(world, bucket, attempt_that_failed_verification(world, bucket, includes="/directory1"))
    assert planned["retry"] is True
    assert planned["scope"]["kind"] == "includes"
    assert planned["scope"]["includes"] == "/directory1/directory2/file1.txt"
    assert [key for key in bucket.objects if key.startswith("manifests/")] == []


def test_the_last_allowed_attempt_is_not_retried(world: World) -> None:
    bucket = FakeBucket()
    step = attempt_that_failed_verification(world, bucket)
    step["attempts"] = {**step["attempts"], "attempt": 3}  # MAX_ATTEMPTS is 3
    planned = plan(world, bucket, step)
    assert planned["retry"] is False and planned["attempt"] == 3


def test_an_analysis_that_failed_is_recorded_on_the_attempt_by_its_step_and_error(world: World) -> None:
    bucket = FakeBucket()
    step = attempt_that_failed_verification(world, bucket)
    lambda_error = {"errorType": "RuntimeError", "errorMessage": "the parser broke", "requestId": "r-1"}
    step.update(analysis=None, analysisError={"Error": "RuntimeError", "Cause": json.dumps(lambda_error)})
    planned = plan(world, bucket, step)
    assert planned["retry"] is True and planned["scope"] == {"kind": "all"}
    (first,) = planned["done"]
    assert first["unknownBecause"] == {"where": "Analyze Run", "error": "RuntimeError", "message": "the parser broke"}


def test_an_earlier_attempts_analysis_error_is_not_put_on_this_attempt(world: World) -> None:
    bucket = FakeBucket()
    step = attempt_that_failed_verification(world, bucket)
    step["analysisError"] = {"Error": "States.Timeout", "Cause": None}  # left by attempt 1's analysis
    (first,) = plan(world, bucket, step)["done"]
    assert "unknownBecause" not in first


def test_a_failure_list_that_was_not_written_retries_the_whole_task_and_says_why(world: World) -> None:
    bucket = FakeBucket()
    step = attempt_that_failed_verification(world, bucket)
    cause = {"where": "PutObject", "error": "ServiceUnavailable", "message": "S3 is down"}
    step["analysis"] = {**step["analysis"], "report": None, "reportError": cause}
    planned = plan(world, bucket, step)
    assert planned["retry"] is True and planned["scope"] == {"kind": "all"}
    assert planned["decision"]["action"] == "retry_all"
    assert "(PutObject failed with ServiceUnavailable)" in planned["decision"]["reason"]


def test_task_filters_that_cannot_be_read_retry_the_whole_task_rather_than_guess_a_manifest(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = FakeBucket()
    step = attempt_that_failed_verification(world, bucket)

    def describe_task_down(task_arn: str) -> Any:
        raise ApiCallFailed(Cause.of("DescribeTask", "InternalException", "DataSync is down"))

    monkeypatch.setattr(world.datasync, "task", describe_task_down)
    planned = plan(world, bucket, step)
    assert planned["retry"] is True and planned["scope"] == {"kind": "all"}
    assert [key for key in bucket.objects if key.startswith("manifests/")] == []
    assert (
        "the task's filters could not be read (DescribeTask failed with InternalException)"
        in (planned["decision"]["reason"])
    )
    assert planned["done"][0]["decision"]["action"] == "retry_all"
