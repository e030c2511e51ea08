"""Prints the largest state of the worst sync run, step by step, against a 64 KB budget.

Runs the real SyncWorkflow on the local emulator (virtual time) for the worst single run the
workflow allows short of 100 KiB filters: a task with a 256-character name, ten attempts (the
most MaxAttempts allows), each ending in ERROR with hundreds of failed files of every retryable
kind under long four-byte-character paths, so every attempt is analysed, planned and retried
through a manifest. From the execution's history it prints, per state, the largest input the
state received and the largest output it passed on, in UTF-8 bytes (Step Functions' limit is
256 KiB per state: docs/aws-facts.md#step-functions-and-cloudformation-names). Figures, not
assertions.

`largest_states(history)` measures any execution's history the same way (a batch's, too). The
table is Markdown; `--write-docs` also writes it into docs/benchmarks.md.

Usage: python benchmarks/state_size.py [--attempts N] [--files N] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import run_summary, runner
from emulator.scenario import SCENARIO_DIR, parse_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.doc_tables import BENCHMARKS_PAGE, Column, Table, size, write_blocks

STATE_LIMIT = 256 * 1024
BUDGET = 64 * 1024
DOC_ATTEMPTS, DOC_FILES = 10, 75  # the run the docs quote
COLUMNS = (
    Column("state", right=False),
    Column("entered"),
    Column("largest input"),
    Column("largest output"),
    Column(f"of the {BUDGET // 1024} KB budget"),
)
# Retryable kinds (a rerun can fix them), so every attempt is retried until the last.
RETRYABLE_KINDS = (
    "checksum",
    "transfer_failed",
    "destination_vanished",
    "only_at_destination",
    "source_vanished",
    "read_error",
)
# Long paths in four-byte characters, within a manifest's 1,024 bytes
# (docs/aws-facts.md#datasync-manifests-and-retries).
FOLDER, FILE = "\U0001f4c1" * 200, "\U0001f4c4" * 40


@dataclass
class StateSize:
    name: str
    largest_input: int = 0
    largest_output: int = 0
    entered: int = 0

    @property
    def largest(self) -> int:
        return max(self.largest_input, self.largest_output)


def _size(text: str | None) -> int:
    return len((text or "").encode("utf-8"))


def largest_states(history: Iterable[Mapping[str, Any]]) -> dict[str, StateSize]:
    """Per state name: the largest input it entered with and output it exited with (UTF-8 bytes)."""
    sizes: dict[str, StateSize] = {}
    for event in history:
        entered, exited = event.get("stateEnteredEventDetails"), event.get("stateExitedEventDetails")
        details = entered or exited
        if not details:
            continue
        size = sizes.setdefault(details["name"], StateSize(details["name"]))
        if entered:
            size.entered += 1
            size.largest_input = max(size.largest_input, _size(entered.get("input")))
        if exited:
            size.largest_output = max(size.largest_output, _size(exited.get("output")))
    return sizes


def worst_run(attempts: int, files_per_kind: int) -> Any:
    raw = json.loads(Path(SCENARIO_DIR / "checksum-failure-recovers.json").read_text())
    raw["task"]["name"] = ("nightly-archive-" * 20)[:256]
    template = raw["executions"][0]
    failed = [
        {"path": f"/{FOLDER}/{kind}-{n:05d}-{FILE}.dat", "kind": kind}
        for kind in RETRYABLE_KINDS
        for n in range(files_per_kind)
    ]
    raw["executions"] = [{**template, "failedFiles": failed} for _ in range(attempts)]
    raw["parameters"] = {**raw.get("parameters", {}), "MaxAttempts": str(attempts), "RetryBackoffSeconds": "0"}
    raw["expect"] = {}
    return parse_scenario("bench-state-size", raw)


def measure(scenario: Any) -> tuple[dict[str, Any], dict[str, StateSize]]:
    histories: list[list[dict[str, Any]]] = []
    original = run_summary._history

    def keep(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
        history = original(sfn, execution_arn)
        histories.append(history)
        return history

    run_summary._history = keep  # type: ignore[assignment]
    try:
        summary = runner.run_scenario(scenario, real_timeout=600).to_dict()
    finally:
        run_summary._history = original  # type: ignore[assignment]
    return summary, largest_states(histories[0])


def worst_run_part(sizes: dict[str, StateSize]) -> str:
    """The table of the worst run's states and the sentence naming the largest."""
    rows = tuple(
        (
            state.name,
            str(state.entered),
            size(state.largest_input),
            size(state.largest_output),
            f"{100 * state.largest / BUDGET:.0f} %",
        )
        for state in sizes.values()
    )
    worst = max(sizes.values(), key=lambda state: state.largest)
    return (
        Table(COLUMNS, rows).markdown()
        + f"\n\nThe largest state is {size(worst.largest)} at {worst.name} ({100 * worst.largest / STATE_LIMIT:.1f} % "
        f"of Step Functions' 256 KiB; {'within' if worst.largest <= BUDGET else 'OVER'} the workflow's budget of "
        f"{BUDGET // 1024} KB)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--attempts", type=int, default=DOC_ATTEMPTS)
    parser.add_argument("--files", type=int, default=DOC_FILES, help="failed files per kind and attempt")
    parser.add_argument("--write-docs", action="store_true", help="also write the table into the docs")
    args = parser.parse_args()
    if args.write_docs and (args.attempts, args.files) != (DOC_ATTEMPTS, DOC_FILES):
        parser.error("--write-docs writes the docs' figures, which are for the default --attempts and --files")
    began = time.monotonic()
    summary, sizes = measure(worst_run(args.attempts, args.files))
    took = time.monotonic() - began
    executions = len(summary["executions"])
    print(
        f"Worst sync run: {executions} attempt(s), {args.files * len(RETRYABLE_KINDS)} failed files each, "
        f"ended {summary['status']} ({summary.get('error') or 'no error'}), {took:.0f} s real time"
    )
    print()
    part = worst_run_part(sizes)
    print(part)
    if args.write_docs:
        write_blocks({BENCHMARKS_PAGE: {"worst-run-state": part}})


if __name__ == "__main__":
    main()
