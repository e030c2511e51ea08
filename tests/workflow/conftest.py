"""Workflow scenarios run the real state machine on the local emulator, in virtual time."""

from typing import Any

from emulator.runner import run_scenario
from emulator.scenario import load_scenario, parse_scenario


def run(name: str, **changes: Any) -> dict[str, Any]:
    """Runs scenario NAME from events/scenarios, with top-level fields replaced by `changes`."""
    scenario = load_scenario(name)
    if changes:
        import json
        from pathlib import Path

        from emulator.scenario import SCENARIO_DIR

        raw = json.loads(Path(SCENARIO_DIR / f"{name}.json").read_text())
        raw.update(changes)
        scenario = parse_scenario(name, raw)
    return run_scenario(scenario).to_dict()
