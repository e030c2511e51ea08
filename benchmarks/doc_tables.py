"""The benchmarks' tables as Markdown, and the parts of the docs they write between markers.

Each benchmark renders its tables with `Table.markdown` only: the docs hold what it printed, and
`tests/docs/test_figures.py` renders its cheap rows with the same code and compares them with the
docs. A generated part of a page sits between `<!-- bench:NAME -->` and `<!-- /bench -->`; a part
that holds one line (a figure in a sentence) is written inline, a table on lines of its own.

Columns that depend on the machine (real seconds, speeds, render and import times) are `measured`:
each is written as the range over the runs of one invocation, and each page part that has any
ends with the line `machine_line()` gives (cores, load average, Python). The tests compare every
other column exactly and only check that a measured cell is there.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_PAGE = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"
END = "<!-- /bench -->"


def start_marker(name: str) -> str:
    return f"<!-- bench:{name} -->"


@dataclass(frozen=True)
class Column:
    title: str
    right: bool = True  # numbers align right, labels left
    measured: bool = False  # depends on the machine: a range over this invocation's runs


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {len(row)} cells in a table of {len(self.columns)} columns: {row}")

    def markdown(self) -> str:
        lines = [
            "| " + " | ".join(column.title for column in self.columns) + " |",
            "|" + "|".join("---:" if column.right else "---" for column in self.columns) + "|",
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def table_rows(markdown: str) -> list[tuple[str, ...]]:
    """The body rows of the first Markdown table in `markdown`, as stripped cells."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    return [tuple(cell.strip() for cell in line.strip().strip("|").split("|")) for line in lines[2:]]


def block(text: str, name: str) -> str:
    """What a page holds between the markers of `name` (stripped)."""
    start = start_marker(name)
    if text.count(start) != 1:
        raise LookupError(f"{start} must occur exactly once, found {text.count(start)}")
    begin = text.index(start) + len(start)
    end = text.find(END, begin)
    if end < 0:
        raise LookupError(f"{start} has no {END} after it")
    return text[begin:end].strip()


def replace_block(text: str, name: str, content: str) -> str:
    block(text, name)  # exactly one, and closed
    begin = text.index(start_marker(name)) + len(start_marker(name))
    end = text.index(END, begin)
    content = content.strip()
    inner = f"\n{content}\n" if "\n" in content or text[end - 1] == "\n" else content
    return text[:begin] + inner + text[end:]


def write_blocks(blocks: Mapping[Path, Mapping[str, str]]) -> None:
    """Writes each page's parts; refuses (before writing any page) if a marker is missing."""
    pages = {}
    for path, parts in blocks.items():
        text = path.read_text(encoding="utf-8")
        for name, content in parts.items():
            text = replace_block(text, name, content)
        pages[path] = text
    for path, text in pages.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {', '.join(blocks[path])} into {path.relative_to(ROOT)}")


def machine_line(python: str = platform.python_version()) -> str:
    """Where the measured columns were measured: the line under each part that has any. `python`: the
    version that ran the measured code, when another interpreter than this one ran it."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"Measured on {datetime.now(UTC):%Y-%m-%d}: {os.cpu_count()} cores ({platform.machine()}), "
        f"load average {load} when the benchmark started, Python {python}."
    )


def span(values: Iterable[float], form: str, unit: str = "") -> str:
    """The range of `values`, each formatted with `form` (low, an en dash and high; one figure when they agree)."""
    ordered = sorted(values)
    low, high = format(ordered[0], form), format(ordered[-1], form)
    return f"{low}{unit}" if low == high else f"{low}–{high}{unit}"


def count(value: int) -> str:
    return f"{value:,}"


def size(value: int) -> str:
    return f"{value:,} B"


def normalized(text: str) -> str:
    """`text` with every run of white space one blank, so that prose figures are found across line breaks."""
    return re.sub(r"\s+", " ", text)
