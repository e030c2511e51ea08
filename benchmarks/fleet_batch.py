"""Prints what a nightly batch of many tasks costs in Step Functions, and how far it stays from the limits.

Runs the real BatchWorkflow on the local emulator (virtual time), in the stack's own Region: N
tasks (default 500), at most C at a time (default 100: beyond an inline Map's 40, which the
Distributed Map honours), each a short successful transfer. Prints the state transitions of the
batch, of its Map run's child executions and of the task runs, the history events, the largest
task run's history, the total of transitions (what Standard workflows bill, at $25 per million:
https://aws.amazon.com/step-functions/pricing/, us-east-1), the largest state each step had in the
execution's history (the batch's budget is 64 KB, Step Functions' limit 256 KiB) and the real
seconds it took. Then the worst case, computed step by step with the longest values every field
allows (`tests/unit/test_batch.py`, which asserts the budget). Figures, not assertions.

The Map run's child executions are not separate executions on the emulator (moto runs the items
inside the batch's own interpreter, keeping their events out of its history): their transitions
are counted from the states each item entered (Run Task, then Task Succeeded or Task Failed),
two per item, as Step Functions bills a child execution's states.

Usage: python benchmarks/fleet_batch.py [--tasks N ...] [--concurrency C] [--write-docs]
(`make bench-fleet`; `--write-docs` writes the table into docs/benchmarks.md, for the defaults only.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from emulator.runner import run_scenario

# The worst case is built where the budget is asserted, so that figures and test cannot drift.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.batch import (
    HISTORY_LIMIT,
    ITEM_STATES,
    PRICE_PER_TRANSITION,
    REGIONS,
    STATE_LIMIT,
    most_at_once,
    print_worst_case,
    scenario,
)
from benchmarks.doc_tables import BENCHMARKS_PAGE, Column, Table, count, machine_line, size, write_blocks

DOC_TASKS = (500,)
DOC_CONCURRENCY = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, nargs="+", default=[500], help="batch sizes to run (default 500)")
    parser.add_argument("--concurrency", type=int, default=DOC_CONCURRENCY, help="maxConcurrency (default 100)")
    parser.add_argument(
        "--regions", type=int, default=1, help="spread the tasks over this many Regions, at most 5 (default 1)"
    )
    parser.add_argument("--write-docs", action="store_true", help="also write the table into the docs")
    args = parser.parse_args()
    if args.write_docs and (tuple(args.tasks) != DOC_TASKS or args.concurrency != DOC_CONCURRENCY):
        parser.error("--write-docs writes the docs' figures, which are for the default --tasks and --concurrency")
    if args.write_docs and args.regions != 1:
        parser.error("--write-docs writes the one-Region figures; --regions prints its own")
    if not 1 <= args.regions <= len(REGIONS):
        parser.error(f"--regions: 1 to {len(REGIONS)}")
    machine = machine_line()
    rows: list[tuple[str, ...]] = []

    header = (
        f"{'tasks':>5} | {'batch transitions':>17} | {'map run transitions':>19} | {'task run transitions':>20} | "
        f"{'batch history':>13} | {'largest task history':>20} | {'total transitions':>17} | "
        f"{'cost/night (USD)':>16} | {'at once':>7} | {'virtual':>8} | {'real (s)':>8}"
    )
    print(
        f"BatchWorkflow, every task a successful 12-minute transfer, {args.concurrency} at a time (virtual time), "
        f"tasks spread over {', '.join(REGIONS[: args.regions])} (each with its member stack's forwarder)"
    )
    print(header)
    print("-" * len(header))
    for tasks in args.tasks:
        started = time.monotonic()
        summary = run_scenario(scenario(tasks, args.concurrency, args.regions), real_timeout=3600).to_dict()
        real = time.monotonic() - started
        if summary["status"] != "SUCCEEDED":
            raise SystemExit(f"{tasks} tasks: the batch ended {summary['status']}: {summary['cause']}")
        children = summary["batch"]["children"]
        largest = max(children, key=lambda child: child["history_events"])
        task_runs = sum(child["state_transitions"] for child in children)
        map_run = ITEM_STATES * len(children)
        total = summary["state_transitions"] + map_run + task_runs
        hours, rest = divmod(int(summary["virtual_seconds"]), 3600)
        print(
            f"{tasks:>5} | {summary['state_transitions']:>17} | {map_run:>19} | {task_runs:>20} | "
            f"{summary['history_events']:>13} | {largest['history_events']:>20} | {total:>17} | "
            f"{total * PRICE_PER_TRANSITION:>16.4f} | {most_at_once(summary['executions']):>7} | "
            f"{hours:>2} h {rest // 60:02d}m | {real:>8.1f}"
        )
        largest_state = summary["batch"]["largest_state_bytes"]
        print(
            f"      {len(children)} task runs; of the {HISTORY_LIMIT:,}-event history limit the batch uses "
            f"{summary['history_events'] / HISTORY_LIMIT:.1%}, the largest task run "
            f"{largest['history_events'] / HISTORY_LIMIT:.1%}; the batch's largest state is {largest_state:,} bytes "
            f"({largest_state / STATE_LIMIT:.0%} of the {STATE_LIMIT // 1024} KiB limit), "
            f"its output {len(json.dumps(summary['output'])):,} bytes"
        )
        by_step = summary["batch"]["state_bytes_by_step"]
        print("      largest state per step: " + ", ".join(f"{step} {size:,}" for step, size in by_step.items()))
        rows.append(
            (
                count(tasks),
                count(summary["state_transitions"]),
                count(map_run),
                count(task_runs),
                count(total),
                f"${total * PRICE_PER_TRANSITION:.4f}",
                count(summary["history_events"]),
                count(largest["history_events"]),
                size(largest_state),
                count(most_at_once(summary["executions"])),
                f"{hours} h {rest // 60:02d} min",
                f"{real:.0f} s",
            )
        )
    part = Table(FLEET_COLUMNS, tuple(rows)).markdown() + "\n\n" + machine
    print()
    print(part)
    print()
    print_worst_case((100, 500))
    if args.write_docs:
        write_blocks({BENCHMARKS_PAGE: {"fleet-batch": part}})


FLEET_COLUMNS = (
    Column("tasks"),
    Column("batch transitions"),
    Column("Map run transitions"),
    Column("task runs' transitions"),
    Column("total transitions"),
    Column("cost/night"),
    Column("batch history events"),
    Column("largest task run's history"),
    Column("batch's largest state"),
    Column("most at once"),
    Column("virtual time"),
    Column("real time", measured=True),
)


if __name__ == "__main__":
    main()
