"""DataSync statuses: only SUCCESS and ERROR end a run; a later phase never gives way to an earlier one."""

from hypothesis import given
from hypothesis import strategies as st

from datasync_scheduler.domain import phases


def test_only_success_and_error_are_terminal() -> None:
    assert {status for status in phases.known() if phases.is_terminal(status)} == {"SUCCESS", "ERROR"}
    assert not phases.is_terminal("CANCELLING")
    assert not phases.is_terminal("LAUNCHED")


def test_the_known_statuses_are_botocores_and_include_every_phase_the_code_orders() -> None:
    # Read from the model, so a status DataSync adds to the API is known as soon as botocore has it.
    assert {*phases.PHASES, phases.CANCELLING, phases.SUCCESS, phases.ERROR} <= phases.known()
    assert phases.is_known("VERIFYING")
    assert not phases.is_known("PAUSED")


def test_the_latest_status_is_the_most_advanced_whatever_order_they_were_seen_in() -> None:
    assert phases.latest(["TRANSFERRING", "QUEUED", "SUCCESS", "LAUNCHING"]) == "SUCCESS"
    assert phases.latest(["PREPARING", "CANCELLING"]) == "CANCELLING"
    assert phases.latest([]) is None


def test_an_unknown_status_never_replaces_a_known_one() -> None:
    assert phases.latest(["TRANSFERRING", "REBALANCING"]) == "TRANSFERRING"
    assert phases.latest(["REBALANCING"]) == "REBALANCING"


@given(st.permutations(["QUEUED", "LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING", "SUCCESS"]))
def test_order_of_arrival_does_not_change_the_latest_status(seen: list[str]) -> None:
    assert phases.latest(seen) == "SUCCESS"


def test_only_upper_case_words_are_accepted_as_statuses() -> None:
    assert phases.is_well_formed("TRANSFERRING")
    assert not phases.is_well_formed("transferring")
    assert not phases.is_well_formed("SUCCESS; DROP TABLE")
    assert not phases.is_well_formed("")
