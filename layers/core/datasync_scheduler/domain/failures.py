"""Which files failed, why, and whether a rerun could fix it.

A `FileFailure` is one failure of one file, found in DataSync's logs or task report. One file can
carry several failures (e.g. a failed transfer and then a failed verification). Categories and
their retry classes are data: the retry policy decides with them, the messages explain them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

Category = Literal[
    "checksum_mismatch",
    "metadata_mismatch",
    "missing_at_destination",
    "not_at_source",
    "source_vanished",
    "access_denied",
    "read_error",
    "write_error",
    "transient_error",
    "other",
    "unattributed",
]
CATEGORIES: tuple[Category, ...] = get_args(Category)

RetryClass = Literal["transient", "permanent"]
# Whether running the files again can succeed, per DataSync's troubleshooting pages:
# docs/aws-facts.md#per-file-categories
RETRY_CLASS: Mapping[Category, RetryClass] = {
    # The source changed while it was copied: a quiet rerun copies the new content.
    "checksum_mismatch": "transient",
    # DataSync cannot reproduce the metadata (S3 adds ContentType, ACLs, extended attributes):
    # a rerun writes the same difference again.
    "metadata_mismatch": "permanent",
    # The destination copy disappeared before verification (deleted or replaced meanwhile).
    "missing_at_destination": "transient",
    # The source file was deleted during the run; the next run sees the deletion.
    "not_at_source": "transient",
    "source_vanished": "transient",
    # Permissions and keys do not fix themselves.
    "access_denied": "permanent",
    # Reads fail for passing reasons (connection resets, busy servers) more often than lasting ones.
    "read_error": "transient",
    # Writes fail for lasting reasons: unsupported attributes, full or read-only destinations.
    "write_error": "permanent",
    # A connection reset, a timeout, throttling or a server error of the storage: AWS's own advice is
    # to retry these (docs/aws-facts.md#datasync-logs).
    "transient_error": "transient",
    # Unknown causes are not retried blindly.
    "other": "permanent",
    # A failure DataSync logged without a path this tool can name: nothing to retry by name, and its
    # cause is unknown.
    "unattributed": "permanent",
}

# What a person should do, one line per category (used in messages and in docs/failures-and-retries.md).
ADVICE: Mapping[Category, str] = {
    "checksum_mismatch": "the file changed while it was copied; rerun when the source is quiet",
    "metadata_mismatch": "DataSync cannot reproduce this metadata; check the task's metadata options",
    "missing_at_destination": "the copy vanished at the destination; check what deletes files there",
    "not_at_source": "the file is gone at the source but still at the destination; rerun to settle it",
    "source_vanished": "the file was deleted at the source during the run; rerun to settle it",
    "access_denied": "fix the permissions (IAM role, bucket or KMS key policy, NFS/SMB rights)",
    "read_error": "DataSync could not read the item; rerun, and check the source if it persists",
    "write_error": "DataSync could not write the item; check the destination's space and features",
    "transient_error": "the storage or the network failed for a passing reason; a rerun copies it",
    "other": "read the DataSync message in the failure report",
    "unattributed": "DataSync logged a failure without a file path; read its line in the failure report",
}

# How many example paths the bounded summary keeps per category.
EXAMPLES_PER_CATEGORY = 5
# Paths in the summary are cut so that its size has a bound whatever the file names are.
EXAMPLE_PATH_LIMIT = 300
# All the examples together, as JSON with non-ASCII escaped (the larger of the ways a payload may be
# measured): the summary travels in the workflow's state until the run is reported, so eleven
# categories of long four-byte-character paths must not take it near its 256 KiB
# (docs/aws-facts.md#step-functions-and-cloudformation-names). Our budget, not an AWS limit.
EXAMPLES_STATE_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class FileFailure:
    # Relative to the location root, with a leading "/"; empty for an `unattributed` failure, whose
    # log line names no path of the location.
    path: str
    category: Category
    level: str  # the log level (NOTICE, ERROR, WARN, INFO) or "REPORT" for task report items
    # What DataSync said about it: sizes, mtimes, hashes, error code and detail, the raw message.
    evidence: Mapping[str, str | int] = field(default_factory=dict)
    # The item is a directory (a log line "for directory", a report item of Type Directory): it can
    # be retried by an Includes filter but never listed in a manifest (DataSync's manifests name
    # files and objects only).
    directory: bool = False

    @property
    def retry_class(self) -> RetryClass:
        return RETRY_CLASS[self.category]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "category": self.category,
            "level": self.level,
            "retry": self.retry_class,
            **({"directory": True} if self.directory else {}),
            **self.evidence,
        }


@dataclass
class FailureTally:
    """A bounded summary of any number of failures: counts per category and a few example paths."""

    total: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, failure: FileFailure) -> None:
        self.total += 1
        self.by_category[failure.category] = self.by_category.get(failure.category, 0) + 1
        examples = self.examples.setdefault(failure.category, [])
        if len(examples) < EXAMPLES_PER_CATEGORY and failure.path and failure.path not in examples:
            path = failure.path
            examples.append(path if len(path) <= EXAMPLE_PATH_LIMIT else path[: EXAMPLE_PATH_LIMIT - 1] + "…")

    def add_all(self, failures: Iterable[FileFailure]) -> None:
        for failure in failures:
            self.add(failure)

    @property
    def retry_classes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for category, count in self.by_category.items():
            retry = RETRY_CLASS[category]  # type: ignore[index]
            counts[retry] = counts.get(retry, 0) + count
        return counts

    def to_dict(self) -> dict[str, Any]:
        ordered = [category for category in CATEGORIES if category in self.by_category]
        return {
            "totalFailures": self.total,
            "byCategory": {category: self.by_category[category] for category in ordered},
            "byRetryClass": self.retry_classes,
            "examples": self._examples_within_budget(ordered),
        }

    def _examples_within_budget(self, ordered: Sequence[str]) -> dict[str, list[str]]:
        """Every category's first example, then more, one per category in turn, while they fit
        `EXAMPLES_STATE_BYTES` (the message says "and N more" for the rest)."""
        kept: dict[str, list[str]] = {category: [] for category in ordered}
        used = 0
        for index in range(EXAMPLES_PER_CATEGORY):
            for category in ordered:
                examples = self.examples.get(category, [])
                if index < len(examples):
                    cost = len(json.dumps(examples[index])) + 2
                    if index == 0 or used + cost <= EXAMPLES_STATE_BYTES:
                        kept[category].append(examples[index])
                        used += cost
        return kept
