"""Custom resources on the emulator as CloudFormation runs them: the provider function is invoked
with the request and must PUT its answer to the request's URL; no answer, or a FAILED one, fails
the deployment (docs/aws-facts.md#custom-resources)."""

from pathlib import Path

import pytest

from emulator.custom_resources import CustomResource, CustomResourceFailed, send_request
from emulator.lambda_router import LambdaFunction
from emulator.local_aws import local_aws
from emulator.stack import content_digest, stack_id

SAMPLE_FUNCTIONS = Path(__file__).resolve().parent / "sample_functions"


def test_a_provider_that_never_answers_fails_the_stack_operation() -> None:
    # `remember` returns without answering: CloudFormation would wait for ServiceTimeout, then fail.
    with local_aws() as aws:
        arn = "arn:aws:lambda:us-east-1:123456789012:function:Silent"
        aws.router.register(
            LambdaFunction("Silent", "Silent", arn, "sample_handlers.remember", SAMPLE_FUNCTIONS, 30, 128)
        )
        resource = CustomResource("Forgetful", "Custom::Forgetful", arn, {"ServiceToken": arn})
        with pytest.raises(CustomResourceFailed, match="Forgetful: the function gave CloudFormation no answer"):
            send_request(aws.router, resource, "Create", stack_id=stack_id("s"))


def test_a_provider_that_raises_without_answering_fails_naming_its_error() -> None:
    with local_aws() as aws:
        arn = "arn:aws:lambda:us-east-1:123456789012:function:Broken"
        aws.router.register(
            LambdaFunction("Broken", "Broken", arn, "sample_handlers.always_fails", SAMPLE_FUNCTIONS, 30, 128)
        )
        resource = CustomResource("Broken", "Custom::Broken", arn, {"ServiceToken": arn})
        with pytest.raises(CustomResourceFailed, match="it raised FlakyDependency: the dependency is down"):
            send_request(aws.router, resource, "Create", stack_id=stack_id("s"))


def test_a_layers_version_changes_with_its_content(tmp_path: Path) -> None:
    # Ref of a layer is its version's ARN; a changed schedules file is a new version, so the custom
    # resource that names it gets an Update.
    (tmp_path / "schedules.yaml").write_text("schedules: []\n", encoding="utf-8")
    first = content_digest(tmp_path)
    assert content_digest(tmp_path) == first
    (tmp_path / "schedules.yaml").write_text("schedules: []  # edited\n", encoding="utf-8")
    assert content_digest(tmp_path) != first


def test_the_deployment_runs_apply_schedules_once_and_keeps_it_apart_from_what_runs_later() -> None:
    with local_aws() as aws:
        stack = aws.deploy()
        assert [(call.function, call.error_type) for call in stack.deploy_invocations] == [
            ("ApplySchedulesFunction", None)
        ]
        assert aws.router.invocations == []
