"""The figures the docs quote that need no run to compute: they must be what the benchmark prints."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasync_scheduler.domain import batch as batch_domain
from tests.unit.test_batch import REALISTIC_CAUSE, THEORETICAL_CAUSE, worst_state_sizes

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "docs" / "benchmarks.md"


def quoted_worst_batch() -> dict[str, list[int]]:
    """The worst-batch table of docs/benchmarks.md: its label -> bytes for 50 and for 100 tasks."""
    lines = BENCHMARKS.read_text(encoding="utf-8").splitlines()
    start = lines.index("| | 50 tasks | 100 tasks | where |")
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        label, fifty, hundred, _ = (cell.strip() for cell in line.strip("|").split("|"))
        rows[label] = [int(cell.removesuffix(" B").replace(",", "")) for cell in (fifty, hundred)]
    return rows


@pytest.mark.parametrize(("column", "tasks"), [(0, 50), (1, 100)])
def test_the_worst_batch_the_docs_quote_is_the_one_the_benchmark_computes(
    column: int, tasks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # benchmarks/batch.py raises the batch's limit for 100 tasks the same way, for that computation only.
    monkeypatch.setattr(batch_domain, "MAX_TASKS", max(tasks, batch_domain.MAX_TASKS))
    realistic = worst_state_sizes(tasks, REALISTIC_CAUSE)
    theoretical = worst_state_sizes(tasks, THEORETICAL_CAUSE)
    after_validation = {step: size for step, size in realistic.items() if not step.startswith("Validate Batch")}

    quoted = {label: sizes[column] for label, sizes in quoted_worst_batch().items()}
    assert quoted == {
        "realistic: largest state": max(realistic.values()),
        "realistic: largest after validation": max(after_validation.values()),
        "theoretical: largest state": max(theoretical.values()),
    }
