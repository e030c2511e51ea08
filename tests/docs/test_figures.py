"""The figures the docs quote are what the benchmarks compute.

`make bench-docs` writes every benchmark table into the docs between `<!-- bench:NAME -->` markers
(benchmarks/doc_tables.py). These tests compute the same rows with the same code and compare every
column that does not depend on the machine; a measured column (seconds, speeds) is only checked to
be there, with the line naming the machine it was measured on. The figures prose quotes outside
the generated parts are checked here too. Rows that take more than a few seconds to compute are
marked `slow`: `make test` runs them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from benchmarks import batch, log_parser, notifications, state_size, state_transitions
from benchmarks.doc_tables import BENCHMARKS_PAGE, README, ROOT, Column, block, normalized, table_rows

DESIGN = ROOT / "docs" / "design.md"
# Every generated part, by page: a part missing from its page (or found on another) fails the test.
PARTS = {
    BENCHMARKS_PAGE: {
        "run-cost",
        "outage-cost",
        "batch-cost",
        "fleet-batch",
        "worst-batch",
        "worst-run-state",
        "message-sizes",
        "log-parser-speed",
        "log-parser-memory",
        "packages",
    },
    README: {"eight-hour-run"},
}
MACHINE = re.compile(
    r"Measured on \d{4}-\d\d-\d\d: \d+ cores \(\w+\), load average [\d.]+, [\d.]+, [\d.]+ when the benchmark "
    r"started, Python 3\.\d+\.\d+\."
)
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def part(name: str) -> str:
    page = next(page for page, names in PARTS.items() if name in names)
    return block(page.read_text(encoding="utf-8"), name)


def quoted_rows(name: str, key_cells: int = 1) -> dict[tuple[str, ...], tuple[str, ...]]:
    """The rows of a generated table, by their first `key_cells` cells."""
    return {row[:key_cells]: row for row in table_rows(part(name))}


def assert_quoted(
    name: str,
    columns: tuple[Column, ...],
    computed: tuple[str, ...],
    key_cells: int = 1,
) -> None:
    """The docs' row of table `name` that starts like `computed` has its fixed cells, and a measured
    cell where the table has a measured column."""
    quoted = quoted_rows(name, key_cells).get(computed[:key_cells])
    assert quoted is not None, f"docs/{name}: no row for {computed[:key_cells]}"

    compared = [column for column in columns if not column.measured]

    def settled(row: tuple[str, ...]) -> dict[str, str]:
        return {column.title: cell for cell, column in zip(row, columns, strict=True) if column in compared}

    assert settled(quoted) == settled(computed)
    for cell, column in zip(quoted, columns, strict=True):
        assert not column.measured or re.search(r"\d", cell), f"{column.title}: no measured figure in {quoted}"


def test_every_generated_part_is_marked_once_on_its_page() -> None:
    for page, names in PARTS.items():
        text = page.read_text(encoding="utf-8")
        for name in names:
            assert block(text, name), f"{page.name}: {name} is empty"
    found = {(page, name) for page in DOCS for name in re.findall(r"<!-- bench:([\w-]+) -->", page.read_text("utf-8"))}
    assert found == {(page, name) for page, names in PARTS.items() for name in names}


@pytest.mark.parametrize(
    "name", ["run-cost", "batch-cost", "fleet-batch", "message-sizes", "log-parser-speed", "packages"]
)
def test_each_measured_part_names_the_machine_it_was_measured_on(name: str) -> None:
    assert MACHINE.search(normalized(part(name))), f"{name}: no line naming the machine"


# --- the cost of one run ----------------------------------------------------------------------

run_row = cache(state_transitions.run_row)
outage_row = cache(state_transitions.outage_row)
CHEAP_RUNS = [("10 min", False), ("10 min", True), ("1 h", False), ("1 h", True), ("8 h", False)]
SLOW_RUNS = [("8 h", True), ("24 h", False), ("24 h", True)]


@pytest.mark.parametrize(
    ("length", "events_lost"),
    [*CHEAP_RUNS, *(pytest.param(*run, marks=pytest.mark.slow) for run in SLOW_RUNS)],
)
def test_the_cost_of_a_run_the_docs_quote_is_what_the_workflow_costs(length: str, events_lost: bool) -> None:
    # With events delivered, a 1-hour transfer ends at the very virtual moment the await step's timeout
    # expires: DataSync's event resumes the step at that moment, before the timeout, in every run.
    cells = run_row(length, events_lost).cells
    assert_quoted("run-cost", state_transitions.RUN_COLUMNS, cells, key_cells=2)


@pytest.mark.parametrize("hours", [1, *(pytest.param(hours, marks=pytest.mark.slow) for hours in (6, 20))])
def test_the_cost_of_waiting_out_an_outage_is_what_the_workflow_costs(hours: int) -> None:
    assert_quoted("outage-cost", state_transitions.OUTAGE_COLUMNS, outage_row(hours).cells)


def quoted_in_prose(page: Path, pattern: str) -> int:
    """The number `pattern`'s one group finds in `page`, line breaks read as blanks."""
    found = re.findall(pattern, normalized(page.read_text(encoding="utf-8")))
    assert len(found) == 1, f"{page.name}: {pattern!r} found {len(found)} times"
    return int(found[0])


def transitions(length: str, events_lost: bool) -> int:
    return int(run_row(length, events_lost).summary["state_transitions"])


def checks(length: str, events_lost: bool) -> int:
    return int(run_row(length, events_lost).cells[4])


def test_the_design_quotes_the_runs_costs_the_benchmark_measures() -> None:
    per_run = quoted_in_prose(DESIGN, r"Result: (\d+) transitions per successful run when events arrive")
    assert per_run == transitions("10 min", False) == transitions("1 h", False)

    # Each fallback check the stall watchdog adds while events flow (8 h: one per StallMinutes of 4 h).
    per_stall_check = quoted_in_prose(DESIGN, r"(\d+) more per `StallMinutes` of transfer")
    eight_hours = quoted_in_prose(DESIGN, r"\((\d+) for an 8-hour run\)")
    assert eight_hours == transitions("8 h", False)
    added_checks = checks("8 h", False) - checks("10 min", False)
    assert per_stall_check * added_checks == eight_hours - per_run

    # Each fallback interval when no event arrives.
    per_interval = quoted_in_prose(DESIGN, r"(\d+) per fallback interval when none arrive")
    added_checks = checks("1 h", True) - checks("10 min", True)
    assert per_interval * added_checks == transitions("1 h", True) - transitions("10 min", True)

    # What a fixed fallback timeout would cost an 8-hour transfer at 15 minutes, rounded as the design says.
    fixed_timeout = quoted_in_prose(DESIGN, r"an 8-hour transfer at 15 minutes: ~(\d+) extra transitions")
    assert round(per_interval * 8 * 3600 / state_transitions.DEFAULT_FALLBACK, -2) == fixed_timeout

    outage = quoted_in_prose(DESIGN, r"An hour-long outage with every event lost costs (\d+) state transitions")
    assert outage == outage_row(1).summary["state_transitions"]


def test_the_readme_quotes_the_real_time_of_the_eight_hour_run_the_benchmark_measured() -> None:
    # Real time depends on the machine: the figure is written by the benchmark, only its form is checked.
    assert re.fullmatch(r"\d+\.\d s", part("eight-hour-run"))
    assert "Each run took" in part("run-cost")


# --- a nightly batch ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("tasks", batch.DOC_TASKS)
def test_the_cost_of_a_nightly_batch_the_docs_quote_is_what_the_batch_costs(tasks: int) -> None:
    assert_quoted("batch-cost", batch.BATCH_COLUMNS, batch.batch_row(tasks).cells)


def test_what_a_batch_adds_per_task_is_what_the_batch_table_says() -> None:
    # The table itself is checked against the batch's runs above (slow); the sentence against the table.
    base, per_task = (
        quoted_in_prose(BENCHMARKS_PAGE, pattern)
        for pattern in (
            r"The batch itself costs (\d+) transitions whatever its size",
            r"its Map run (\d+) per task",
        )
    )
    for tasks, row in quoted_rows("batch-cost").items():
        assert int(row[1].replace(",", "")) == base, row
        assert int(row[2].replace(",", "")) == per_task * int(tasks[0]), row


def test_the_worst_batch_the_docs_quote_is_the_one_the_benchmark_computes() -> None:
    assert table_rows(part("worst-batch")) == list(batch.worst_batch_table().rows)


# --- the worst single run's state ---------------------------------------------------------------


def test_the_worst_runs_state_the_docs_quote_is_the_one_the_workflow_carries() -> None:
    _, sizes = state_size.measure(state_size.worst_run(state_size.DOC_ATTEMPTS, state_size.DOC_FILES))
    computed = state_size.worst_run_part(sizes)
    quoted = part("worst-run-state")
    assert table_rows(quoted) == table_rows(computed)
    assert normalized(quoted.split("\n\n", 1)[1]) == normalized(computed.split("\n\n", 1)[1])


# --- messages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("message", list(notifications.MESSAGES))
def test_each_message_weighs_what_the_docs_say(message: str) -> None:
    weighed = notifications.weigh(message)
    assert_quoted("message-sizes", notifications.COLUMNS, weighed.cells(message, render_ms="measured"))


# --- the log parser -----------------------------------------------------------------------------


def test_the_log_parser_finds_the_failures_the_docs_quote() -> None:
    quoted = [row[0] for row in table_rows(part("log-parser-speed"))]
    assert quoted == list(log_parser.speed_labels(*log_parser.failures_found()))
    for row in table_rows(part("log-parser-speed")):
        assert all(re.search(r"\d", cell) for cell in row[1:3]), f"no measured figure in {row}"


@pytest.mark.parametrize(
    "failures", [100_000, pytest.param(1_000_000, marks=pytest.mark.slow)], ids=["100,000", "1,000,000"]
)
def test_the_log_parser_counts_every_failure_the_docs_say_it_counts_in_little_memory(failures: int) -> None:
    # The peak is measured (it depends on the Python version); what was counted is not.
    assert_quoted("log-parser-memory", log_parser.MEMORY_COLUMNS, log_parser.memory_row(failures))
