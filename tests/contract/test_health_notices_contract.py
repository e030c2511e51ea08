"""The Health Check's notices (`HealthNotices`): the fake, and the adapter on the run ledger's table
in moto. A notice is claimed by one check at a time, marked sent once, never claimed again once
sent; a claim given up, or left by a check that died, is taken by the next check."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from datasync_scheduler.adapters.health_notices import CLAIM_LIFETIME, DynamoDbHealthNotices
from datasync_scheduler.ports import HealthNotices
from tests.contract.conftest import FAKE, REAL, REGION, create_ledger_table
from tests.fakes import FakeHealthNotices

NOW = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)
KEY = "preflight#finance-nightly#2026-11-27T00:00:00Z"


@pytest.fixture(params=[FAKE, REAL])
def notices(request: pytest.FixtureRequest) -> Iterator[HealthNotices]:
    if request.param == "fake":
        yield FakeHealthNotices()
        return
    with mock_aws():
        yield DynamoDbHealthNotices(create_ledger_table(), boto3.client("dynamodb", region_name=REGION))


def test_one_check_claims_a_notice_and_once_it_is_sent_no_check_does(notices: HealthNotices) -> None:
    assert notices.was_sent(KEY) is False
    assert notices.claim(KEY, NOW) is True
    assert notices.claim(KEY, NOW + timedelta(seconds=1)) is False  # a second check at the same time
    notices.sent(KEY, "sns-message-1", NOW)
    assert notices.was_sent(KEY) is True
    assert notices.claim(KEY, NOW + timedelta(days=1)) is False
    notices.release(KEY)  # a late release never undoes a sent notice
    assert notices.was_sent(KEY) is True


def test_a_claim_given_up_or_left_by_a_dead_check_is_taken_by_the_next(notices: HealthNotices) -> None:
    assert notices.claim(KEY, NOW) is True
    notices.release(KEY)
    assert notices.claim(KEY, NOW + timedelta(seconds=5)) is True
    # That check dies: its claim holds for a claim's lifetime, then the next check takes it.
    assert notices.claim(KEY, NOW + timedelta(seconds=5) + CLAIM_LIFETIME - timedelta(seconds=1)) is False
    assert notices.claim(KEY, NOW + timedelta(seconds=6) + CLAIM_LIFETIME) is True
    assert notices.was_sent(KEY) is False


def test_notices_of_other_firings_and_kinds_are_their_own(notices: HealthNotices) -> None:
    assert notices.claim(KEY, NOW) is True
    assert notices.claim("preflight#finance-nightly#2026-11-28T00:00:00Z", NOW) is True
    assert notices.claim("missed-firing#finance-nightly#2026-11-27T00:00:00Z", NOW) is True
