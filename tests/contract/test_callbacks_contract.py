"""Step Functions callbacks' contract (`CallbackPort`), for the fake and for moto's interpreter."""

from tests.contract.conftest import CallbackWorld


def test_a_waiting_task_is_completed_with_the_output_given(callbacks: CallbackWorld) -> None:
    token = callbacks.waiting_task()
    assert callbacks.port.resume(token, "SUCCESS") is True
    assert callbacks.output_of(token) == "SUCCESS"


def test_a_token_completes_its_task_once(callbacks: CallbackWorld) -> None:
    token = callbacks.waiting_task()
    assert callbacks.port.resume(token, "SUCCESS") is True
    callbacks.output_of(token)  # the task has completed
    assert callbacks.port.resume(token, "ERROR") is False
    assert callbacks.output_of(token) == "SUCCESS"


def test_a_token_that_never_was_one_is_refused_without_an_error(callbacks: CallbackWorld) -> None:
    assert callbacks.port.resume("a-token-whose-wait-already-timed-out", "SUCCESS") is False


def test_each_waiting_task_gets_its_own_output(callbacks: CallbackWorld) -> None:
    first, second = callbacks.waiting_task(), callbacks.waiting_task()
    assert callbacks.port.resume(second, "ERROR") is True
    assert callbacks.port.resume(first, "SUCCESS") is True
    assert (callbacks.output_of(first), callbacks.output_of(second)) == ("SUCCESS", "ERROR")
