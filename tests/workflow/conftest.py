"""Workflow scenarios run the real state machine on the local emulator, in virtual time."""

import json
from typing import Any

from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, parse_scenario


def run(name: str, **changes: Any) -> dict[str, Any]:
    """Runs scenario NAME from events/scenarios, with top-level fields replaced by `changes`."""
    raw = json.loads((SCENARIO_DIR / f"{name}.json").read_text(encoding="utf-8"))
    raw.update(changes)
    return run_scenario(parse_scenario(name, raw)).to_dict()
