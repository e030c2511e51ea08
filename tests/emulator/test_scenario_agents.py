"""Scenario data for agents and Health Check runs: what a scenario file may say, and what it is told
when it says it wrong (naming the scenario and the field)."""

import json
from typing import Any

import pytest

from emulator.scenario import SCENARIO_DIR, ScenarioError, parse_scenario


def preflight_scenario(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((SCENARIO_DIR / "agent-offline-preflight.json").read_text(encoding="utf-8"))
    return {**raw, **changes}


def test_the_scenario_names_its_agents_and_when_the_check_runs() -> None:
    scenario = parse_scenario("agent-offline-preflight", preflight_scenario())
    assert scenario.agents == {"ledger-agent": "OFFLINE"}
    assert scenario.health_checks == (1500.0, 2100.0, 2400.0)


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"agents": {"ledger-agent": "ASLEEP"}}, "agents: expected"),
        ({"agents": {}}, "agent 'ledger-agent' must be an NFS location's, named in 'agents'"),
        (
            {"healthChecks": [1500, 4000]},
            "healthChecks: expected a list of virtual seconds from 0 to startDelaySeconds",
        ),
        ({"healthChecks": "soon"}, "healthChecks"),
        ({"agents": {"ledger-agent": {"status": "ONLINE", "onlineAtSeconds": 60}}}, "agents: expected"),
        ({"agents": {"ledger-agent": {"status": "OFFLINE", "onlineAtSeconds": 0}}}, "onlineAtSeconds"),
    ],
)
def test_wrong_agents_or_check_times_are_refused_naming_the_field(changes: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ScenarioError, match=complaint):
        parse_scenario("broken", preflight_scenario(**changes))


def test_agents_and_health_checks_need_a_named_schedules_tasks() -> None:
    raw = json.loads((SCENARIO_DIR / "agent-offline.json").read_text(encoding="utf-8"))
    with pytest.raises(ScenarioError, match="'agents' and 'healthChecks' go with 'tasks'"):
        parse_scenario("agent-offline", {**raw, "agents": {"a": "OFFLINE"}})


def test_an_offline_agent_may_come_back_at_a_virtual_moment() -> None:
    scenario = parse_scenario(
        "agent-offline-preflight",
        preflight_scenario(agents={"ledger-agent": {"status": "OFFLINE", "onlineAtSeconds": 2700}}),
    )
    assert scenario.agents == {"ledger-agent": "OFFLINE"}
    assert scenario.agents_back_online == {"ledger-agent": 2700.0}
