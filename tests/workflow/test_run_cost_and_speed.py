"""What each run cost, and whether it was slower than usual: in its message, its history and its metrics."""

import pytest

from tests.workflow.conftest import run


def test_a_nights_run_says_what_it_cost_in_its_message_and_its_history() -> None:
    summary = run("nightly-success")

    (notification,) = [n for n in summary["notifications"] if n["subject"].endswith(": sync succeeded")]
    # 50 GiB copied in Basic mode at $0.0125 per GB: DataSync's part is about $0.67, in every medium.
    assert "about $0.671 (DataSync $0.671" in notification["message"]
    for medium, text in notification["structured"].items():
        assert "about $0.671" in text, medium
    (line,) = summary["history"]
    assert line["estimatedCostUsd"] == pytest.approx(0.6715, abs=0.001)
    assert line["transferBytesPerSecond"] == pytest.approx(53687091200 / 28800, rel=0.01)
    # The task's first run: nothing to compare its speed with, and the message says so.
    assert "not compared: no earlier successful run of the task to compare with" in notification["message"]


def test_a_run_three_times_slower_than_its_last_ten_nights_warns_naming_the_slow_phase() -> None:
    summary = run("slower-than-usual")

    assert summary["status"] == "SUCCEEDED"
    (notification,) = [n for n in summary["notifications"] if n["subject"].endswith(": sync succeeded")]
    # 50 GiB in 8 hours is 1.86 MB/s; the ten successful nights before had a median of 6.03 MB/s.
    assert (
        "Slower than usual: TRANSFERRING ran 3.2x slower than usual: 1.8 MiB/s against a median of 5.7 MiB/s "
        "over the task's last 10 successful runs."
    ) in notification["message"]
    for medium, text in notification["structured"].items():
        assert "TRANSFERRING ran 3.2x slower than usual" in text, medium
    # PREPARING (66.7 files/s) and VERIFYING (13.3 files/s) were as usual: not named.
    assert "PREPARING ran" not in notification["message"] and "VERIFYING ran" not in notification["message"]
    assert summary["output"]["speed"]["slow"][0]["phase"] == "TRANSFERRING"
    # The run's own line keeps its rates: the next night's baseline.
    (line,) = [
        line for line in summary["history"] if line["workflowExecution"] == summary["output"]["workflowExecution"]
    ]
    assert line["transferBytesPerSecond"] == pytest.approx(53687091200 / 28800, rel=0.01)
