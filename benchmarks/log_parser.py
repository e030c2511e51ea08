"""Prints how fast the log parser reads two DataSync logs, as ratios to a bare line read, and its memory.

Two logs, written to temporary files before any timing (start-up excluded):

- a TRANSFER-level log: one stream, 1,000,000 lines, about 97 % lines about files that transferred
  and verified, and a few hundred failures (AWS's published one-line examples and verification
  groups, tests/fixtures/aws/logs). AWS publishes no example of a success line; the ones here are
  this benchmark's own, and what matters about them is what any success line lacks: the markers
  that start a failure (`log_parser._MARKERS`).
- the failure-dense log: 1,000,000 Basic-mode lines over 4 interleaved streams (about 60 % in
  verification groups, 20 % one-line errors, 20 % lines that are not failures).

For each it times a bare read of the file line by line (the floor any line reader pays), the parser
fed line by line (`LogParser.feed`), and, for the one-stream log, the parser fed 64 KiB blocks of
whole lines (`LogParser.feed_lines`, which skips the lines between failure markers). It then
measures with tracemalloc the peak memory of parsing logs of 100,000 and 1,000,000 failures while
only counting them. Figures, not assertions. The tables are Markdown, each time the range over
the runs (a bare read and each parser run one after the other in each run, so that a ratio compares
times taken together); `--write-docs` also writes them into docs/benchmarks.md.

Usage: python benchmarks/log_parser.py [--lines N] [--write-docs]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.log_parser import LogParser, parse_events

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.doc_tables import BENCHMARKS_PAGE, Column, Table, count, machine_line, span, write_blocks

STREAMS = 4
RUNS = 3  # each timing is given as the range over this many runs
DOC_LINES = 1_000_000  # the logs' length the docs quote
# Units per kind, chosen so that lines split about 60/20/20: a group is 4.8 lines on average
# (one in ten is a 3-line "only at the destination" group), the other units one line each.
UNIT_WEIGHTS = {"group": 12.5, "error": 20.0, "noise": 20.0}
HASHES = [f"{i:064x}" for i in range(1, 64)]


def path_of(n: int) -> str:
    return f"/projects/p{n % 97}/run {n % 1013}/file-{n}.dat"


def meta(n: int, size: int, mtime: str) -> str:
    return f"type=R mode=0644 uid=1000 gid=1000 size={size} atime=1700000000/{n % 999} mtime={mtime} extAttrsHash=0"


def group_lines(n: int, rng: random.Random) -> list[str]:
    path = path_of(n)
    size, mtime = 1000 + n % 100_000, f"{1_600_000_000 + n}/{n % 1_000_000}"
    source_hash = HASHES[n % len(HASHES)]
    roll = rng.random()
    if roll < 0.1:  # only at the destination
        return [
            f"[NOTICE] Verification failed > {path}",
            f"[NOTICE] {path}   dstMeta: {meta(n, size, mtime)}",
            f"[NOTICE]   dstHash: {source_hash}",
        ]
    if roll < 0.5:  # content changed
        destination, destination_hash = meta(n, size + 7, f"{1_700_000_000 + n}/0"), HASHES[(n + 1) % len(HASHES)]
    elif roll < 0.9:  # metadata only
        destination, destination_hash = meta(n, size, f"{1_700_000_000 + n}/0"), source_hash
    else:  # destination vanished
        destination, destination_hash = (
            "type=R mode=0644 uid=1000 gid=1000 size=0 atime=0/0 mtime=0/0 extAttrsHash=0",
            ("0" * 64),
        )
    return [
        f"[NOTICE] Verification failed <> {path}",
        f"[NOTICE] {path}   srcMeta: {meta(n, size, mtime)}",
        f"[NOTICE]   srcHash: {source_hash}",
        f"[NOTICE] {path}   dstMeta: {destination}",
        f"[NOTICE]   dstHash: {destination_hash}",
    ]


ERRORS: list[Callable[[str], str]] = [
    lambda path: f"[ERROR] Failed to open source file {path}: No such file or directory",
    lambda path: f"[WARN] Failed to read metadata for file {path}: S3 Head Object Failed",
    lambda path: f"[ERROR] Failed to transfer file {path}: Connection reset by peer",
    lambda path: f"[ERROR] Failed to transfer file {path}: Permission denied",
    lambda path: f"[ERROR] Failed to read metadata for destination file {path}: No such file or directory",
    lambda path: f"[ERROR] Failed to read metadata for directory {path}: No data available",
    lambda path: (
        f'[ERROR] Deferred error: WriteFileExtAttr2 failed to setextattrlist(filename="{path}"): Input/output error'
    ),
]
NOISE: list[Callable[[str], str]] = [
    lambda path: f"[INFO] Transferred file {path}, 48213 bytes",
    lambda path: f"[NOTICE] Verified file {path}",
    lambda path: "[INFO] Request to read 4 MiB from the source location",
]


def stream_lines(stream: int, rng: random.Random) -> Iterator[str]:
    """One stream's lines, unit after unit, for ever."""
    kinds, weights = list(UNIT_WEIGHTS), list(UNIT_WEIGHTS.values())
    n = stream
    while True:
        n += STREAMS
        kind = rng.choices(kinds, weights)[0]
        if kind == "group":
            yield from group_lines(n, rng)
        elif kind == "error":
            yield rng.choice(ERRORS)(path_of(n))
        else:
            yield rng.choice(NOISE)(path_of(n))


def write_mixed_log(path: Path, lines: int) -> None:
    """`lines` lines as "STREAM<tab>MESSAGE", streams interleaved at random, each in its own order."""
    rng = random.Random(20_241_121)
    streams = [stream_lines(stream, rng) for stream in range(STREAMS)]
    with path.open("w", encoding="utf-8") as out:
        for _ in range(lines):
            stream = rng.randrange(STREAMS)
            out.write(f"{stream}\t{next(streams[stream])}\n")


TRANSFER_FAILURES = 300  # failure units (a one-line error or a verification group) in the TRANSFER-level log
SUCCESSES: list[Callable[[str], str]] = [
    lambda path: f"[INFO] Transferred file {path}, 48213 bytes",
    lambda path: f"[INFO] Verified file {path}",
]
BLOCK = 64 * 1024  # characters read at a time for `LogParser.feed_lines`: the anchors' scans stay in the cache


def write_transfer_log(path: Path, lines: int) -> None:
    """`lines` lines of one stream: successes, with a failure unit every `lines // TRANSFER_FAILURES` lines."""
    rng = random.Random(20_251_126)
    every = max(lines // TRANSFER_FAILURES, 1)
    written = n = 0
    with path.open("w", encoding="utf-8") as out:
        while written < lines:
            n += 1
            if n % every == 0:
                unit = group_lines(n, rng) if rng.random() < 0.5 else [rng.choice(ERRORS)(path_of(n))]
            else:
                unit = [SUCCESSES[n % 2](path_of(n))]
            unit = unit[: lines - written]
            out.write("".join(f"{line}\n" for line in unit))
            written += len(unit)


def bare_read(path: Path) -> int:
    count = 0
    with path.open(encoding="utf-8") as lines:
        for _ in lines:
            count += 1
    return count


def _nothing(message: str, stream: str) -> list[FileFailure]:
    return []


def fed(path: Path, feed: Callable[[str, str], list[FileFailure]], finish: Callable[[], list[FileFailure]]) -> int:
    """Reads the file line by line and feeds (message, stream) to `feed`; the number of failures."""
    failures = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            found = feed(line[2:], line[0])
            if found:
                failures += len(found)
    return failures + len(finish())


def fed_lines_one_by_one(path: Path) -> int:
    """Reads a one-stream log line by line, as a line reader would, feeding each line; the number of failures."""
    parser = LogParser()
    failures = 0
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            found = parser.feed(line[:-1] if line[-1:] == "\n" else line)
            if found:
                failures += len(found)
    return failures + len(parser.finish())


def fed_blocks(path: Path) -> int:
    """Reads a one-stream log in blocks of whole lines, each fed to `LogParser.feed_lines`; the number of failures."""
    parser = LogParser()
    failures = 0
    rest = ""
    with path.open(encoding="utf-8") as text:
        while block := text.read(BLOCK):
            cut = block.rfind("\n") + 1
            if cut:
                failures += len(parser.feed_lines(rest + block[:cut]))
                rest = block[cut:]
            else:
                rest += block
    return failures + len(parser.feed_lines(rest)) + len(parser.finish())


@dataclass(frozen=True)
class Timed:
    """A piece of work's result (the failures it found) and its seconds in each run."""

    result: int
    seconds: list[float]


def timed_together(work: dict[str, Callable[[], int]]) -> dict[str, Timed]:
    """Runs each piece of work once per run, one after the other, RUNS times."""
    seconds: dict[str, list[float]] = {name: [] for name in work}
    results: dict[str, int] = {}
    for _ in range(RUNS):
        for name, run in work.items():
            started = time.perf_counter()
            results[name] = run()
            seconds[name].append(time.perf_counter() - started)
    return {name: Timed(results[name], seconds[name]) for name in work}


FAILURES_PER_PATTERN = 20


def failure_events(failures: int) -> Iterator[tuple[str, str]]:
    """(message, stream) events holding exactly `failures` failures (a multiple of 20).

    A pattern of 20 failures over the streams (one verification group, 19 one-line errors) repeated:
    the events exist before tracing starts, so the memory traced is the parser's alone.
    """
    rng = random.Random(1)
    pattern: list[tuple[str, str]] = []
    for n in range(FAILURES_PER_PATTERN):
        stream = str(n % STREAMS)
        lines = group_lines(n, rng) if n == 0 else [ERRORS[n % len(ERRORS)](path_of(n))]
        pattern.extend((line, stream) for line in lines)
    return itertools.chain.from_iterable(itertools.repeat(pattern, failures // FAILURES_PER_PATTERN))


def peak_memory(failures: int) -> tuple[int, int]:
    """(failures counted, peak bytes traced) while parsing a log of `failures` failures."""
    events = failure_events(failures)
    tracemalloc.start()
    try:
        counted = sum(1 for _ in parse_events(events))
        return counted, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def enhanced_lines(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "Action": "VERIFY",
                "Source": {"LocationId": "loc-0123456789abcdef0", "RelativePath": path_of(n)[1:]},
                "Destination": {"LocationId": "loc-0fedcba987654321f", "RelativePath": path_of(n)[1:]},
                "ErrorCode": "MetadataDiffers" if n % 2 else "FileNotAtSource",
                "ErrorDetail": "Verification failed due to a difference in metadata",
            },
            separators=(",", ":"),
        )
        for n in range(count)
    ]


SPEED_COLUMNS = (
    Column("run", right=False),
    Column("seconds", measured=True),
    Column("lines/s", measured=True),
    Column("ratio to a bare read", measured=True),
)
MEMORY_COLUMNS = (Column("failures in the log"), Column("counted"), Column("peak traced memory", measured=True))


ENHANCED_EVENTS = 100_000


def speed_labels(transfer_failures: int, dense_failures: int) -> tuple[str, ...]:
    """The first column of the speed table: what ran, with the failures each parser run found."""
    return (
        "TRANSFER-level: bare line read",
        f"TRANSFER-level: `LogParser.feed`, line by line ({count(transfer_failures)} failures found)",
        "TRANSFER-level: `LogParser.feed_lines`, 64 KiB blocks",
        "failure-dense: bare line read",
        "failure-dense: read and a no-op call per line",
        f"failure-dense: `LogParser.feed` ({count(dense_failures)} failures found)",
        f"Enhanced JSON events ({count(ENHANCED_EVENTS)}), feed only",
    )


def failures_found(lines: int = DOC_LINES) -> tuple[int, int]:
    """The failures the parser finds in the TRANSFER-level and the failure-dense log (no timing)."""
    with tempfile.TemporaryDirectory() as directory:
        transfer, mixed = Path(directory) / "transfer.log", Path(directory) / "mixed.log"
        write_transfer_log(transfer, lines)
        write_mixed_log(mixed, lines)
        log_parser = LogParser()
        return fed_lines_one_by_one(transfer), fed(mixed, log_parser.feed, log_parser.finish)


def memory_row(failures: int) -> tuple[str, ...]:
    counted, peak = peak_memory(failures)
    return (count(failures), count(counted), f"{peak / 1024:,.0f} KiB")


def speed_row(label: str, timed: Timed, lines: int, bare: Timed | None, ratio: str = "") -> tuple[str, ...]:
    """A row of the speed table; the ratio to `bare` when given, else `ratio`."""
    if bare is not None:
        ratios = [mine / floor for mine, floor in zip(timed.seconds, bare.seconds, strict=True)]
        ratio = span(ratios, ".2g", "×")
    speeds = [lines / seconds for seconds in timed.seconds]
    unit, scale, form = (" M", 1e6, ".1f") if min(speeds) >= 1e6 else (" k", 1e3, ".0f")
    return (label, span(timed.seconds, ".2g"), span([speed / scale for speed in speeds], form, unit), ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=DOC_LINES, help="lines in each log (default 1,000,000)")
    parser.add_argument("--write-docs", action="store_true", help="also write the tables into the docs")
    args = parser.parse_args()
    if args.write_docs and args.lines != DOC_LINES:
        parser.error(f"--write-docs writes the docs' figures, which are for --lines {DOC_LINES:,}")
    machine = machine_line()
    print(f"log parser, Python {platform.python_version()} on {platform.machine()}, {RUNS} runs")

    with tempfile.TemporaryDirectory() as directory:
        transfer = Path(directory) / "transfer.log"
        write_transfer_log(transfer, args.lines)
        mixed = Path(directory) / "mixed.log"
        write_mixed_log(mixed, args.lines)
        for log, what in ((transfer, "TRANSFER-level, 1 stream"), (mixed, f"failure-dense, {STREAMS} streams")):
            print(f"{what}: {args.lines:,} lines, {log.stat().st_size / 1e6:.0f} MB")

        one_stream = timed_together(
            {
                "bare": lambda: bare_read(transfer),
                "feed": lambda: fed_lines_one_by_one(transfer),
                "feed_lines": lambda: fed_blocks(transfer),
            }
        )
        if one_stream["feed"].result != one_stream["feed_lines"].result:
            raise SystemExit(
                f"feed_lines found {one_stream['feed_lines'].result:,} failures, feed {one_stream['feed'].result:,}"
            )

        def parse() -> int:
            log_parser = LogParser()
            return fed(mixed, log_parser.feed, log_parser.finish)

        dense = timed_together(
            {"bare": lambda: bare_read(mixed), "no-op": lambda: fed(mixed, _nothing, list), "feed": parse}
        )

    jsons = enhanced_lines(ENHANCED_EVENTS)

    def parse_enhanced() -> int:
        log_parser = LogParser()
        return sum(len(log_parser.feed(line)) for line in jsons)

    enhanced = timed_together({"feed": parse_enhanced})["feed"]
    lines = args.lines
    labels = speed_labels(one_stream["feed"].result, dense["feed"].result)
    rows = (
        speed_row(labels[0], one_stream["bare"], lines, None, "1"),
        speed_row(labels[1], one_stream["feed"], lines, one_stream["bare"]),
        speed_row(labels[2], one_stream["feed_lines"], lines, one_stream["bare"]),
        speed_row(labels[3], dense["bare"], lines, None, "1"),
        speed_row(labels[4], dense["no-op"], lines, dense["bare"]),
        speed_row(labels[5], dense["feed"], lines, dense["bare"]),
        speed_row(labels[6], enhanced, len(jsons), None),
    )
    speed_part = (
        Table(SPEED_COLUMNS, rows).markdown()
        + f"\n\nEach figure is the range over {RUNS} runs; in each run the bare read and the parser runs over the "
        f"same log one after the other. {machine}"
    )
    print()
    print(speed_part)

    memory_part = Table(MEMORY_COLUMNS, tuple(memory_row(failures) for failures in (100_000, 1_000_000))).markdown()
    print()
    print(memory_part)
    if args.write_docs:
        write_blocks({BENCHMARKS_PAGE: {"log-parser-speed": speed_part, "log-parser-memory": memory_part}})


if __name__ == "__main__":
    main()
