"""Each function gets exactly the environment variables its code reads, and Globals only what all read.

What a function reads is known from its handler, not from a search of the source: the handler names
the settings class it builds (`wiring.settings(CheckSyncSettings)`), each settings class declares
its variables (datasync_scheduler.composition.settings), and the handler's Powertools utilities (its module's
Logger, Tracer, Metrics) read theirs. Two guards keep that complete: only settings.py reads the
process environment, and only handlers build settings.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, get_args, get_origin

import pytest
from aws_lambda_powertools import Logger, Metrics, Tracer

from datasync_scheduler.composition.settings import (
    CheckSyncSettings,
    ConfigurationError,
    EnvironmentSettings,
    PlanNextAttemptSettings,
)
from datasync_scheduler.domain.retry_policy import RetrySettings
from datasync_scheduler.domain.watchdog import DEFAULT_LIMITS, DEFAULT_STALL_MINUTES
from tests.template_environment import ROOT, TEMPLATE, function_environment

GLOBALS = TEMPLATE["Globals"]["Function"]
FUNCTIONS = {name: spec for name, spec in TEMPLATE["Resources"].items() if spec["Type"] == "AWS::Serverless::Function"}

# The Powertools variables this stack sets, by the utility that reads them (Powertools' table of
# environment variables: docs/aws-facts.md#powertools-environment-variables).
POWERTOOLS_VARIABLES: dict[type, frozenset[str]] = {
    Logger: frozenset({"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL"}),
    Tracer: frozenset({"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_TRACER_CAPTURE_RESPONSE"}),
    Metrics: frozenset({"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}),
}


# A deployment in which each function exists (the Slack notifier only with a webhook secret).
DEPLOYED_WITH = {
    "NotifySlackFunction": {
        "SlackWebhookSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-AbCdEf"
    }
}


def handler_path(function: str) -> Path:
    """The handler's file, as Lambda finds it: the module path of `Handler` under `CodeUri`."""
    properties = {**GLOBALS, **FUNCTIONS[function]["Properties"]}
    module = str(properties["Handler"]).rpartition(".")[0]
    return ROOT / str(properties["CodeUri"]) / (module.replace(".", "/") + ".py")


def handler_module(function: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler imported as on a cold start, with its function's environment and nothing else."""
    for name in [name for name in os.environ if name.startswith("POWERTOOLS_")]:
        monkeypatch.delenv(name)
    environment = function_environment(function, **DEPLOYED_WITH.get(function, {}))
    for name, value in {**environment, "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    from datasync_scheduler.composition import wiring

    wiring.reset()
    spec = importlib.util.spec_from_file_location(f"handler_of_{function}", handler_path(function))
    assert spec is not None and spec.loader is not None, function
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reads(module: ModuleType) -> frozenset[str]:
    """The variables a handler's code reads: its settings class's and its Powertools utilities'."""
    found: set[str] = set()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, EnvironmentSettings) and value is not EnvironmentSettings:
            found |= value.variables()
        for utility, variables in POWERTOOLS_VARIABLES.items():
            if isinstance(value, utility):
                found |= variables
    return frozenset(found)


def set_for(function: str) -> frozenset[str]:
    own = FUNCTIONS[function]["Properties"].get("Environment", {}).get("Variables", {})
    return frozenset({*GLOBALS["Environment"]["Variables"], *own})


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_a_function_is_given_every_variable_its_code_reads_and_no_other(
    function: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = reads(handler_module(function, monkeypatch))
    assert {"set but not read": set_for(function) - read, "read but not set": read - set_for(function)} == {
        "set but not read": set(),
        "read but not set": set(),
    }


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_globals_hold_only_what_every_function_reads(function: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(GLOBALS["Environment"]["Variables"]) <= reads(handler_module(function, monkeypatch))


def test_a_function_missing_a_variable_stops_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = function_environment("PlanNextAttemptFunction")
    assert PlanNextAttemptSettings.from_environment(environment).retry.max_attempts == int(
        TEMPLATE["Parameters"]["MaxAttempts"]["Default"]
    )
    del environment["MANIFEST_ACCESS_ROLE_ARN"]
    with pytest.raises(ConfigurationError, match=r"^MANIFEST_ACCESS_ROLE_ARN not set"):
        PlanNextAttemptSettings.from_environment(environment)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MAX_ATTEMPTS", "three"),
        ("RETRY_BACKOFF_SECONDS", "-5"),
        ("SOURCE_IS_QUIET", "yes"),
        ("FAILURE_REPORT_BUCKET", ""),
        ("RUN_DEADLINE_SECONDS", "1.5"),
    ],
)
def test_a_malformed_variable_stops_the_function_naming_it_and_its_value(variable: str, value: str) -> None:
    environment = {**function_environment("PlanNextAttemptFunction"), variable: value}
    with pytest.raises(ConfigurationError, match=f"^{variable}={value!r}: "):
        PlanNextAttemptSettings.from_environment(environment)


def test_a_malformed_phase_limit_names_the_variable() -> None:
    environment = {**function_environment("CheckSyncFunction"), "PHASE_TIME_LIMITS": "QUEUED=soon"}
    with pytest.raises(ConfigurationError, match=r"^PHASE_TIME_LIMITS='QUEUED=soon': "):
        CheckSyncSettings.from_environment(environment)


def _environment_readers(path: Path) -> list[str]:
    """Where a module reads the process environment: `os.environ`, `os.getenv`, `from os import environ`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        names = {alias.name for alias in node.names} if isinstance(node, ast.ImportFrom) else set()
        if isinstance(node, ast.ImportFrom) and node.module == "os" and names & {"environ", "getenv", "environb"}:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_settings_module_reads_the_environment() -> None:
    sources = [*(ROOT / "layers").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]
    readers = [where for path in sources if path.name != "settings.py" for where in _environment_readers(path)]
    assert readers == []
    assert _environment_readers(ROOT / "layers" / "core" / "datasync_scheduler" / "composition" / "settings.py")


def _calls(path: Path, name: str) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == name)
            or (isinstance(node.func, ast.Name) and node.func.id == name)
        )
    ]


def test_only_handlers_choose_which_settings_they_build() -> None:
    core = ROOT / "layers" / "core" / "datasync_scheduler"
    wiring = core / "composition" / "wiring.py"
    # `from_environment` is called by wiring.settings alone, and wiring.settings by handlers alone.
    assert _calls(wiring, "from_environment")
    assert [path for path in core.rglob("*.py") if path != wiring and _calls(path, "from_environment")] == []
    assert [path for path in core.rglob("*.py") if path != wiring and _calls(path, "settings")] == []
    handlers = {handler_path(function) for function in FUNCTIONS}
    assert all(path.is_file() for path in handlers)
    elsewhere = [path for path in (ROOT / "functions").rglob("*.py") if path not in handlers]
    assert [path for path in elsewhere if _calls(path, "settings") or _calls(path, "from_environment")] == []


def parameter_of(variable: str) -> dict[str, Any]:
    """The template Parameter a variable's value comes from (`!Ref Parameter`), the same for every function."""
    refs = {
        str(spec["Properties"]["Environment"]["Variables"][variable]["Ref"])
        for spec in FUNCTIONS.values()
        if variable in spec["Properties"].get("Environment", {}).get("Variables", {})
    }
    (name,) = refs
    parameter: dict[str, Any] = TEMPLATE["Parameters"][name]
    return parameter


def choices_of_settings() -> dict[str, set[str]]:
    """Every variable whose value the code acts on by name (a Literal field), with its values."""
    from datasync_scheduler.composition import settings

    found: dict[str, set[str]] = {}
    for kind in vars(settings).values():
        if isinstance(kind, type) and issubclass(kind, EnvironmentSettings):
            for field in kind.model_fields.values():
                if get_origin(field.annotation) is Literal:
                    found[str(field.alias)] = {str(value) for value in get_args(field.annotation)}
    return found


def test_the_values_the_code_acts_on_are_the_values_the_template_allows() -> None:
    choices = choices_of_settings()
    assert {"WHEN_TASK_BUSY", "STALL_ACTION", "SOURCE_IS_QUIET", "SUCCESS_NOTIFICATION"} <= set(choices)
    for variable, values in choices.items():
        assert values == {str(value) for value in parameter_of(variable)["AllowedValues"]}, variable


def test_the_domains_own_defaults_are_the_templates() -> None:
    # The domain keeps a default for tests and tools that run without a deployment; the template's
    # Parameters are the source, and these must agree with them.
    parameters = TEMPLATE["Parameters"]
    assert parameters["PhaseTimeLimits"]["Default"] == DEFAULT_LIMITS
    assert parameters["StallMinutes"]["Default"] == DEFAULT_STALL_MINUTES
    retry = RetrySettings()
    assert retry.max_attempts == parameters["MaxAttempts"]["Default"]
    assert retry.backoff_seconds == parameters["RetryBackoffSeconds"]["Default"]
    assert retry.source_quiet == (parameters["SourceIsQuiet"]["Default"] == "true")
