"""Prints what one successful sync run costs in Step Functions, by transfer length and event delivery.

Runs the real workflow on the local emulator (virtual time) for transfers of 10 min, 1 h, 8 h and
24 h, once with every DataSync event delivered and once with every event lost, and prints state
transitions (what Standard workflows bill), history events (the 25,000 limit is per execution),
fallback checks, and how long after DataSync's end the workflow reacted. Then what waiting out a
DataSync outage costs: the `datasync-outage-events-lost` run with its outage lasting 1, 6 and 20
hours (every event lost, so only the checks can see the end). Figures, not assertions. The tables
are Markdown; `--write-docs` also writes them into docs/benchmarks.md, and the real time of the
8-hour run into README.md.

Usage: python benchmarks/state_transitions.py [--fallback SECONDS] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, parse_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.doc_tables import BENCHMARKS_PAGE, README, Column, Table, count, machine_line, span, write_blocks

PRICE_PER_TRANSITION = 25 / 1_000_000  # USD, Standard workflows (us-east-1 list price)
LENGTHS = {"10 min": 600, "1 h": 3600, "8 h": 8 * 3600, "24 h": 24 * 3600}
DEFAULT_FALLBACK = 900  # the template's FallbackIntervalSeconds: what the docs quote
RUN_COLUMNS = (
    Column("transfer"),
    Column("events", right=False),
    Column("state transitions"),
    Column("history events"),
    Column("fallback checks"),
    Column("reaction after DataSync's end"),
    Column("Step Functions cost/run"),
)
OUTAGE_HOURS = (1, 6, 20)
OUTAGE_COLUMNS = (Column("outage"), Column("state transitions"), Column("history events"), Column("checks"))


@dataclass(frozen=True)
class Measured:
    cells: tuple[str, ...]
    summary: dict[str, Any]
    real_seconds: float


def scenario(transfer_seconds: int, events_lost: bool, fallback: int) -> Any:
    raw = json.loads(Path(SCENARIO_DIR / "nightly-success.json").read_text())
    raw["executions"][0]["phases"][2]["seconds"] = transfer_seconds  # TRANSFERRING
    raw["events"] = {"drop": ["*"]} if events_lost else {}
    raw["parameters"]["FallbackIntervalSeconds"] = str(fallback)
    # One SyncWorkflow run, started the way the nightly batch starts each task's run (the batch
    # around it adds 6 transitions plus 2 per task; see benchmarks/batch.py).
    raw["trigger"] = "manual"
    raw["input"] = {"overrides": json.loads(raw["parameters"].pop("ScheduledOverrides"))}
    raw.pop("expect", None)
    return parse_scenario(f"bench-{transfer_seconds}-{'lost' if events_lost else 'events'}", raw)


def _checks(summary: dict[str, Any]) -> int:
    return sum(1 for call in summary["invocations"] if call["function"] == "CheckSyncFunction")


def run_row(length: str, events_lost: bool, fallback: int = DEFAULT_FALLBACK) -> Measured:
    """One row of the cost table: a successful run of a transfer of `length` (a key of LENGTHS)."""
    started = time.monotonic()
    summary = run_scenario(scenario(LENGTHS[length], events_lost, fallback)).to_dict()
    real = time.monotonic() - started
    if summary["status"] != "SUCCEEDED":
        raise SystemExit(f"{length}: the run ended {summary['status']}: {summary['cause']}")
    cells = (
        length,
        "all lost" if events_lost else "delivered",
        count(summary["state_transitions"]),
        count(summary["history_events"]),
        count(_checks(summary)),
        f"{summary['reaction_seconds']:.0f} s",
        f"${summary['state_transitions'] * PRICE_PER_TRANSITION:.6f}",
    )
    return Measured(cells, summary, real)


def outage_row(hours: int, fallback: int = DEFAULT_FALLBACK) -> Measured:
    """The outage scenario, DataSync's Describe and List calls down for `hours` from 1000 s in
    (after the first check saw TRANSFERRING)."""
    raw = json.loads(Path(SCENARIO_DIR / "datasync-outage-events-lost.json").read_text())
    raw["parameters"] = {"FallbackIntervalSeconds": str(fallback)}
    raw["faults"] = [
        {"api": api, "error": "ServiceUnavailable", "calls": "all", "afterSeconds": 1000, "forSeconds": hours * 3600}
        for api in ("datasync:DescribeTaskExecution", "datasync:DescribeTask", "datasync:ListTaskExecutions")
    ]
    started = time.monotonic()
    summary = run_scenario(parse_scenario(f"bench-outage-{hours}h", raw)).to_dict()
    real = time.monotonic() - started
    if summary["status"] != "SUCCEEDED":
        raise SystemExit(f"{hours} h outage: the run ended {summary['status']}: {summary['cause']}")
    cells = (
        f"{hours} h",
        count(summary["state_transitions"]),
        count(summary["history_events"]),
        count(_checks(summary)),
    )
    return Measured(cells, summary, real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fallback", type=int, default=DEFAULT_FALLBACK, help="FallbackIntervalSeconds (default 900)")
    parser.add_argument("--write-docs", action="store_true", help="also write the tables into the docs")
    args = parser.parse_args()
    if args.write_docs and args.fallback != DEFAULT_FALLBACK:
        parser.error(f"--write-docs writes the docs' figures, which are for --fallback {DEFAULT_FALLBACK}")
    machine = machine_line()

    print(f"SyncWorkflow, one successful run, fallback interval {args.fallback} s (virtual time)\n")
    runs = [run_row(length, lost, args.fallback) for length in LENGTHS for lost in (False, True)]
    reals = [run.real_seconds for run in runs]
    runs_part = (
        Table(RUN_COLUMNS, tuple(run.cells for run in runs)).markdown()
        + f"\n\nEach run took {span(reals, '.1f', ' s')} of real time. {machine}"
    )
    print(runs_part)

    print(f"\nSyncWorkflow, a 2-hour transfer, DataSync's API down and every event lost, fallback {args.fallback} s\n")
    outages = [outage_row(hours, args.fallback) for hours in OUTAGE_HOURS]
    outages_part = (
        Table(OUTAGE_COLUMNS, tuple(run.cells for run in outages)).markdown()
        + f"\n\nEach run took {span([run.real_seconds for run in outages], '.1f', ' s')} of real time."
    )
    print(outages_part)

    eight_hours = next(run for run in runs if run.cells[:2] == ("8 h", "delivered"))
    if args.write_docs:
        write_blocks(
            {
                BENCHMARKS_PAGE: {"run-cost": runs_part, "outage-cost": outages_part},
                # `make demo` runs this transfer (nightly-success) on a schedule instead of by hand.
                README: {"eight-hour-run": f"{eight_hours.real_seconds:.1f} s"},
            }
        )


if __name__ == "__main__":
    main()
