"""Prints what the runs' and batches' events cost a run: state transitions, Lambda invocations,
PutEvents calls and the largest entry, with the events taken by the bus and with them refused.

Runs real scenarios on the local emulator (virtual time), once with the stack's bus taking every
event (`EventBusName=default`) and once with a bus that does not exist (every PutEvents entry
refused, the nearest a deployed stack comes to events being off). The events come from functions
that already run at those moments, so the state transitions and invocations of both columns are
expected to be equal; this prints them rather than assuming it. Figures, not assertions.

Usage: python benchmarks/run_events.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, parse_scenario

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCENARIOS = ("nightly-success", "task-report-failures", "firing-digest")


def run(name: str, bus: str) -> dict[str, Any]:
    raw = json.loads((SCENARIO_DIR / f"{name}.json").read_text())
    raw.setdefault("parameters", {})["EventBusName"] = bus
    return run_scenario(parse_scenario(name, raw)).to_dict()


def transitions(summary: dict[str, Any]) -> int:
    """The batch's state transitions and every run's (each run's own SyncWorkflow execution)."""
    children = (summary.get("batch") or {}).get("children", [])
    return int(summary["state_transitions"]) + sum(int(child["state_transitions"]) for child in children)


def largest_entry(events: list[dict[str, Any]]) -> int:
    """PutEvents' size of the largest entry (Source, DetailType, Detail, Resources in UTF-8 bytes)."""
    return max(
        (
            sum(
                len(part.encode())
                for part in (
                    event["source"],
                    event["detail-type"],
                    json.dumps(event["detail"], separators=(",", ":"), ensure_ascii=False),
                    *event["resources"],
                )
            )
            for event in events
        ),
        default=0,
    )


def main() -> None:
    print(
        "| scenario | runs | transitions, events taken | transitions, events refused "
        "| invocations, taken / refused | events | largest entry |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in SCENARIOS:
        taken, refused = run(name, "default"), run(name, "no-such-bus")
        runs = sum(1 for event in taken["bus_events"] if event["detail-type"] == "Sync Run Ended")
        print(
            f"| {name} | {runs} | {transitions(taken)} | {transitions(refused)} | "
            f"{len(taken['invocations'])} / {len(refused['invocations'])} | {len(taken['bus_events'])} | "
            f"{largest_entry(taken['bus_events']):,} B |"
        )
    print()
    print("Transitions: the BatchWorkflow's and each of its SyncWorkflow runs'.")


if __name__ == "__main__":
    main()
