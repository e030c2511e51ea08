"""Prints what one successful sync run costs in Step Functions, by transfer length and event delivery.

Runs the real workflow on the local emulator (virtual time) for transfers of 10 min, 1 h, 8 h and
24 h, once with every DataSync event delivered and once with every event lost, and prints state
transitions (what Standard workflows bill), history events (the 25,000 limit is per execution),
fallback checks, and how long after DataSync's end the workflow reacted. Then what waiting out a
DataSync outage costs: the `datasync-outage-events-lost` run with its outage lasting 1, 6 and 20
hours (every event lost, so only the checks can see the end). Figures, not assertions.

Usage: python benchmarks/state_transitions.py [--fallback SECONDS]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, parse_scenario

PRICE_PER_TRANSITION = 25 / 1_000_000  # USD, Standard workflows (us-east-1 list price)
LENGTHS = {"10 min": 600, "1 h": 3600, "8 h": 8 * 3600, "24 h": 24 * 3600}


def scenario(transfer_seconds: int, events_lost: bool, fallback: int) -> Any:
    raw = json.loads(Path(SCENARIO_DIR / "nightly-success.json").read_text())
    raw["executions"][0]["phases"][2]["seconds"] = transfer_seconds  # TRANSFERRING
    raw["events"] = {"drop": ["*"]} if events_lost else {}
    raw["parameters"]["FallbackIntervalSeconds"] = str(fallback)
    # One SyncWorkflow run, started the way the nightly batch starts each task's run (the batch
    # around it adds 6 transitions plus 1 per task; see benchmarks/batch.py).
    raw["trigger"] = "manual"
    raw["input"] = {"overrides": json.loads(raw["parameters"].pop("ScheduledOverrides"))}
    raw.pop("expect", None)
    return parse_scenario(f"bench-{transfer_seconds}-{'lost' if events_lost else 'events'}", raw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fallback", type=int, default=900, help="FallbackIntervalSeconds (template default 900)")
    args = parser.parse_args()

    header = (
        f"{'transfer':>8} | {'events':>9} | {'transitions':>11} | {'history events':>14} | {'checks':>6} | "
        f"{'reaction (s)':>12} | {'cost/run (USD)':>14} | {'real (s)':>8}"
    )
    print(f"SyncWorkflow, one successful run, fallback interval {args.fallback} s (virtual time)")
    print(header)
    print("-" * len(header))
    for label, seconds in LENGTHS.items():
        for lost in (False, True):
            started = time.monotonic()
            summary = run_scenario(scenario(seconds, lost, args.fallback)).to_dict()
            if summary["status"] != "SUCCEEDED":
                raise SystemExit(f"{label}: the run ended {summary['status']}: {summary['cause']}")
            checks = sum(1 for call in summary["invocations"] if call["function"] == "CheckSyncFunction")
            print(
                f"{label:>8} | {'all lost' if lost else 'delivered':>9} | {summary['state_transitions']:>11} | "
                f"{summary['history_events']:>14} | {checks:>6} | {summary['reaction_seconds']:>12.0f} | "
                f"{summary['state_transitions'] * PRICE_PER_TRANSITION:>14.6f} | {time.monotonic() - started:>8.2f}"
            )

    outages(args.fallback)


OUTAGE_HOURS = (1, 6, 20)


def outages(fallback: int) -> None:
    """The outage scenario, DataSync's Describe and List calls down for N hours from 1000 s in
    (after the first check saw TRANSFERRING)."""
    print(f"\nSyncWorkflow, a 2-hour transfer, DataSync's API down and every event lost, fallback {fallback} s")
    header = f"{'outage':>6} | {'transitions':>11} | {'history events':>14} | {'checks':>6} | {'real (s)':>8}"
    print(header)
    print("-" * len(header))
    for hours in OUTAGE_HOURS:
        raw = json.loads(Path(SCENARIO_DIR / "datasync-outage-events-lost.json").read_text())
        raw["parameters"] = {"FallbackIntervalSeconds": str(fallback)}
        raw["faults"] = [
            {
                "api": api,
                "error": "ServiceUnavailable",
                "calls": "all",
                "afterSeconds": 1000,
                "forSeconds": hours * 3600,
            }
            for api in ("datasync:DescribeTaskExecution", "datasync:DescribeTask", "datasync:ListTaskExecutions")
        ]
        started = time.monotonic()
        summary = run_scenario(parse_scenario(f"bench-outage-{hours}h", raw)).to_dict()
        if summary["status"] != "SUCCEEDED":
            raise SystemExit(f"{hours} h outage: the run ended {summary['status']}: {summary['cause']}")
        checks = sum(1 for call in summary["invocations"] if call["function"] == "CheckSyncFunction")
        print(
            f"{hours:>4} h | {summary['state_transitions']:>11} | {summary['history_events']:>14} | {checks:>6} | "
            f"{time.monotonic() - started:>8.2f}"
        )


if __name__ == "__main__":
    main()
