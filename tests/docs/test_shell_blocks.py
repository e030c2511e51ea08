"""Every shell block of the README and docs/ does what it says when pasted: the runnable ones run, in
reading order, in one bash session against the local stack as `local serve` serves it; the ones that
need an AWS account (or cannot run here, saying why) are checked for what can be checked without it:
the commands, subcommands and flags exist, the stack outputs and parameters they name exist in the
template, and the files and make targets they use exist."""

import json
import os
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from datasync_scheduler.workflow import events
from emulator.scenario import load_scenario, parse_scenario
from emulator.server import LocalStackServer, serve_local_stack
from emulator.template import load_template
from tests.docs.blocks import NOT_RUN, ROOT, SHELL, Block, all_blocks

# An 8-hour transfer in about a second and a half: `watch` and `run --watch` end when the run ends.
SPEED = 20000.0
# What `local serve` prints and the docs tell the reader to export; the test serves on a free port.
DOCUMENTED_ENDPOINT = "http://127.0.0.1:4566"
BIN = ROOT / ".venv" / "bin"

BLOCKS = all_blocks()
SHELL_BLOCKS = [block for block in BLOCKS if block.lang in SHELL | {"console"}]
RUNNABLE = [block for block in SHELL_BLOCKS if block.runnable]

TEMPLATES = {
    "datasync-scheduler": load_template(ROOT / "template.yaml"),
    "s3-to-efs": load_template(ROOT / "examples" / "s3-to-efs" / "template.yaml"),
}


@pytest.fixture(scope="module")
def served() -> Iterator[LocalStackServer]:
    # The stack `datasync-scheduler local serve` serves by default: its scenario, its stack name.
    with serve_local_stack(port=0, speed=SPEED, scenario=load_scenario("nightly-success")) as server:
        yield server


def test_every_shell_block_either_runs_here_or_says_why_not() -> None:
    unmarked = [
        block.where
        for block in SHELL_BLOCKS
        if block.lang in SHELL
        and not block.runnable
        and not (block.needs_aws or block.not_run_reason)  # a marker with an empty reason
    ]
    assert not unmarked, f"blocks marked `{NOT_RUN}` without a reason: {unmarked}"
    assert RUNNABLE, "no runnable block found: the extractor is broken"


def _script(blocks: list[Block], endpoint: str) -> str:
    parts = ["set -euo pipefail"]
    for block in blocks:
        parts.append(f"echo \"$SECONDS s\" >&2; echo '>>> {block.where}' >&2")
        parts.append(block.text.replace(DOCUMENTED_ENDPOINT, endpoint))
    return "\n".join(parts) + "\necho '>>> all blocks ran' >&2\n"


@pytest.mark.slow
def test_every_runnable_block_runs_in_reading_order_against_the_local_stack(
    served: LocalStackServer, tmp_path: Path
) -> None:
    before = set(ROOT.iterdir())
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),  # no ~/.aws of the machine's: the docs' exports are all the AWS setup there is
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }
    result = subprocess.run(
        ["bash", "-c", _script(RUNNABLE, served.endpoint)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for created in set(ROOT.iterdir()) - before:
        if created.is_file():
            created.unlink()  # batch.json, events.json: what the blocks write into the working directory
    markers = re.findall(r"^>>> (.*)$", result.stderr, re.MULTILINE)
    failed_in = markers[-1] if markers else "before the first block"
    assert result.returncode == 0 and failed_in == "all blocks ran", (
        f"the block at {failed_in} failed with status {result.returncode}\n"
        f"--- stdout (end)\n{result.stdout[-3000:]}\n--- stderr (end)\n{result.stderr[-3000:]}"
    )


# --- Checked only: what can be checked without an AWS account ------------------------------------

_FLAG = re.compile(r"^--[a-z][a-z0-9-]*")
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_REPO_PATH = re.compile(r"^(?:file://)?((?:examples|events|tests|docs|layers|functions)/[\w./-]+)$")
_MAKE_TARGET = re.compile(r"^([\w-]+):", re.MULTILINE)
# `aws logs tail` exists only in AWS CLI v2 (the README lists v2 as the prerequisite).
AWS_CLI_V2_ONLY = {("logs", "tail")}


def _split(words: list[str], depth: int) -> tuple[list[str], list[str]]:
    """The leading subcommand words (at most `depth`) and every long flag after them."""
    path: list[str] = []
    for word in words:
        if len(path) == depth or not _NAME.match(word):
            break
        path.append(word)
    flags = [match.group(0) for word in words[len(path) :] if (match := _FLAG.match(word))]
    return path, flags


@cache
def _help(*command: str) -> str | None:
    """The help text of an installed command, or None when it does not exist (non-zero exit)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "PAGER": "cat", "SAM_CLI_TELEMETRY": "0"}
    help_args = ["help"] if command[0] == "aws" else ["--help"]
    result = subprocess.run([*command, *help_args], env=env, capture_output=True, text=True, timeout=60, check=False)
    return result.stdout + result.stderr if result.returncode == 0 else None


def _mentions(help_text: str, flag: str) -> bool:
    return re.search(rf"{re.escape(flag)}(?![\w-])", help_text) is not None


@cache
def _installed(program: str) -> bool:
    return subprocess.run(["bash", "-c", f"command -v {program}"], capture_output=True, check=False).returncode == 0


@cache
def _aws_cli_v2() -> bool:
    version = subprocess.run(["aws", "--version"], capture_output=True, text=True, check=False)
    return (version.stdout + version.stderr).startswith("aws-cli/2.")


def _problems(block: Block) -> Iterator[str]:
    for words in block.invocations("datasync-scheduler"):
        path, flags = _split(words, 2)
        text = _help("datasync-scheduler", *path[:1]) if path else None
        if text is None:
            yield f"datasync-scheduler {' '.join(path[:1])}: no such command"
            continue
        if path[0] == "local" and len(path) > 1:
            text = _help("datasync-scheduler", *path)
        yield from (
            f"datasync-scheduler {' '.join(path)}: no flag {flag}" for flag in flags if not _mentions(text or "", flag)
        )
    for words in block.invocations("sam"):
        path, flags = _split(words, 1)
        text = _help(str(BIN / "sam"), *path)
        if text is None:
            yield f"sam {' '.join(path)}: no such command"
            continue
        yield from (f"sam {' '.join(path)}: no flag {flag}" for flag in flags if not _mentions(text, flag))
        yield from _parameter_overrides(words)
    if _installed("aws"):
        for words in block.invocations("aws"):
            path, flags = _split(words, 3 if words[1:2] == ["wait"] else 2)
            if tuple(path) in AWS_CLI_V2_ONLY and not _aws_cli_v2():
                continue  # not checkable with the AWS CLI v1 installed here
            text = _help("aws", *path)
            if text is None:
                yield f"aws {' '.join(path)}: no such command"
                continue
            yield from (f"aws {' '.join(path)}: no flag {flag}" for flag in flags if not _mentions(text, flag))
            yield from _parameter_overrides(words)
    targets = set(_MAKE_TARGET.findall((ROOT / "Makefile").read_text(encoding="utf-8")))
    for words in block.invocations("make"):
        yield from (f"make {word}: no such target" for word in words if _NAME.match(word) and word not in targets)
    outputs = TEMPLATES["datasync-scheduler"]["Outputs"]
    for words in block.invocations("out"):
        if words[0] not in outputs:
            yield f"out {words[0]}: template.yaml has no such output"
    for words in block.invocations("stack_output"):
        stack, key = words[:2]
        if key not in TEMPLATES[stack]["Outputs"]:
            yield f"stack_output {stack} {key}: that stack's template has no such output"
    resources = TEMPLATES["datasync-scheduler"]["Resources"]
    for line in block.command_lines():
        for logical_id in re.findall(r"--logical-resource-id\s+(\w+)", line):
            if logical_id not in resources:
                yield f"{logical_id}: template.yaml has no such resource"
        for word in line.split():
            if (match := _REPO_PATH.match(word.strip("'\""))) and not (ROOT / match.group(1)).exists():
                yield f"{match.group(1)}: no such file"


def _parameter_overrides(words: list[str]) -> Iterator[str]:
    if "--parameter-overrides" not in words:
        return
    # The template deployed: `--template-file` names another one (the member stack's), else the stack's own.
    path = words[words.index("--template-file") + 1] if "--template-file" in words else "template.yaml"
    parameters = load_template(ROOT / path)["Parameters"] if (ROOT / path).is_file() else {}
    for word in words[words.index("--parameter-overrides") + 1 :]:
        name, equals, _ = word.partition("=")
        if equals and re.match(r"^[A-Z]\w*$", name) and name not in parameters:
            yield f"--parameter-overrides {name}: {path} has no such parameter"


@pytest.mark.slow
@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=lambda block: block.where)
def test_each_shell_block_names_only_commands_flags_outputs_files_and_targets_that_exist(block: Block) -> None:
    assert list(_problems(block)) == []


# --- JSON examples: each validated against the model it documents --------------------------------

JSON_BLOCKS = [block for block in BLOCKS if block.lang == "json"]


def _validate(block: Block, whole_scenario: dict[str, Any]) -> None:
    text = block.text.strip()
    if text.startswith('"faults"'):
        # A fragment: the `faults` field of a scenario, shown alone; validated inside the whole example.
        parse_scenario(f"fragment-{block.line}", {**whole_scenario, **json.loads("{" + text + "}")})
        return
    raw = json.loads(text)
    if raw.get("source") == events.SOURCE:
        # An event of docs/events.md: valid for the schema the stack publishes for its detail type.
        jsonschema.validate(raw, events.event_schema(raw["detail-type"]), cls=jsonschema.Draft4Validator)
        return
    assert "description" in raw, f"{block.where}: a JSON example this test knows no model for"
    parse_scenario(f"example-{block.line}", raw)


@pytest.mark.parametrize("block", JSON_BLOCKS, ids=lambda block: block.where)
def test_each_json_example_is_valid_for_the_model_it_documents(block: Block) -> None:
    # A JSON example documents a scenario file or an event; the first whole scenario hosts the fragments.
    whole = next(
        json.loads(other.text)
        for other in JSON_BLOCKS
        if other.text.lstrip().startswith("{") and "description" in json.loads(other.text)
    )
    _validate(block, whole)


# --- Console examples that need no stack: the output shown is the output printed ------------------

# A console example that talks to a stack (history, watch, local serve) or uses a variable shows output
# of one moment; one that reads only files of this repository prints the same output every time.
_NEEDS_A_STACK = re.compile(r"\$|local serve|history|watch|run ")
STANDALONE_CONSOLE = [
    block
    for block in BLOCKS
    if block.lang == "console" and not any(_NEEDS_A_STACK.search(line) for line in block.command_lines())
]


@pytest.mark.parametrize("block", STANDALONE_CONSOLE, ids=lambda block: block.where)
def test_each_console_example_that_needs_no_stack_prints_what_it_shows(block: Block) -> None:
    printed = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            result = subprocess.run(
                ["bash", "-c", line[2:]],
                cwd=ROOT,
                env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            printed.append(line)
            printed.extend(result.stdout.splitlines())
    assert printed == block.text.splitlines()
