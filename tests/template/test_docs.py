"""The docs agree with the template and the code: every link leads somewhere, the README's table of
`sam deploy --guided` prompts is the one SAM CLI asks, every parameter is documented with its default,
and every verdict a run or batch can end with has a row in the notifications page."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
PARAMETERS: dict[str, dict[str, Any]] = load_template(ROOT / "template.yaml")["Parameters"]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "events" / "scenarios" / "README.md"]

# What `sam deploy --guided` asks around the parameters, in its order (docs/aws-facts.md#aws-cli-used-in-the-docs).
PROMPTS_BEFORE = ["Stack Name", "AWS Region"]
PROMPTS_AFTER = [
    "Confirm changes before deploy",
    "Allow SAM CLI IAM role creation",
    "Disable rollback",
    "Save arguments to configuration file",
    "SAM configuration file",
    "SAM configuration environment",
]

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$", re.MULTILINE)
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


_HTML_ANCHOR = re.compile(r'<a (?:id|name)="([^"]+)"')


def anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    # A heading's slug, or an explicit HTML anchor (<a id="..."></a>) as GitHub renders it.
    return {slug(heading) for heading in _HEADING.findall(text)} | set(_HTML_ANCHOR.findall(text))


def links(path: Path) -> Iterator[str]:
    yield from _LINK.findall(_FENCE.sub("", path.read_text(encoding="utf-8")))


def table_rows(text: str, header: str) -> list[list[str]]:
    """The cells of each row of the Markdown table whose header line starts with `header`."""
    lines = text.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def documented_default(value: Any) -> str:
    return "empty" if value == "" else f"`{value}`"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_a_heading_that_exist(doc: Path) -> None:
    broken = []
    for target in links(doc):
        if re.match(r"[a-z]+:", target):
            continue  # a web page
        file_part, _, anchor = target.partition("#")
        path = (doc.parent / file_part).resolve() if file_part else doc
        if not path.exists():
            broken.append(f"{target}: no such file")
            continue
        if anchor and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor} in {path.relative_to(ROOT)}")
    assert not broken, broken


def test_the_readme_lists_every_prompt_of_sam_deploy_guided_in_the_order_sam_asks() -> None:
    rows = table_rows((ROOT / "README.md").read_text(encoding="utf-8"), "| # | prompt |")
    expected = PROMPTS_BEFORE + [f"Parameter {name}" for name in PARAMETERS] + PROMPTS_AFTER
    assert [row[1] for row in rows] == expected
    assert [row[0] for row in rows] == [str(number) for number in range(1, len(expected) + 1)]
    defaults = {row[1].removeprefix("Parameter "): row[2] for row in rows if row[1].startswith("Parameter ")}
    assert defaults == {name: documented_default(spec.get("Default", "")) for name, spec in PARAMETERS.items()}


def test_every_parameter_is_documented_with_the_template_default() -> None:
    rows = table_rows((ROOT / "docs" / "deploy.md").read_text(encoding="utf-8"), "| parameter | default |")
    documented = {row[0].strip("`"): row[1] for row in rows}
    expected = {name: documented_default(spec.get("Default", "")) for name, spec in PARAMETERS.items()}
    # The Powertools layer's default is the SSM parameter's name, written as where it comes from.
    expected["PowertoolsLayerArn"] = f"SSM {expected['PowertoolsLayerArn']}"
    assert documented == expected


def test_every_verdict_a_run_or_batch_can_end_with_has_a_row_in_the_notifications_page() -> None:
    sources = [*(ROOT / "layers").rglob("*.py"), *(ROOT / "statemachine").glob("*.asl.json")]
    named = re.compile(
        r"[\"'](?P<name>(?:Watchdog|DataSync|Outage|Start|StartSync|CheckSync|PlanNextAttempt|"
        r"ValidateSyncRequest|Batch)\.[A-Z][A-Za-z]+|InvalidSyncRequest|InvalidBatchRequest|ReportRunFailed)[\"']"
    )
    verdicts = {match["name"] for path in sources for match in named.finditer(path.read_text(encoding="utf-8"))}
    assert len(verdicts) > 20, "the pattern no longer finds the verdicts in the code"
    page = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    assert sorted(name for name in verdicts if f"`{name}`" not in page and f"({name})" not in page) == []


CODE = (
    "layers",
    "functions",
    "datasync_scheduler_cli",
    "emulator",
    "benchmarks",
    "tests",
    "statemachine",
    "observability",
)
_DOC_POINTER = re.compile(r"docs/([\w-]+\.md)#([\w-]+)")


def test_every_pointer_from_the_code_into_the_docs_leads_to_a_heading() -> None:
    # Comments say "docs/aws-facts.md#the-task-lease": a renamed heading must not leave them pointing nowhere.
    sources = [ROOT / "template.yaml", *(path for folder in CODE for path in sorted((ROOT / folder).rglob("*.*")))]
    broken = set()
    for source in sources:
        if source.suffix not in {".py", ".json", ".yaml", ".md"} or "__pycache__" in source.parts:
            continue
        for name, anchor in _DOC_POINTER.findall(source.read_text(encoding="utf-8")):
            doc = ROOT / "docs" / name
            if not doc.exists() or anchor not in anchors(doc):
                broken.add(f"{source.relative_to(ROOT)}: docs/{name}#{anchor}")
    assert not broken, sorted(broken)
