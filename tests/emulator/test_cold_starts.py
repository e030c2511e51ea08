"""A function's code is loaded as Lambda loads it: from its CodeUri, once per deployment (a cold
start), then kept warm; two functions with the same module each get their own copy."""

from pathlib import Path

import pytest

from emulator.lambda_router import LambdaFunction
from emulator.runner import LocalAws, local_aws
from tests.emulator import received_events

SAMPLE_FUNCTIONS = Path(__file__).resolve().parent / "sample_functions"


def register(aws: LocalAws, name: str) -> None:
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    aws.router.register(LambdaFunction(name, name, arn, "sample_handlers.echo", SAMPLE_FUNCTIONS, 30, 128))


def test_each_deployment_starts_cold_and_later_invocations_are_warm() -> None:
    received_events.LOADS.clear()
    with local_aws() as aws:
        register(aws, "Echo")
        for attempt in range(3):
            result, error = aws.router.invoke("Echo", {"attempt": attempt})
            assert error is None and result == {"echo": {"attempt": attempt}, "function": "Echo"}
    assert received_events.LOADS == ["lambda_Echo_sample_handlers"]
    with local_aws() as redeployed:
        register(redeployed, "Echo")
        redeployed.router.invoke("Echo", {})
    assert len(received_events.LOADS) == 2


def test_two_functions_with_the_same_module_each_load_their_own_copy() -> None:
    received_events.LOADS.clear()
    with local_aws() as aws:
        register(aws, "First")
        register(aws, "Second")
        aws.router.invoke("First", {})
        aws.router.invoke("Second", {})
    assert received_events.LOADS == ["lambda_First_sample_handlers", "lambda_Second_sample_handlers"]


def test_a_function_whose_code_holds_a_second_module_is_refused(tmp_path: Path) -> None:
    # Every function's module has the same name; here they share one process, so a module beside
    # the handler would be shared between functions by name, as no Lambda shares it.
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "helpers.py").write_text("X = 1\n")
    with local_aws() as aws:
        arn = "arn:aws:lambda:us-east-1:123456789012:function:Helped"
        aws.router.register(LambdaFunction("Helped", "Helped", arn, "app.handler", tmp_path, 30, 128))
        with pytest.raises(ValueError, match=r"helpers\.py"):
            aws.router.invoke("Helped", {})
