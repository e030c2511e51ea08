"""What the docs show the CLI printing against the local stack is what it prints: `local serve`'s banner,
the end of `watch` and a line of `history`, for the scenario `local serve` serves by default.

Only what does not depend on the moment is compared: the ports the test serves on, the time a run ended
and the progress lines `watch` samples while the run goes (how many there are depends on the machine's
speed) are left out; the rest is compared line for line.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
from collections.abc import Iterator

import pytest

from datasync_scheduler_cli import cli
from emulator.scenario import load_scenario
from emulator.server import LocalStackServer, serve_local_stack
from tests.docs.blocks import ROOT, all_blocks

# An 8-hour transfer in about a second and a half of real time.
SPEED = 20000.0
DOCUMENTED_ENDPOINT = "http://127.0.0.1:4566"
pytestmark = pytest.mark.slow  # it serves the emulated stack over HTTP and runs a transfer on it


def console_outputs(doc: str, command: str) -> list[list[str]]:
    """The output lines each console block of `doc` shows after `$ command`, up to the next `$ ` line."""
    outputs = []
    for block in all_blocks():
        lines = block.text.splitlines()
        if block.lang == "console" and block.doc == ROOT / doc and f"$ {command}" in lines:
            after = lines[lines.index(f"$ {command}") + 1 :]
            outputs.append(after[: next((i for i, line in enumerate(after) if line.startswith("$ ")), len(after))])
    assert outputs, f"{doc}: no console block runs `{command}`"
    return outputs


@pytest.fixture(scope="module")
def served() -> Iterator[LocalStackServer]:
    with serve_local_stack(port=0, speed=SPEED, scenario=load_scenario("nightly-success")) as server:
        yield server


def cli_prints(served: LocalStackServer, *args: str) -> list[str]:
    """What `datasync-scheduler ARGS` prints, run as the reader runs it with the exports `local serve` prints."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": served.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "datasync-scheduler"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"datasync-scheduler {' '.join(args)}: {result.returncode}\n{result.stderr}"
    return result.stdout.splitlines()


def test_the_local_serve_banner_is_the_one_the_docs_show(
    served: LocalStackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # The banner of `datasync-scheduler local serve` with its defaults, here served on a free port.
    cli._print_banner(served, argparse.Namespace(speed=600.0, scenario="nightly-success"))
    printed = capsys.readouterr().out.replace(served.endpoint, DOCUMENTED_ENDPOINT).splitlines()
    assert [printed] == console_outputs("docs/local-emulator.md", "datasync-scheduler local serve")


def test_a_watched_run_and_its_line_of_history_end_as_the_docs_show(served: LocalStackServer) -> None:
    watched = cli_prints(served, "run", "--task", served.task_arns[0], "--watch", "--interval", "0.2")
    [documented] = console_outputs("docs/operating.md", "cat watch.log")
    # The progress lines are samples (as many as the interval catches); the last phase and the verdict are not.
    assert watched[-2:] == documented[-2:]

    header, line = cli_prints(served, "history", "--limit", "1")
    # The block that shows a run (another shows the error when no stack answers).
    [(documented_header, documented_line)] = [
        output
        for output in console_outputs("docs/operating.md", "datasync-scheduler history")
        if output[0].startswith("ENDED")
    ]
    assert header == documented_header
    ended = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")  # when the run ended: today, here
    assert ended.sub("<ended>", line) == ended.sub("<ended>", documented_line)
