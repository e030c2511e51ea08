"""The whole scenarios that events/scenarios/README.md shows as examples run, and end as its text says."""

import json
import re
from typing import Any

from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, parse_scenario

README = SCENARIO_DIR / "README.md"


def examples() -> dict[str, dict[str, Any]]:
    """Each JSON block of the README that is a whole scenario (it has a description), by its first words."""
    blocks = re.findall(r"^```json\n(.*?)^```", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    scenarios = [json.loads(block) for block in blocks if block.lstrip().startswith("{")]
    return {" ".join(raw["description"].split()[:3]): raw for raw in scenarios if "description" in raw}


def test_the_readme_shows_a_single_task_and_a_batch_example() -> None:
    assert sorted(examples()) == ["Two tasks, two", "What happens, in"]


def test_the_single_task_example_succeeds_as_it_expects() -> None:
    summary = run_scenario(parse_scenario("readme-example", examples()["What happens, in"])).to_dict()

    assert summary["status"] == "SUCCEEDED"
    assert [message["subject"] for message in summary["notifications"]] == ["DataSync nightly-archive: sync succeeded"]


def test_the_batch_example_has_one_task_failing_and_ends_failed() -> None:
    summary = run_scenario(parse_scenario("readme-batch-example", examples()["Two tasks, two"])).to_dict()

    assert summary["status"] == "FAILED"
    children = {child["name"].rsplit("-", 1)[1]: child for child in summary["batch"]["children"]}
    assert [children[index]["status"] for index in sorted(children)] == ["SUCCEEDED", "FAILED"]
    subjects = [message["subject"] for message in summary["notifications"]]
    assert "DataSync batch: 1 of 2 tasks succeeded, 1 FAILED" in subjects
    assert "DataSync partner-drop: sync FAILED (DataSync.ExecutionError)" in subjects
