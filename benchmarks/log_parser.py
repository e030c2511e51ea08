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
only counting them. Figures, not assertions.

Usage: python benchmarks/log_parser.py [--lines N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.log_parser import LogParser, parse_events

STREAMS = 4
RUNS = 3  # timings are the best of this many runs
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


def best_time(run: Callable[[], int]) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(RUNS):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines in each log (default 1,000,000)")
    args = parser.parse_args()
    print(f"log parser, Python {platform.python_version()} on {platform.machine()}, best of {RUNS} runs")

    rows: list[tuple[str, float, int, str]] = []
    with tempfile.TemporaryDirectory() as directory:
        transfer = Path(directory) / "transfer.log"
        write_transfer_log(transfer, args.lines)
        mixed = Path(directory) / "mixed.log"
        write_mixed_log(mixed, args.lines)
        for log, what in ((transfer, "TRANSFER-level, 1 stream"), (mixed, f"failure-dense, {STREAMS} streams")):
            print(f"{what}: {args.lines:,} lines, {log.stat().st_size / 1e6:.0f} MB")

        bare, lines = best_time(lambda: bare_read(transfer))
        one_by_one, failures = best_time(lambda: fed_lines_one_by_one(transfer))
        blocks, block_failures = best_time(lambda: fed_blocks(transfer))
        rows += [
            ("TRANSFER: bare line read", bare, lines, ""),
            ("TRANSFER: feed per line", one_by_one, lines, f"{one_by_one / bare:.1f}x bare, {failures:,} failures"),
            (
                "TRANSFER: feed_lines",
                blocks,
                lines,
                f"{blocks / bare:.1f}x bare, {block_failures:,} failures"
                + ("" if block_failures == failures else " (NOT the same count)"),
            ),
        ]

        bare, lines = best_time(lambda: bare_read(mixed))
        harness, _ = best_time(lambda: fed(mixed, _nothing, list))

        def parse() -> int:
            log_parser = LogParser()
            return fed(mixed, log_parser.feed, log_parser.finish)

        parsing, failures = best_time(parse)
        rows += [
            ("dense: bare line read", bare, lines, ""),
            ("dense: read + no-op call", harness, lines, f"{harness / bare:.1f}x bare"),
            ("dense: feed per line", parsing, lines, f"{parsing / bare:.1f}x bare, {failures:,} failures"),
        ]

    jsons = enhanced_lines(100_000)

    def parse_enhanced() -> int:
        log_parser = LogParser()
        return sum(len(log_parser.feed(line)) for line in jsons)

    enhanced, _ = best_time(parse_enhanced)
    rows.append(("Enhanced JSON, feed only", enhanced, len(jsons), ""))

    print()
    print(f"{'run':<28} | {'seconds':>8} | {'lines/s':>11} | note")
    print("-" * 86)
    for label, seconds, count, note in rows:
        print(f"{label:<28} | {seconds:>8.3f} | {count / seconds:>11,.0f} | {note}")

    print(f"\n{'failures in the log':>19} | {'counted':>9} | {'peak traced memory':>18}")
    print("-" * 54)
    for count in (100_000, 1_000_000):
        counted, peak = peak_memory(count)
        print(f"{count:>19,} | {counted:>9,} | {peak / 1024:>15,.0f} KiB")


if __name__ == "__main__":
    main()
