"""The fenced blocks of the docs, as a reader sees them: which file and line, which language, and what
the block's first line says about where it can run."""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# In the order a newcomer reads them: the README, then the operator's page that sets up the shell
# (credentials, STACK, out, TASK) the other pages build on, then the rest.
DOCS = [
    ROOT / "README.md",
    ROOT / "docs" / "operating.md",
    *sorted(path for path in (ROOT / "docs").glob("*.md") if path.name != "operating.md"),
    ROOT / "events" / "scenarios" / "README.md",
]

NEEDS_AWS = "# needs an AWS account"
NOT_RUN = "# not run by the docs tests:"
SHELL = {"bash", "sh", "shell"}

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # of the opening fence
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"

    @property
    def needs_aws(self) -> bool:
        return self.text.startswith(NEEDS_AWS)

    @property
    def not_run_reason(self) -> str | None:
        first = self.text.partition("\n")[0]
        return first.removeprefix(NOT_RUN).strip() if first.startswith(NOT_RUN) else None

    @property
    def runnable(self) -> bool:
        return self.lang in SHELL and not self.needs_aws and self.not_run_reason is None

    def command_lines(self) -> list[str]:
        """The block's commands, one a line: continuations joined, trailing comments dropped; in a
        console block only the `$ ` lines (the rest is output)."""
        lines = self.text.splitlines()
        if self.lang == "console":
            lines = [line[2:] for line in lines if line.startswith("$ ")]
        joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
        return [_COMMENT.sub("", line) for line in joined.splitlines() if not line.lstrip().startswith("#")]

    def invocations(self, program: str) -> list[list[str]]:
        """The words after each call of `program` (bare or from .venv/bin) up to the end of its command."""
        pattern = re.compile(rf"(?:^\s*|\$\(|[|;&`]\s*)(?:\.venv/bin/)?{re.escape(program)}\s+((?:(?!\$\()[^|;)`])*)")
        return [match.group(1).split() for line in self.command_lines() for match in pattern.finditer(line)]


_COMMENT = re.compile(r"\s+#\s.*$")


def blocks(doc: Path) -> Iterator[Block]:
    text = doc.read_text(encoding="utf-8")
    for match in _FENCE.finditer(text):
        yield Block(doc, text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2))


def all_blocks() -> list[Block]:
    return [block for doc in DOCS for block in blocks(doc)]
