"""Runs the workflow scenario tests many times in a row while every core is kept busy, and counts failures.

The emulator's clock must not depend on how fast the machine is: every test decides on virtual
time only. This runs the given test files (default: the sync and batch workflow tests) N times
(default 20), each time in a fresh pytest process, while one CPU burner per core spins for the
whole stress run. It prints each run's result and, at the end, the count of runs, failed runs and
failed tests, and the real time. A figure, not a test: a failure here is a flake to find and fix.

Usage: python benchmarks/stress.py [-n RUNS] [--burners K] [--keep-going/--stop] [test files ...]
"""

from __future__ import annotations

import argparse
import multiprocessing
import multiprocessing.synchronize
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TESTS = ["tests/workflow/test_sync_workflow.py", "tests/workflow/test_batch_workflow.py"]
_SUMMARY = re.compile(r"(\d+) (passed|failed|error|errors)")


def burn(stop: multiprocessing.synchronize.Event, parent: int) -> None:
    """Keeps one core busy until `stop` is set, or the stress run is gone (killed outright)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the stress run's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    spins = 0
    while not stop.is_set() and os.getppid() == parent:
        for _ in range(100_000):
            spins += 1


@dataclass
class RunResult:
    index: int
    passed: int
    failed: int
    seconds: float
    failures: list[str]
    returncode: int


def run_once(index: int, tests: list[str]) -> RunResult:
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *tests],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    counts: Counter[str] = Counter()
    for number, outcome in _SUMMARY.findall(process.stdout.splitlines()[-1] if process.stdout else ""):
        counts["failed" if outcome.startswith(("failed", "error")) else "passed"] += int(number)
    failures = [line.split(" ", 1)[1] for line in process.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    if process.returncode != 0 and not failures:
        failures = [f"pytest exited with {process.returncode}: {process.stdout[-400:]}{process.stderr[-400:]}"]
    return RunResult(
        index, counts["passed"], counts["failed"], time.monotonic() - started, failures, process.returncode
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=20)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2, help="CPU burner processes (one per core)")
    parser.add_argument("--stop", action="store_true", help="stop at the first failed run")
    parser.add_argument("tests", nargs="*", default=DEFAULT_TESTS)
    args = parser.parse_args()

    # Stopped early (Ctrl-C, a kill): still print the summary of the runs that finished.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=burn, args=(stop, os.getpid()), daemon=True) for _ in range(args.burners)]
    for burner in burners:
        burner.start()
    print(f"{args.runs} runs of {' '.join(args.tests)}, with {args.burners} CPU burner(s) spinning", flush=True)
    started = time.monotonic()
    results: list[RunResult] = []
    interrupted = False
    try:
        for index in range(1, args.runs + 1):
            result = run_once(index, args.tests)
            results.append(result)
            verdict = "ok" if result.returncode == 0 else "FAILED"
            print(
                f"run {index:>3}: {verdict:<6} {result.passed} passed, {result.failed} failed, {result.seconds:.1f} s",
                flush=True,
            )
            for failure in result.failures:
                print(f"          {failure}", flush=True)
            if args.stop and result.returncode != 0:
                break
    except KeyboardInterrupt:
        interrupted = True
        print(f"interrupted during run {len(results) + 1}; it is not counted", flush=True)
    finally:
        stop.set()
        for burner in burners:
            burner.join(timeout=5)
    elapsed = time.monotonic() - started
    failed_runs = [result for result in results if result.returncode != 0]
    tests_run = sum(result.passed + result.failed for result in results)
    failed_tests = sum(result.failed for result in results)
    print(
        f"\n{len(results)} of {args.runs} runs, {len(failed_runs)} failed runs; "
        f"{tests_run} tests, {failed_tests} failed; "
        f"{elapsed:.0f} s real time ({elapsed / max(len(results), 1):.1f} s per run) with {args.burners} burner(s)"
    )
    return 1 if failed_runs else 2 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
