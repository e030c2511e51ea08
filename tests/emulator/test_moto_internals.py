"""The emulator's reliance on moto's internals: one module, guarded by moto's version, and every
hook it sets is undone when the emulated account closes."""

import importlib.metadata
import importlib.util
import re
import threading
from pathlib import Path

import boto3
import pytest

from emulator import moto_internals
from emulator.local_aws import local_aws

ROOT = Path(__file__).resolve().parents[2]


def test_an_untested_moto_is_refused_naming_both_versions_and_what_to_do() -> None:
    with pytest.raises(moto_internals.UntestedMotoVersion) as refused:
        moto_internals.check_moto_version("9.9.9")
    message = str(refused.value)
    assert "moto 9.9.9 is installed" in message
    assert all(version in message for version in moto_internals.TESTED_MOTO_VERSIONS)
    assert "constraints.txt" in message and "TESTED_MOTO_VERSIONS" in message


def test_importing_the_emulator_with_an_untested_moto_fails_at_import(monkeypatch: pytest.MonkeyPatch) -> None:
    real_version = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "9.9.9" if name == "moto" else real_version(name))
    spec = importlib.util.spec_from_file_location("moto_internals_on_moto_9", moto_internals.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(ImportError, match=r"moto 9\.9\.9 is installed"):
        spec.loader.exec_module(module)


def test_the_tested_version_is_the_one_the_project_pins() -> None:
    pins = re.findall(r"^moto==(\S+)$", (ROOT / "constraints.txt").read_text(), re.MULTILINE)
    declared = re.findall(r'"moto\[[^\]]*\]==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pins == declared == [importlib.metadata.version("moto")]
    assert pins[0] in moto_internals.TESTED_MOTO_VERSIONS


def test_no_other_emulator_module_reaches_into_moto() -> None:
    # `mock_aws` is moto's public entry point; everything else goes through moto_internals.
    for path in sorted((ROOT / "emulator").glob("*.py")):
        if path.name == "moto_internals.py":
            continue
        for line in path.read_text().splitlines():
            code = line.split("#", 1)[0]
            if re.search(r"^\s*(from|import) moto\b", code):
                assert code.strip() == "from moto import mock_aws", f"{path.name}: {line.strip()}"


def test_every_hook_is_undone_when_the_emulated_account_closes() -> None:
    modules = [*moto_internals._INTERPRETER_THREADING_MODULES]
    named = [(module, name) for module, name in moto_internals._FROM_IMPORTS]
    classes = [
        (moto_internals.WaitFunction, "_wait_interval"),
        (moto_internals.state_task_service_callback.StateTaskServiceCallback, "_eval_sync"),
        (moto_internals.BaseExecutionWorkerCommunication, "terminated"),
        (moto_internals.error_equals_decl.ErrorEqualsDecl, "_eval_body"),
        (moto_internals.StateTaskServiceSfn, "_normalise_parameters"),
        (moto_internals.StateTaskServiceSfn, "_normalise_response"),
        (moto_internals.SNSBackend, "publish"),
        (moto_internals.FilterPolicyMatcher, "matches"),
        (moto_internals.Subscription, "publish"),
    ]
    before = (
        [vars(module)["threading"] for module in modules],
        [vars(module)[name] for module, name in named],
        [(vars(owner).get(name), getattr(owner, name)) for owner, name in classes],
        vars(moto_internals.retrier_decl)["time"],
        vars(moto_internals.moto.logs.models)["utcnow"],
    )
    with local_aws():
        assert all(vars(module)["threading"] is not threading for module in modules)
        assert all(
            getattr(owner, name) is not original
            for (owner, name), (_, original) in zip(classes, before[2], strict=True)
        )
    after = (
        [vars(module)["threading"] for module in modules],
        [vars(module)[name] for module, name in named],
        [(vars(owner).get(name), getattr(owner, name)) for owner, name in classes],
        vars(moto_internals.retrier_decl)["time"],
        vars(moto_internals.moto.logs.models)["utcnow"],
    )
    assert after == before
    assert all(module is threading for module in after[0])


def test_an_assumed_roles_credentials_are_the_roles_account_as_moto_serves_them() -> None:
    with local_aws():
        session = boto3.client("sts", region_name="us-east-1").assume_role(
            RoleArn="arn:aws:iam::222222222222:role/DataSyncSchedulerMember", RoleSessionName="session"
        )
        assert moto_internals.account_of_access_key(session["Credentials"]["AccessKeyId"]) == "222222222222"
        assert moto_internals.account_of_access_key("AKIAUNKNOWNKEY000000") == "123456789012"
