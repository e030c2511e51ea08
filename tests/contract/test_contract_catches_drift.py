"""The contract suite can fail: fakes that drift from the port's semantics in the ways that matter most
are run through the same tests, and each is caught."""

from datetime import datetime

import pytest

from datasync_scheduler.domain.sync_request import SyncRequest
from tests.contract import test_callbacks_contract, test_datasync_contract, test_ledger_contract
from tests.contract.conftest import FakeCallbackWorld, FakeDataSyncWorld
from tests.fakes import FakeCallbacks, FakeDataSync, FakeLedger

pytestmark = pytest.mark.unit


class LatestTimeWins(FakeLedger):
    """A ledger that lets a late event push a phase's entry later."""

    def record_status(self, execution_arn: str, status: str, at: datetime, *, from_event: bool = False) -> None:
        super().record_status(execution_arn, status, at, from_event=from_event)
        with self._lock:
            self._entries[execution_arn].phase_times[status] = at


class TokenForEveryone(FakeLedger):
    """A ledger whose claim reads the token without taking it away."""

    def claim_token(self, execution_arn: str) -> str | None:
        token = super().claim_token(execution_arn)
        if token is not None:
            self.restore_token(execution_arn, token)
        return token


class AdoptsFinished(FakeDataSync):
    """DataSync that offers an execution which already ended for adoption."""

    def find_started(self, task_arn: str, tags: dict[str, str]) -> str | None:
        wanted = set(tags.items())
        return next((item.arn for item in self.started(task_arn) if wanted <= set(item.tags.items())), None)


class StartsOnlyOnce(FakeDataSync):
    """DataSync whose start is idempotent, which the real one is not."""

    def start(self, request: SyncRequest, tags: dict[str, str], scope: dict[str, object] | None = None) -> str:
        return self.find_started(request.taskArn, tags) or super().start(request, tags, scope)


class ResumesTwice(FakeCallbacks):
    """Step Functions that takes a token again after its task completed."""

    def resume(self, token: str, output: object) -> bool:
        accepted = super().resume(token, output)
        self.issue(token)
        return accepted


def test_a_ledger_that_lets_late_events_move_a_phase_later_is_caught() -> None:
    with pytest.raises(AssertionError):
        test_ledger_contract.test_a_phase_keeps_the_earliest_time_it_was_seen(LatestTimeWins())


def test_a_ledger_that_hands_one_token_to_two_callers_is_caught() -> None:
    with pytest.raises(AssertionError):
        test_ledger_contract.test_exactly_one_caller_gets_the_task_token(TokenForEveryone())


def test_a_datasync_that_adopts_an_ended_execution_is_caught() -> None:
    with pytest.raises(AssertionError):
        test_datasync_contract.test_an_execution_that_ended_is_never_adopted(FakeDataSyncWorld(AdoptsFinished()))


def test_a_datasync_whose_start_is_idempotent_is_caught() -> None:
    with pytest.raises(AssertionError):
        test_datasync_contract.test_every_start_starts_another_execution(FakeDataSyncWorld(StartsOnlyOnce()))


def test_callbacks_that_accept_a_used_token_are_caught() -> None:
    with pytest.raises(AssertionError):
        test_callbacks_contract.test_a_token_completes_its_task_once(FakeCallbackWorld(ResumesTwice()))


def test_the_faithful_fakes_pass_the_same_tests() -> None:
    test_ledger_contract.test_a_phase_keeps_the_earliest_time_it_was_seen(FakeLedger())
    test_ledger_contract.test_exactly_one_caller_gets_the_task_token(FakeLedger())
    test_datasync_contract.test_an_execution_that_ended_is_never_adopted(FakeDataSyncWorld(FakeDataSync()))
    test_datasync_contract.test_every_start_starts_another_execution(FakeDataSyncWorld(FakeDataSync()))
    test_callbacks_contract.test_a_token_completes_its_task_once(FakeCallbackWorld(FakeCallbacks()))
