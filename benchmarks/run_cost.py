"""Prints what runs cost by the estimate each run's message carries, and checks its transition count.

First the estimate for a few sizes, task modes and Regions (pure: the price table only). Then two
scenarios on the local emulator: `nightly-success` started by hand and `slower-than-usual` (its
history seeded), printing the state transitions the workflow really took beside the ones the
estimate counts, the message's cost line and its speed line. Cost and speed add no state to the
workflow (statemachine/ is unchanged by them): the transitions measured are the run's own. Figures,
not assertions.

Usage: python benchmarks/run_cost.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasync_scheduler.domain.run_cost import GB, estimate_run_cost, price_table, usd
from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, parse_scenario

SIZES = {"1 GB": GB, "100 GB": 100 * GB, "1 TB": 1000 * GB}
REGIONS = ("us-east-1", "eu-west-3", "sa-east-1", "me-central-1")


def estimates() -> None:
    table = price_table()
    print(f"Estimated cost of one run (list prices read {table.read}; one attempt unless said)\n")
    print("| copied | mode | Region | DataSync | Step Functions | Lambda | total | priced as |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for label, size in SIZES.items():
        for mode in ("BASIC", "ENHANCED"):
            for region in REGIONS:
                cost = estimate_run_cost(region=region, task_mode=mode, bytes_copied=size, executions=1)
                print(
                    f"| {label} | {mode} | {region} | {usd(cost.data_sync)} | {usd(cost.step_functions)} "
                    f"| {usd(cost.lambda_)} | {usd(cost.total)} | {cost.priced_as} |"
                )
    retried = estimate_run_cost(region="us-east-1", task_mode="ENHANCED", bytes_copied=100 * GB, executions=3)
    print(f"\n100 GB in Enhanced mode over 3 attempts, us-east-1: {retried.line()}")


def scenario(name: str, **changes: object) -> None:
    raw = json.loads((SCENARIO_DIR / f"{name}.json").read_text(encoding="utf-8"))
    raw.update(changes)
    summary = run_scenario(parse_scenario(name, raw)).to_dict()
    output = summary["output"] or {}
    cost = output.get("cost") or {}
    (note,) = [n for n in summary["notifications"] if str(n["subject"]).endswith(": sync succeeded")]
    lines = [
        line for line in str(note["message"]).splitlines() if line.startswith(("Estimated cost", "Slower", "Speed"))
    ]
    print(f"\n{name}: {summary['state_transitions']} state transitions taken, {cost.get('transitions')} counted")
    for line in lines:
        print(f"  {line}")


if __name__ == "__main__":
    estimates()
    scenario("nightly-success", trigger="manual", parameters={})
    scenario("slower-than-usual")
