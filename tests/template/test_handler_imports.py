"""What each function imports when Lambda loads its handler: only what its step uses.

Each handler is loaded in a fresh interpreter, as a cold start would load it, and the modules it
pulled in (directly or through any other module) are read from `sys.modules`. slack_sdk is packaged
with the Slack notifier only (functions/notify_slack/requirements.txt): any other function that
imported it would fail on Lambda with ModuleNotFoundError.
"""

import json
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from emulator.template import load_template
from tests.template.test_function_environments import DEPLOYED_WITH
from tests.template_environment import function_environment

ROOT = Path(__file__).resolve().parents[2]
SLACK_NOTIFIER = "NotifySlackFunction"

LOAD = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""


def functions() -> dict[str, Path]:
    resources = load_template(ROOT / "template.yaml")["Resources"]
    return {
        name: ROOT / spec["Properties"]["CodeUri"] / "app.py"
        for name, spec in resources.items()
        if spec["Type"] == "AWS::Serverless::Function"
    }


@cache
def modules_imported_by(function: str, *, traced: bool = False) -> frozenset[str]:
    # The function's own environment, as the template sets it: a module may read its settings at import.
    environment = function_environment(function, **DEPLOYED_WITH.get(function, {}))
    environment |= {"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    if traced:
        # As on Lambda, where Powertools' Tracer is on (and patches at import); elsewhere it is off.
        # (Powertools tells Lambda by LAMBDA_TASK_ROOT, the function's code folder.)
        environment |= {"AWS_LAMBDA_FUNCTION_NAME": function, "LAMBDA_TASK_ROOT": str(functions()[function].parent)}
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD, str(functions()[function])],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return frozenset(json.loads(loaded.stdout.splitlines()[-1]))


def top_level(modules: frozenset[str]) -> set[str]:
    return {module.split(".")[0] for module in modules}


@pytest.mark.parametrize("function", sorted(set(functions()) - {SLACK_NOTIFIER}))
def test_no_function_but_the_slack_notifier_imports_slack_sdk(function: str) -> None:
    assert "slack_sdk" not in top_level(modules_imported_by(function)), function


def test_the_slack_notifier_does_import_slack_sdk_so_the_check_above_can_see_it() -> None:
    assert "slack_sdk" in top_level(modules_imported_by(SLACK_NOTIFIER))


NOTIFIER_MODULES = {"datasync_scheduler.workflow.slack_delivery", "datasync_scheduler.adapters.slack_webhook"}

IMPORT_ALL_WITHOUT_SLACK_SDK = """
import importlib, json, pkgutil, sys
sys.modules["slack_sdk"] = None  # as on every function but the notifier: not installed
import datasync_scheduler
refused = []
for found in pkgutil.walk_packages(datasync_scheduler.__path__, "datasync_scheduler."):
    try:
        importlib.import_module(found.name)
    except ImportError:
        refused.append(found.name)
print(json.dumps(refused))
"""


def test_only_the_notifiers_modules_of_the_core_layer_need_slack_sdk() -> None:
    """The core layer goes to every function; slack_sdk only to the notifier. Rendering Block Kit is
    plain data (messages/slack_blocks.py): only posting it needs slack_sdk."""
    environment = {"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    loaded = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL_WITHOUT_SLACK_SDK],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert set(json.loads(loaded.stdout.splitlines()[-1])) == NOTIFIER_MODULES


# What only the analysis, the retry's planning or the report use: the log parser and the log and
# report readers, the manifest upload, and the message's renderers (email, Slack, Chatbot).
ANALYSIS_AND_MESSAGES = {
    "datasync_scheduler.workflow.analyze_run",
    "datasync_scheduler.domain.log_parser",
    "datasync_scheduler.domain.task_report",
    "datasync_scheduler.adapters.execution_logs",
    "datasync_scheduler.adapters.task_reports",
    "datasync_scheduler.adapters.failure_report",
    "datasync_scheduler.adapters.s3_lines",
    "datasync_scheduler.domain.retry_scope",
    "datasync_scheduler.messages.message",
    "datasync_scheduler.messages.email",
    "datasync_scheduler.messages.chatbot",
    "datasync_scheduler.messages.slack_blocks",
    "datasync_scheduler.messages.publication",
}


@pytest.mark.parametrize(
    "function", ["CheckSyncFunction", "StartSyncFunction", "AwaitSyncEndFunction", "ExecutionEventsFunction"]
)
def test_the_watching_steps_load_no_log_parser_no_report_reader_and_no_message_renderer(function: str) -> None:
    assert not modules_imported_by(function) & ANALYSIS_AND_MESSAGES, function


# X-Ray's botocore patch and the helpers it imports itself.
BOTOCORE_PATCH = {"botocore", "boto_utils", "util"}


@pytest.mark.parametrize("function", sorted(functions()))
def test_x_ray_patches_only_botocore_through_which_every_aws_call_goes(function: str) -> None:
    """X-Ray's default patches every library it knows, importing each at a cold start; a subsegment
    per AWS call needs botocore's patch only."""
    modules = modules_imported_by(function, traced=True)
    patched = {name.split(".")[2] for name in modules if name.startswith("aws_xray_sdk.ext.")}
    traced = "Tracer(" in functions()[function].read_text(encoding="utf-8")
    assert patched == (BOTOCORE_PATCH if traced else set()), function


SCHEDULES_LAYER_LIBRARIES = {"yaml", "pyawscron"}


@pytest.mark.parametrize("function", sorted(functions()))
def test_only_a_function_with_the_schedules_layer_imports_what_that_layer_ships(function: str) -> None:
    """PyYAML and pyawscron are in the schedules layer only (schedules/requirements.txt): a function
    without that layer that imported them would fail on Lambda with ModuleNotFoundError."""
    layers = load_template(ROOT / "template.yaml")["Resources"][function]["Properties"].get("Layers", [])
    has_layer = {"Ref": "SchedulesLayer"} in layers
    imported = top_level(modules_imported_by(function)) & SCHEDULES_LAYER_LIBRARIES
    assert has_layer or not imported, f"{function} imports {sorted(imported)} without the schedules layer"


def test_the_schedules_layer_pins_what_the_tests_run_against() -> None:
    constraints = dict(
        line.split("==", 1) for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line
    )
    for line in (ROOT / "schedules" / "requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==", 1)
            assert constraints.get(name) == version, f"schedules/requirements.txt {line}: constraints.txt differs"
