"""The summary that travels in the workflow state stays small whatever failed."""

import json

from datasync_scheduler.domain.failures import (
    CATEGORIES,
    EXAMPLES_PER_CATEGORY,
    EXAMPLES_STATE_BYTES,
    RETRY_CLASS,
    FailureTally,
    FileFailure,
)

STATE_LIMIT = 256 * 1024  # Step Functions payload limit


def test_a_million_failures_with_the_longest_names_fit_in_a_few_kilobytes() -> None:
    tally = FailureTally()
    for index in range(1_000_000):
        category = CATEGORIES[index % len(CATEGORIES)]
        # An unattributed failure names no path (its log line names none).
        path = "" if category == "unattributed" else f"/{index:07d}" + "é" * 4088
        tally.add(FileFailure(path, category, "NOTICE"))
    summary = json.dumps(tally.to_dict(), ensure_ascii=False).encode()
    assert tally.total == 1_000_000
    assert len(summary) < STATE_LIMIT / 8
    examples = tally.to_dict()["examples"]
    assert examples.pop("unattributed") == []
    # Every category shows its first example; more only within the examples' budget.
    assert all(1 <= len(paths) <= EXAMPLES_PER_CATEGORY for paths in examples.values())
    firsts = sum(len(json.dumps(paths[0])) + 2 for paths in examples.values())
    assert len(json.dumps(examples)) <= max(EXAMPLES_STATE_BYTES, firsts) + 40 * len(examples)


def test_short_names_keep_every_example() -> None:
    tally = FailureTally()
    for index in range(1_000):
        tally.add(FileFailure(f"/docs/{index}.txt", CATEGORIES[index % len(CATEGORIES)], "NOTICE"))
    examples = tally.to_dict()["examples"]
    assert all(
        len(paths) == EXAMPLES_PER_CATEGORY for category, paths in examples.items() if category != "unattributed"
    )


def test_every_category_has_a_retry_class() -> None:
    assert set(RETRY_CLASS) == set(CATEGORIES)
    assert RETRY_CLASS["access_denied"] == "permanent"
    assert RETRY_CLASS["checksum_mismatch"] == "transient"


def test_counts_by_retry_class_add_up() -> None:
    tally = FailureTally()
    tally.add_all(FileFailure(f"/{c}", c, "ERROR") for c in CATEGORIES)
    assert sum(tally.to_dict()["byRetryClass"].values()) == len(CATEGORIES)
