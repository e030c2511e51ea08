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
