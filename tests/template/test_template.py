"""The template is the single source of truth for wiring: it validates, builds, and agrees with the code."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from datasync_scheduler.composition import wiring
from emulator.lambda_router import LambdaFunction, load_handler
from emulator.template import load_template, placeholders, substitute_definition
from tests.sam_python import python_312_path
from tests.template.test_function_environments import DEPLOYED_WITH
from tests.template_environment import function_environment

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
BIN = Path(sys.executable).parent
ASL_FILES = sorted((ROOT / "statemachine").glob("*.asl.json"))
ENV = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in load_template(TEMPLATE)["Resources"].items() if spec["Type"] == kind}


def run_tool(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, env=env or ENV, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_cfn_lint_finds_nothing() -> None:
    # The core stack and its nested observability application.
    result = run_tool(str(BIN / "cfn-lint"), "template.yaml", "observability/template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_sam_validate_with_lint_passes() -> None:
    result = run_tool(str(BIN / "sam"), "validate", "--lint", "--template", "template.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_sam_build_packages_every_function(tmp_path: Path) -> None:
    path = python_312_path()
    if path is None:
        pytest.skip("no python3.12 on this machine: sam build needs the Lambda runtime's Python")
    result = run_tool(
        str(BIN / "sam"),
        "build",
        "--build-dir",
        str(tmp_path / "build"),
        "--cache-dir",
        str(tmp_path / "cache"),
        env={**ENV, "PATH": path},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The nested observability application is built beside the functions, with the core stack.
    assert (tmp_path / "build" / "Observability" / "template.yaml").is_file()
    build = tmp_path / "build"
    # The core package once, in the layer's python/ folder (on Lambda's sys.path as /opt/python).
    assert (build / "CoreLayer" / "python" / "datasync_scheduler" / "workflow" / "start_sync.py").is_file()
    for name in resources("AWS::Serverless::Function"):
        assert (build / name / "app.py").is_file(), name
        assert not (build / name / "datasync_scheduler").exists(), name
        # slack_sdk (functions/notify_slack/requirements.txt) goes with the Slack notifier only.
        assert (build / name / "slack_sdk").exists() == (name == "NotifySlackFunction"), name
    assert (build / "NotifySlackFunction" / "slack_sdk" / "webhook" / "client.py").is_file()
    # The schedules file, where ApplySchedulesFunction's SCHEDULES_FILE says (/opt/python/...), with
    # the YAML parser that reads it (schedules/requirements.txt).
    assert (build / "SchedulesLayer" / "python" / "schedules.yaml").is_file()
    assert (build / "SchedulesLayer" / "python" / "yaml" / "__init__.py").is_file()
    # and the cron evaluator the Health Check computes firings with.
    assert (build / "SchedulesLayer" / "python" / "pyawscron" / "__init__.py").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("definition", ASL_FILES, ids=lambda path: path.name)
def test_asl_validator_accepts_the_state_machine(definition: Path, tmp_path: Path) -> None:
    validator = ROOT / "node_modules" / ".bin" / "asl-validator"
    assert validator.exists(), "run `make install` (npm ci) first"
    # The definition as deployed in the China partition: every placeholder replaced, ARNs in aws-cn.
    text = definition.read_text(encoding="utf-8")
    deployed = tmp_path / definition.name
    deployed.write_text(substitute_definition(text, {name: _sample(name) for name in placeholders(text)}))
    result = run_tool(str(validator), "--json-path", str(deployed))
    assert result.returncode == 0, result.stdout + result.stderr


def _sample(placeholder: str) -> str:
    """A value of the kind a `DefinitionSubstitutions` entry resolves to."""
    if placeholder == "Partition":
        return "aws-cn"
    name = placeholder.removesuffix("Arn")
    if name.endswith("Function"):
        return f"arn:aws-cn:lambda:cn-north-1:123456789012:function:{name}"
    if name.endswith("Topic"):
        return f"arn:aws-cn:sns:cn-north-1:123456789012:{name}"
    return f"arn:aws-cn:states:cn-north-1:123456789012:stateMachine:{name}"


def test_every_placeholder_has_a_substitution_and_every_substitution_is_used() -> None:
    machines = resources("AWS::Serverless::StateMachine")
    assert machines
    for name, spec in machines.items():
        definition = (ROOT / spec["Properties"]["DefinitionUri"]).read_text()
        substitutions = set(spec["Properties"].get("DefinitionSubstitutions", {}))
        assert placeholders(definition) == substitutions, name


def test_every_state_machine_file_is_deployed_by_the_template() -> None:
    used = {ROOT / spec["Properties"]["DefinitionUri"] for spec in resources("AWS::Serverless::StateMachine").values()}
    assert set(ASL_FILES) == used


def test_every_function_is_packaged_from_its_own_folder_with_only_its_handler() -> None:
    """A change to one handler redeploys that function only; the core comes from the core layer."""
    functions = resources("AWS::Serverless::Function")
    globals_function = load_template(TEMPLATE)["Globals"]["Function"]
    assert "CodeUri" not in globals_function
    assert {"Ref": "CoreLayer"} in globals_function["Layers"]
    code_dirs = set()
    for name, spec in functions.items():
        code_dir = ROOT / spec["Properties"]["CodeUri"]
        assert code_dir.parent == ROOT / "functions", name
        assert spec["Properties"]["Handler"] == "app.handler", name
        assert {path.name for path in code_dir.glob("*.py")} <= {"app.py", "__init__.py"}, name
        code_dirs.add(code_dir)
    assert len(code_dirs) == len(functions)
    # Every handler folder is a function's: none is left behind unpackaged.
    assert {path.parent for path in (ROOT / "functions").glob("*/app.py")} == code_dirs
    layers = resources("AWS::Serverless::LayerVersion")
    assert layers["CoreLayer"]["Properties"]["ContentUri"] == "layers/core/"
    # The schedules file ships in a layer of its own: a new file redeploys only what reads it.
    assert layers["SchedulesLayer"]["Properties"]["ContentUri"] == "schedules/"
    assert {"Ref": "SchedulesLayer"} not in globals_function["Layers"]
    for layer in layers.values():
        assert layer["Metadata"]["BuildMethod"] == globals_function["Runtime"]


def test_every_handler_in_the_template_is_importable_and_callable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Lambda always sets the Region; a module that builds a client at import needs it. Each handler
    # is imported with its own function's environment, as Lambda would (a module may read it at import).
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name, spec in resources("AWS::Serverless::Function").items():
        for variable, value in function_environment(name, **DEPLOYED_WITH.get(name, {})).items():
            monkeypatch.setenv(variable, value)
        wiring.reset()
        function = LambdaFunction(
            logical_id=name,
            name=name,
            arn=name,
            handler=spec["Properties"]["Handler"],
            code_dir=ROOT / spec["Properties"]["CodeUri"],
            timeout_seconds=3,
            memory_mb=128,
            layer_dirs=(ROOT / "layers" / "core",),
        )
        assert callable(load_handler(function)), name


def test_the_nightly_schedule_runs_the_configured_tasks_as_a_batch_in_the_users_time_zone() -> None:
    machines = resources("AWS::Serverless::StateMachine")
    (scheduled,) = [name for name, spec in machines.items() if spec["Properties"].get("Events")]
    assert scheduled == "BatchWorkflow"
    schedule = machines[scheduled]["Properties"]["Events"]["Scheduled"]
    assert schedule["Type"] == "ScheduleV2"
    assert schedule["Properties"]["ScheduleExpressionTimezone"] == {"Ref": "ScheduleTimezone"}
    # NightlyTasks when given, else the one DataSyncTaskArn with its ScheduledOverrides.
    condition, task_list, single_task = schedule["Properties"]["Input"]["Fn::If"]
    assert condition == "HasNightlyTasks"
    assert "${NightlyTasks}" in task_list["Fn::Sub"] and "${NightlyMaxConcurrency}" in task_list["Fn::Sub"]
    assert "${DataSyncTaskArn}" in single_task["Fn::Sub"] and "${ScheduledOverrides}" in single_task["Fn::Sub"]
    assert schedule["Properties"]["State"] == {"Fn::If": ["HasScheduledWork", "ENABLED", "DISABLED"]}


def test_the_event_rule_listens_to_datasync_execution_state_changes_only() -> None:
    rules = [
        event["Properties"]["Pattern"]
        for spec in resources("AWS::Serverless::Function").values()
        for event in spec["Properties"].get("Events", {}).values()
        if event["Type"] == "EventBridgeRule"
    ]
    assert rules == [{"source": ["aws.datasync"], "detail-type": ["DataSync Task Execution State Change"]}]


def test_the_notification_and_alarm_topics_are_encrypted_with_a_customer_managed_key() -> None:
    topics = resources("AWS::SNS::Topic")
    assert set(topics) == {"NotificationTopic", "AlarmTopic"}
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "NotificationKey"}


def test_the_await_step_waits_on_a_task_token_with_a_timeout_from_the_state() -> None:
    definition = json.loads((ROOT / "statemachine" / "sync_workflow.asl.json").read_text())
    await_state = definition["States"]["Await Sync End"]
    assert await_state["Resource"].endswith(".waitForTaskToken")
    assert await_state["TimeoutSecondsPath"] == "$.taskExecution.timeoutSeconds"
    assert await_state["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
