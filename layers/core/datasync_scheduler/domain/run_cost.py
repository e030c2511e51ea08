"""What one run cost, estimated: DataSync's per-GB and per-execution prices, Step Functions' state
transitions and the Lambda time of its steps, from the price table kept as data (`prices.json`).

An estimate, and it says what it leaves out: the free tiers, Savings Plans, S3 requests and storage,
data transfer between Regions, CloudWatch and DynamoDB. DataSync's part is by far the largest for
any run that copies data (docs/cost.md).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat
from pydantic.alias_generators import to_camel

TaskMode = Literal["BASIC", "ENHANCED"]
Architecture = Literal["arm64", "x86_64"]
# DataSync prices "per GB": decimal gigabytes (docs/aws-facts.md#datasync-price-per-gb-copied).
GB = 1_000_000_000

# The workflow's path, counted from statemachine/sync_workflow.asl.json: a run whose first attempt
# ends with DataSync's event and one confirming check takes 14 transitions (docs/benchmarks.md,
# "Cost of one run"); each retry adds Analyze Run, Plan Next Attempt, Retry?, Wait Before Retry,
# Start Sync, Await Sync End, Check Sync and the two choices after it. Fallback checks while
# DataSync's events are lost, and the stall watchdog's looks (3 each), are not counted: this is a
# floor, exact for runs whose events arrive and that last less than the watchdog's interval.
TRANSITIONS_PER_RUN = 14
TRANSITIONS_PER_RETRY = 9
# Lambda invocations on that path: Validate Sync Request, Start Sync, Await Sync End, Check Sync,
# Report Run and the Execution Events handler; each retry adds Analyze Run, Plan Next Attempt,
# Start Sync, Await Sync End, Check Sync and one more event.
INVOCATIONS_PER_RUN = 6
INVOCATIONS_PER_RETRY = 6
# The steps' durations are not measured per run: each invocation is counted as one second at the
# template's default 256 MB (the steps that read logs or write manifests have 1,024 MB and are
# counted at that size when a retry runs them). Generous for steps that take tens of milliseconds;
# Lambda's part stays below a thousandth of a dollar a run either way.
ASSUMED_SECONDS_PER_INVOCATION = 1.0
DEFAULT_MEMORY_GB = 0.25
LARGE_MEMORY_GB = 1.0


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)


class RegionPrices(_Model):
    data_sync_per_gb: dict[TaskMode, float] = Field(min_length=2)
    data_sync_per_execution: dict[TaskMode, float] = Field(min_length=2)
    step_functions_per_transition: PositiveFloat
    lambda_per_gb_second: dict[Architecture, PositiveFloat] = Field(min_length=2)
    lambda_per_request: PositiveFloat


class PriceTable(_Model):
    currency: Literal["USD"]
    read: str  # the date the prices were read, ISO 8601
    fallback_region: str
    notes: tuple[str, ...]
    sources: dict[str, str]
    regions: dict[str, RegionPrices] = Field(min_length=1)

    def for_region(self, region: str) -> tuple[RegionPrices, str]:
        """The Region's prices and the Region they are: the fallback's when the table lacks it."""
        if region in self.regions:
            return self.regions[region], region
        return self.regions[self.fallback_region], self.fallback_region


@functools.cache
def price_table() -> PriceTable:
    """The price table shipped with the code (read once: it is data, like botocore's models)."""
    text = resources.files("datasync_scheduler.domain").joinpath("prices.json").read_text(encoding="utf-8")
    table = PriceTable.model_validate(json.loads(text))
    if table.fallback_region not in table.regions:
        raise ValueError(f"prices.json: fallbackRegion {table.fallback_region!r} is not one of its regions")
    return table


@dataclass(frozen=True)
class RunCost:
    data_sync: float
    step_functions: float
    lambda_: float
    region: str  # the Region of the task
    priced_as: str  # the Region whose prices were used: another one when the table lacks `region`
    transitions: int
    prices_read: str

    @property
    def total(self) -> float:
        return self.data_sync + self.step_functions + self.lambda_

    @property
    def fallback(self) -> bool:
        return self.priced_as != self.region

    def line(self) -> str:
        """One short line for the run's message."""
        note = f", priced as {self.priced_as} ({self.region} is not in the price table)" if self.fallback else ""
        return (
            f"about {usd(self.total)} (DataSync {usd(self.data_sync)}, Step Functions {usd(self.step_functions)}, "
            f"Lambda {usd(self.lambda_)}; list prices of {self.prices_read}{note})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "totalUsd": round(self.total, 6),
            "dataSyncUsd": round(self.data_sync, 6),
            "stepFunctionsUsd": round(self.step_functions, 6),
            "lambdaUsd": round(self.lambda_, 6),
            "region": self.region,
            "pricedAs": self.priced_as,
            "transitions": self.transitions,
            "pricesRead": self.prices_read,
        }


def usd(amount: float) -> str:
    if amount >= 1:
        return f"${amount:,.2f}"
    if amount >= 0.01:
        return f"${amount:.3f}"
    return f"${amount:.4f}" if amount >= 0.0001 else "<$0.0001"


def estimate_run_cost(
    *,
    region: str,
    task_mode: str | None,
    bytes_copied: int,
    executions: int,
    table: PriceTable | None = None,
    architecture: Architecture = "arm64",
) -> RunCost:
    """The run's estimated cost: `bytes_copied` summed over every task execution it started.

    A task whose mode is unknown is priced as Basic (DataSync's default mode), the cheaper one; an
    Enhanced task always reports its mode in DescribeTaskExecution."""
    table = table or price_table()
    prices, priced_as = table.for_region(region)
    mode: TaskMode = "ENHANCED" if task_mode == "ENHANCED" else "BASIC"
    retries = max(executions - 1, 0)
    data_sync = bytes_copied / GB * prices.data_sync_per_gb[mode] + executions * prices.data_sync_per_execution[mode]
    transitions = TRANSITIONS_PER_RUN + TRANSITIONS_PER_RETRY * retries
    invocations = INVOCATIONS_PER_RUN + INVOCATIONS_PER_RETRY * retries
    # Per retry, Analyze Run and Plan Next Attempt run at 1,024 MB; every other invocation at 256 MB.
    gb_seconds = ASSUMED_SECONDS_PER_INVOCATION * (
        (invocations - 2 * retries) * DEFAULT_MEMORY_GB + 2 * retries * LARGE_MEMORY_GB
    )
    lambda_cost = gb_seconds * prices.lambda_per_gb_second[architecture] + invocations * prices.lambda_per_request
    return RunCost(
        data_sync=data_sync,
        step_functions=transitions * prices.step_functions_per_transition,
        lambda_=lambda_cost,
        region=region,
        priced_as=priced_as,
        transitions=transitions,
        prices_read=table.read,
    )
