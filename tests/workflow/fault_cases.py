"""The fault matrix's cases, read from the product rather than listed by hand.

- The Lambda-backed states: every Task state of every state machine in template.yaml whose
  resource is one of the template's functions (directly, or through `lambda:invoke`), found in the
  ASL through the state machine's DefinitionSubstitutions. A new state is a new case.
- The AWS APIs: every call the functions and state machines make in the matrix's base scenarios,
  recorded by the emulator's call recorder (emulator/call_recorder.py). A new call is a new case.
  Recording takes a few seconds, so the list is kept in pytest's cache, keyed by a digest of
  everything that could change it (template, definitions, functions, emulator, base scenarios).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emulator import call_recorder
from emulator.faults import COMMON_ERRORS, api_error, service_model_for
from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, load_scenario, template_functions
from emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
# A nightly run that visits every state of the SyncWorkflow: its first execution ends in ERROR with
# checksum mismatches, the run analyses it, retries the three files and recovers (SUCCEEDED).
SYNC_BASE = "checksum-failure-recovers"
# The nightly batch: five tasks, two at a time, one recovering and one failing (FAILED).
BATCH_BASE = "nightly-batch"
BASES = (SYNC_BASE, BATCH_BASE)
# What a service answers on every call when it is down, where the operation's model names no server error.
DOWN = "ServiceUnavailable"
# botocore's service name -> IAM's service prefix, where they differ.
_IAM_PREFIX = {"stepfunctions": "states"}
_CACHE_KEY = "fault-matrix/apis"


@dataclass(frozen=True)
class LambdaState:
    workflow: str  # the state machine's logical id
    state: str  # the state's name in the ASL
    function: str  # the function's logical id

    @property
    def scenario(self) -> str:
        return BATCH_BASE if self.workflow == "BatchWorkflow" else SYNC_BASE

    def __str__(self) -> str:
        return f"{self.workflow}.{self.state}"


@dataclass(frozen=True)
class ApiCase:
    api: str  # "service:Operation", as a scenario's fault names it
    error: str  # what the API answers every call with
    scenario: str  # the base scenario that calls it
    callers: tuple[str, ...]  # logical ids of the functions and state machines that call it

    def __str__(self) -> str:
        return f"{self.api}-answers-{self.error}"


def lambda_states() -> list[LambdaState]:
    """Every Task state backed by one of the template's functions, in definition order."""
    resources = load_template(ROOT / "template.yaml")["Resources"]
    functions = template_functions()
    found = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::StateMachine":
            continue
        properties = resource["Properties"]
        substitutions = {name: _function_named(value) for name, value in properties["DefinitionSubstitutions"].items()}
        definition = json.loads((ROOT / properties["DefinitionUri"]).read_text(encoding="utf-8"))
        for name, state in _task_states(definition):
            function = _function_of(state, substitutions)
            if function in functions:
                found.append(LambdaState(logical_id, name, function))
    return found


def _function_named(value: Any) -> str | None:
    """The logical id a substitution's `!GetAtt X.Arn` (or `!Ref X`) names."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    return None


def _task_states(definition: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, state in definition.get("States", {}).items():
        if state.get("Type") == "Task":
            yield name, state
        for nested in (state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])):
            if nested:
                yield from _task_states(nested)


def _function_of(state: Mapping[str, Any], substitutions: Mapping[str, str | None]) -> str | None:
    resource = str(state.get("Resource", ""))
    if ":states:::lambda:invoke" in resource:
        resource = str(state.get("Parameters", {}).get("FunctionName", ""))
    placeholder = re.fullmatch(r"\$\{(\w+)\}", resource)
    return substitutions.get(placeholder.group(1)) if placeholder else None


def persistent_error(api: str) -> str:
    """The error a service that is down answers the API with: the operation's own internal error
    (the first 500 its model lists, else the first other 5xx), or the common ServiceUnavailable."""
    prefix, operation = api.split(":")
    model = service_model_for(prefix)
    assert model is not None, api
    answers = [
        api_error(model, shape.metadata.get("error", {}).get("code", shape.name))
        for shape in model.operation_model(operation).error_shapes
    ]
    server_errors = sorted(
        (answer for answer in answers if answer is not None and answer.status >= 500),
        key=lambda answer: answer.status != 500,
    )
    if server_errors:
        return server_errors[0].code
    assert DOWN in COMMON_ERRORS
    return DOWN


def _caller(principal: call_recorder.Principal) -> str:
    if principal.kind == "function":
        return principal.name
    # A state machine's ARN ends with its name, `<logical id>-<stack id>` (template.yaml).
    return principal.name.rsplit(":", 1)[-1].split("-", 1)[0]


# Functions that run only while CloudFormation deploys the stack (custom resources' providers):
# their calls are the deployment's, not a run's. An API down then fails the deploy with the
# function's reason (tests/handlers/test_apply_schedules.py), before any run.
DEPLOY_TIME = frozenset({"ApplySchedulesFunction"})


def record_apis() -> list[dict[str, Any]]:
    """Runs the base scenarios and lists each API the stack called during the runs, with its callers."""
    callers: dict[str, dict[str, Any]] = {}
    for scenario in BASES:
        with call_recorder.recording() as calls:
            run_scenario(load_scenario(scenario))
        for call in calls:
            if _caller(call.principal) in DEPLOY_TIME:
                continue
            api = f"{_IAM_PREFIX.get(call.service, call.service)}:{call.operation}"
            entry = callers.setdefault(api, {"api": api, "scenario": scenario, "callers": set()})
            entry["callers"].add(_caller(call.principal))
    return [
        {"api": entry["api"], "scenario": entry["scenario"], "callers": sorted(entry["callers"])}
        for entry in sorted(callers.values(), key=lambda entry: str(entry["api"]))
    ]


def _digest() -> str:
    paths = [ROOT / "template.yaml", *sorted((ROOT / "statemachine").glob("*.json"))]
    for code in ("layers", "functions"):
        paths += sorted((ROOT / code).rglob("*.py"))
    paths += sorted((ROOT / "emulator").glob("*.py"))
    paths += [SCENARIO_DIR / f"{name}.json" for name in BASES]
    paths.append(Path(__file__))  # which calls count (DEPLOY_TIME) is decided here
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def api_cases(config: pytest.Config) -> list[ApiCase]:
    """The recorded APIs (from pytest's cache while nothing they depend on changed)."""
    digest = _digest()
    cached = config.cache.get(_CACHE_KEY, None) if config.cache else None
    if not cached or cached.get("digest") != digest:
        cached = {"digest": digest, "apis": record_apis()}
        if config.cache:
            config.cache.set(_CACHE_KEY, cached)
    return [
        ApiCase(entry["api"], persistent_error(entry["api"]), entry["scenario"], tuple(entry["callers"]))
        for entry in cached["apis"]
    ]
