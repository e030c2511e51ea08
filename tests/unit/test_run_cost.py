"""What a run cost: a user reads the estimate in the run's message and trusts each part of it."""

import pytest

from datasync_scheduler.domain.run_cost import GB, estimate_run_cost, price_table

pytestmark = pytest.mark.unit


def test_the_price_table_ships_with_its_sources_and_the_date_it_was_read() -> None:
    table = price_table()
    assert table.read == "2026-11-26"
    assert set(table.sources) == {"dataSync", "stepFunctions", "lambda"}
    assert all(url.startswith("https://") for url in table.sources.values())
    assert {"us-east-1", "eu-west-1", "sa-east-1"} <= set(table.regions)


def test_a_basic_run_copying_100_gb_in_us_east_1_costs_mostly_datasync() -> None:
    cost = estimate_run_cost(region="us-east-1", task_mode="BASIC", bytes_copied=100 * GB, executions=1)
    assert cost.data_sync == pytest.approx(1.25)  # $0.0125 per GB copied
    assert cost.step_functions == pytest.approx(14 * 0.000025)
    assert 0 < cost.lambda_ < 0.001
    assert cost.total == pytest.approx(cost.data_sync + cost.step_functions + cost.lambda_)
    assert not cost.fallback
    assert cost.line().startswith("about $1.25 (DataSync $1.25")


def test_an_enhanced_run_pays_the_execution_fee_for_every_attempt() -> None:
    one = estimate_run_cost(region="us-east-1", task_mode="ENHANCED", bytes_copied=0, executions=1)
    three = estimate_run_cost(region="us-east-1", task_mode="ENHANCED", bytes_copied=0, executions=3)
    assert one.data_sync == pytest.approx(0.55)
    assert three.data_sync == pytest.approx(1.65)
    assert three.transitions == 14 + 2 * 9
    assert three.lambda_ > one.lambda_


def test_step_functions_is_priced_per_region() -> None:
    paris = estimate_run_cost(region="eu-west-3", task_mode="BASIC", bytes_copied=0, executions=1)
    assert paris.step_functions == pytest.approx(14 * 0.0000297)


def test_a_region_not_in_the_table_is_priced_as_the_fallback_and_says_so() -> None:
    cost = estimate_run_cost(region="me-central-1", task_mode="BASIC", bytes_copied=10 * GB, executions=1)
    assert cost.priced_as == "us-east-1"
    assert cost.fallback
    assert "priced as us-east-1 (me-central-1 is not in the price table)" in cost.line()


def test_an_unknown_task_mode_is_priced_as_basic() -> None:
    cost = estimate_run_cost(region="us-east-1", task_mode=None, bytes_copied=GB, executions=1)
    assert cost.data_sync == pytest.approx(0.0125)
