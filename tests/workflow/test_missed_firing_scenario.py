"""A firing that never arrived, on the emulated stack: the `missed-firing` scenario. The schedule's
firing of one night runs; the next night's never arrives. The Health Check after Scheduler could no
longer deliver it publishes one missed-firing message; a later check publishes nothing more."""

from typing import Any

import pytest

from emulator.scenario import ScenarioError
from tests.workflow.conftest import run


def attributes(notification: dict[str, Any]) -> dict[str, str]:
    return {name: value["Value"] for name, value in notification["attributes"].items()}


def test_the_firing_that_never_arrived_is_reported_once() -> None:
    summary = run("missed-firing")

    assert summary["status"] == "SUCCEEDED"  # the night that did arrive ran
    assert summary["health_checks"] == [
        {"at": "2026-11-23T02:00:00+00:00", "published": ["missed-firing#reports-nightly#2026-11-23T00:00:00Z"]},
        {"at": "2026-11-23T03:00:00+00:00", "published": []},
    ]
    (missed,) = [m for m in summary["notifications"] if attributes(m)["kind"] == "missed-firing"]
    assert attributes(missed)["schedule"] == "reports-nightly"
    assert attributes(missed)["route"] == "reports"
    assert missed["subject"] == "DataSync reports-nightly: the Mon 2026-11-23 00:00 UTC firing never ran (missed)"
    assert "no firing reached the stack by 2026-11-23 01:00 UTC, when Scheduler stops retrying it" in missed["message"]
    # The firing that did arrive is not called missed, and the next one is not due yet.
    assert "2026-11-22 00:00 UTC firing never ran" not in str(summary["notifications"])


def test_a_check_after_the_run_that_comes_too_early_is_refused_by_field() -> None:
    with pytest.raises(ScenarioError, match="healthChecksAfterRun: expected a list of virtual seconds"):
        run("missed-firing", healthChecksAfterRun=[3600])
