"""Each firing's arrival (`FiringArrivals`): the fake, and the adapter on the run ledger's table in
moto. One arrival per firing, whatever Scheduler delivers twice; read back by the scheduled times
a health check expects."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws

from datasync_scheduler.adapters.firing_arrivals import DynamoDbFiringArrivals
from datasync_scheduler.ports import FiringArrivals
from tests.contract.conftest import FAKE, REAL, REGION, create_ledger_table
from tests.fakes import FakeFiringArrivals

NIGHT = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
BATCH_1 = "arn:aws:states:us-east-1:123456789012:execution:BatchWorkflow-x:nightly-1"
BATCH_2 = "arn:aws:states:us-east-1:123456789012:execution:BatchWorkflow-x:nightly-2"


@pytest.fixture(params=[FAKE, REAL])
def arrivals(request: pytest.FixtureRequest) -> Iterator[FiringArrivals]:
    if request.param == "fake":
        yield FakeFiringArrivals()
        return
    with mock_aws():
        yield DynamoDbFiringArrivals(create_ledger_table(), boto3.client("dynamodb", region_name=REGION))


def test_the_first_arrival_of_a_firing_is_recorded_and_a_second_delivery_is_told_so(
    arrivals: FiringArrivals,
) -> None:
    assert arrivals.record("nightly", NIGHT, BATCH_1, arrived_at=NIGHT + timedelta(seconds=3)) is True
    # Scheduler delivers at least once: the same firing again starts another batch.
    assert arrivals.record("nightly", NIGHT, BATCH_2, arrived_at=NIGHT + timedelta(seconds=9)) is False
    [arrival] = arrivals.arrived("nightly", [NIGHT])
    assert (arrival.scheduled_time, arrival.batch_execution) == (NIGHT, BATCH_1)


def test_arrivals_are_read_back_by_schedule_and_scheduled_time_only(arrivals: FiringArrivals) -> None:
    arrivals.record("nightly", NIGHT, BATCH_1, arrived_at=NIGHT)
    arrivals.record("weekly", NIGHT + timedelta(days=1), BATCH_2, arrived_at=NIGHT)
    expected = [NIGHT, NIGHT + timedelta(days=1)]
    assert [a.scheduled_time for a in arrivals.arrived("nightly", expected)] == [NIGHT]
    assert arrivals.arrived("monthly", expected) == []


def test_a_scheduled_time_in_another_zone_is_the_same_firing(arrivals: FiringArrivals) -> None:
    arrivals.record("nightly", NIGHT.astimezone(ZoneInfo("Europe/Berlin")), BATCH_1, arrived_at=NIGHT)
    assert arrivals.record("nightly", NIGHT, BATCH_2, arrived_at=NIGHT) is False
    assert [a.scheduled_time for a in arrivals.arrived("nightly", [NIGHT])] == [NIGHT]


def test_many_expected_firings_are_read_in_one_call_each_hundred(arrivals: FiringArrivals) -> None:
    times = [NIGHT - timedelta(hours=hour) for hour in range(150)]
    for time in times[::7]:
        arrivals.record("hourly", time, BATCH_1, arrived_at=time)
    found = {a.scheduled_time for a in arrivals.arrived("hourly", times)}
    assert found == set(times[::7])
