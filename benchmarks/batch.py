"""Prints what a nightly batch of many tasks costs in Step Functions, and how far it stays from the limits.

Runs the real BatchWorkflow on the local emulator (virtual time): N tasks (default 50 and 100), at
most C at a time (default 10), each a short successful transfer. Prints the batch's state
transitions, its Map run's (two per task, counted) and its history events, the largest task run's
history, the total of transitions (what Standard workflows bill), the largest state each step had
in the execution's history (the batch's budget is 64 KB, Step Functions' limit 256 KiB) and the
real seconds it took.
Then the worst case, computed step by step with the longest values every field allows
(`tests/unit/test_batch.py`, which asserts the budget). Figures, not assertions. The tables are
Markdown; `--write-docs` also writes them into docs/benchmarks.md.

Usage: python benchmarks/batch.py [--tasks N ...] [--concurrency C] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasync_scheduler.domain import batch as batch_domain
from datasync_scheduler.domain.batch import MAX_TASKS
from emulator.runner import run_scenario
from emulator.scenario import parse_scenario

# The worst case is built where the budget is asserted, so that figures and test cannot drift.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.doc_tables import BENCHMARKS_PAGE, Column, Table, count, machine_line, size, write_blocks
from tests.unit.test_batch import REALISTIC_CAUSE, THEORETICAL_CAUSE, worst_state_sizes

# The batch sizes the docs' tables quote (a batch now takes up to MAX_TASKS; the 500-task batch at
# 100 at a time is benchmarks/fleet_batch.py).
DOC_BATCH_SIZES = (50, 100)
PRICE_PER_TRANSITION = 25 / 1_000_000  # USD, Standard workflows (us-east-1 list price)
# States each item of the Map run enters in its child execution (Run Task, then Task Succeeded or
# Task Failed), which Standard workflows bill like any other. The emulator runs the items inside the
# batch's own interpreter, so they are counted from the items, not observed.
ITEM_STATES = 2
HISTORY_LIMIT = 25_000  # events per execution
STATE_LIMIT = 256 * 1024  # bytes of input or output per state
STATE_BUDGET = 64 * 1024  # the batch's own budget per state (docs/aws-facts.md#batch-state-budget)
PHASES = [
    {"status": "LAUNCHING", "seconds": 20},
    {"status": "PREPARING", "seconds": 60},
    {"status": "TRANSFERRING", "seconds": 600},
    {"status": "VERIFYING", "seconds": 60},
]


# The Regions a batch's tasks are spread over (round robin), the stack's own first.
REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2", "eu-central-1")


def scenario(tasks: int, concurrency: int, regions: int = 1) -> Any:
    spread = REGIONS[:regions]
    raw = {
        "description": f"{tasks} tasks in {regions} Region(s), {concurrency} at a time, each a 12-minute "
        "successful transfer",
        "trigger": "manual",
        "maxConcurrency": concurrency,
        "tasks": [
            {
                "name": f"share-{index:03d}",
                "source": {"type": "NFS", "server": "files.example.internal", "subdirectory": f"/share-{index:03d}"},
                "destination": {"type": "S3", "bucket": "nightly-archive", "subdirectory": f"/share-{index:03d}"},
                "options": {"LogLevel": "BASIC"},
                "executions": [{"phases": PHASES, "outcome": "SUCCESS", "files": 1000, "bytes": 1024**3}],
                **({"region": spread[index % regions]} if regions > 1 else {}),
            }
            for index in range(tasks)
        ],
    }
    return parse_scenario(f"bench-batch-{tasks}" + (f"-{regions}-regions" if regions > 1 else ""), raw)


DOC_TASKS = DOC_BATCH_SIZES  # the batch sizes the docs quote
DOC_CONCURRENCY = 10
BATCH_COLUMNS = (
    Column("tasks"),
    Column("batch transitions"),
    Column("Map run transitions"),
    Column("batch history events"),
    Column("largest task run's history"),
    Column("total transitions"),
    Column("cost/night"),
    Column("batch's largest state"),
    Column("virtual time"),
)


@dataclass(frozen=True)
class BatchRun:
    tasks: int
    cells: tuple[str, ...]
    summary: dict[str, Any]
    real_seconds: float

    @property
    def largest_child_history(self) -> int:
        return int(max(child["history_events"] for child in self.summary["batch"]["children"]))


def batch_row(tasks: int, concurrency: int = DOC_CONCURRENCY) -> BatchRun:
    """One row of the batch table: a batch of `tasks` successful tasks, `concurrency` at a time."""
    started = time.monotonic()
    batch_domain.MAX_TASKS = max(tasks, MAX_TASKS)  # this process only: the handlers run in it
    try:
        summary = run_scenario(scenario(tasks, concurrency), real_timeout=1800).to_dict()
    finally:
        batch_domain.MAX_TASKS = MAX_TASKS
    real = time.monotonic() - started
    if summary["status"] != "SUCCEEDED":
        raise SystemExit(f"{tasks} tasks: the batch ended {summary['status']}: {summary['cause']}")
    children = summary["batch"]["children"]
    map_run = ITEM_STATES * len(children)
    total = summary["state_transitions"] + map_run + sum(child["state_transitions"] for child in children)
    hours, rest = divmod(int(summary["virtual_seconds"]), 3600)
    by_step = summary["batch"]["state_bytes_by_step"]
    largest_step = max(by_step, key=by_step.get)
    cells = (
        str(tasks),
        count(summary["state_transitions"]),
        count(map_run),
        count(summary["history_events"]),
        count(max(child["history_events"] for child in children)),
        count(total),
        f"${total * PRICE_PER_TRANSITION:.4f}",
        f"{size(summary['batch']['largest_state_bytes'])} ({largest_step})",
        f"{hours} h {rest // 60:02d} min",
    )
    return BatchRun(tasks, cells, summary, real)


def batch_part(runs: list[BatchRun], machine: str) -> str:
    largest = max(runs, key=lambda run: run.tasks)
    history = largest.summary["history_events"]
    return (
        Table(BATCH_COLUMNS, tuple(run.cells for run in runs)).markdown()
        + f"\n\nWith {largest.tasks} tasks the batch's history is {history / HISTORY_LIMIT:.1%} of the "
        f"{HISTORY_LIMIT:,}-event limit and its largest task run's "
        f"{largest.largest_child_history / HISTORY_LIMIT:.1%}. "
        + "Real time: "
        + ", ".join(f"{run.real_seconds:.0f} s for {run.tasks} tasks" for run in runs)
        + f". {machine}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--tasks",
        type=int,
        nargs="+",
        default=list(DOC_TASKS),
        help="batch sizes to run (default 50 and 100)",
    )
    parser.add_argument("--concurrency", type=int, default=DOC_CONCURRENCY, help="maxConcurrency (default 10)")
    parser.add_argument("--write-docs", action="store_true", help="also write the tables into the docs")
    args = parser.parse_args()
    if args.write_docs and (tuple(args.tasks) != DOC_TASKS or args.concurrency != DOC_CONCURRENCY):
        parser.error("--write-docs writes the docs' figures, which are for the default --tasks and --concurrency")
    machine = machine_line()

    print(f"BatchWorkflow, every task a successful 12-minute transfer, {args.concurrency} at a time (virtual time)\n")
    runs = []
    for tasks in args.tasks:
        run = batch_row(tasks, args.concurrency)
        runs.append(run)
        summary = run.summary
        largest_state = summary["batch"]["largest_state_bytes"]
        print(
            f"{tasks} tasks: {len(summary['batch']['children'])} task runs, at most "
            f"{most_at_once(summary['executions'])} at once; the batch's largest state is {largest_state:,} bytes "
            f"({largest_state / STATE_LIMIT:.0%} of the {STATE_LIMIT // 1024} KiB limit), "
            f"its output {len(json.dumps(summary['output'])):,} bytes; largest state per step: "
            + ", ".join(f"{step} {size:,}" for step, size in summary["batch"]["state_bytes_by_step"].items())
        )
    runs_part = batch_part(runs, machine)
    print()
    print(runs_part)
    print()
    print_worst_case()
    worst_part = worst_batch_table().markdown()
    print()
    print(worst_part)
    if args.write_docs:
        write_blocks({BENCHMARKS_PAGE: {"batch-cost": runs_part, "worst-batch": worst_part}})


WORST_COLUMNS = (Column("", right=False), Column("50 tasks"), Column("100 tasks"), Column("where", right=False))


def worst_batch(tasks: int) -> dict[str, tuple[int, str]]:
    """The worst batch of `tasks` tasks: its label in the docs -> (bytes, the step and state)."""
    batch_domain.MAX_TASKS = max(tasks, MAX_TASKS)
    try:
        realistic = worst_state_sizes(tasks, REALISTIC_CAUSE)
        theoretical = worst_state_sizes(tasks, THEORETICAL_CAUSE)
    finally:
        batch_domain.MAX_TASKS = MAX_TASKS
    after_validation = {step: size for step, size in realistic.items() if not step.startswith("Validate Batch")}

    def largest(sizes: dict[str, int]) -> tuple[int, str]:
        step = max(sizes, key=lambda name: sizes[name])
        return sizes[step], step

    return {
        "realistic: largest state": largest(realistic),
        "realistic: largest after validation": largest(after_validation),
        "theoretical: largest state": largest(theoretical),
    }


def worst_batch_table() -> Table:
    by_tasks = [worst_batch(tasks) for tasks in DOC_TASKS]
    rows = []
    for label in by_tasks[0]:
        steps = dict.fromkeys(sizes[label][1] for sizes in by_tasks)  # in order, once each
        most = max(sizes[label][0] for sizes in by_tasks)
        where = f"{'; '.join(steps)} (at most {most / STATE_LIMIT:.0%} of 256 KiB)"
        rows.append((label, *(size(sizes[label][0]) for sizes in by_tasks), where))
    return Table(WORST_COLUMNS, tuple(rows))


def print_worst_case(batch_sizes: tuple[int, ...] = DOC_TASKS) -> None:
    print(
        "The worst batch, step by step (bytes): requests filling the batch's limit, the longest names, errors and "
        "causes every field allows; 'realistic' = a 4 KiB Cause when Summarize Batch fails, 'theoretical' = "
        "32,768 characters JSON escapes"
    )
    for tasks in batch_sizes:
        batch_domain.MAX_TASKS = max(tasks, MAX_TASKS)
        for label, cause in (("realistic", REALISTIC_CAUSE), ("theoretical", THEORETICAL_CAUSE)):
            sizes = worst_state_sizes(tasks, cause)
            step, largest = max(sizes.items(), key=lambda item: item[1])
            print(
                f"{tasks:>5} tasks, {label:<11}: largest {largest:,} ({largest / STATE_BUDGET:.0%} of the "
                f"64 KB budget, {largest / STATE_LIMIT:.0%} of 256 KiB) at {step}"
            )
            if label == "realistic":
                for name, size in sizes.items():
                    print(f"        {name:<48} {size:>8,}")
        batch_domain.MAX_TASKS = MAX_TASKS


def most_at_once(executions: list[dict[str, Any]]) -> int:
    moments = sorted(
        (mark, change)
        for execution in executions
        for mark, change in ((execution["phases"][0]["at"], 1), (execution["phases"][-1]["at"], -1))
    )
    running = peak = 0
    for _, change in moments:  # ISO times sort in time order; at one moment, ends come first
        running += change
        peak = max(peak, running)
    return peak


if __name__ == "__main__":
    main()
