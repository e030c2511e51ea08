"""What a targeted retry transfers: exactly the failed paths, as a manifest or an Includes filter.

A manifest (a CSV in S3) scales to millions of paths and takes any file name, but lists files and
objects only, and DataSync refuses it on a run with filters (the task's or the execution's) or with
PreserveDeletedFiles=REMOVE (docs/aws-facts.md#datasync-manifests-and-retries). An Includes filter
needs no S3 object, names directories too, but cannot express `|` or `*` in a name and is limited in
length. An Includes filter also travels in the workflow's state (the next attempt's scope), so it is
kept within a budget of that state too. What neither can name exactly runs again as a whole.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.sync_request import FILTER_LIMIT, SyncRequest

MANIFEST_PATH_BYTES = 1024  # per manifest path, in UTF-8 (docs/aws-facts.md#datasync-manifests-and-retries)
# The filters a retry carries in the workflow's state, as JSON with non-ASCII escaped (the larger of
# the ways a payload may be measured): a filter near DataSync's 102,400 characters in four-byte
# characters would exceed the state's 256 KiB, which ends a run with no Catch
# (docs/aws-facts.md#step-functions-and-cloudformation-names). Our budget, not an AWS limit.
FILTER_STATE_BYTES = 32 * 1024
ScopeKind = Literal["manifest", "includes", "all"]


@dataclass(frozen=True)
class FailedPath:
    path: str  # relative to the location, with a leading '/'
    directory: bool = False


@dataclass(frozen=True)
class RetryScope:
    kind: ScopeKind
    paths: int
    reason: str
    includes: str | None = None
    # Sent with an Includes filter: the exclude filter the first attempt ran with (the request's, else
    # the task's), so the retry excludes the same files whether DataSync keeps a task's Excludes under
    # an execution's Includes or not (docs/aws-facts.md#datasync-manifests-and-retries).
    excludes: str | None = None


def failed_paths(failures: Iterable[Mapping[str, Any]], categories: Iterable[str]) -> list[FailedPath]:
    """Distinct failed paths in `categories`, in report order; a directory is known as one."""
    wanted = set(categories)
    seen: dict[str, FailedPath] = {}
    for failure in failures:
        path = str(failure.get("path", ""))
        if failure.get("category") in wanted and path.startswith("/"):
            directory = bool(failure.get("directory")) or path.endswith("/")
            seen.setdefault(path, FailedPath(path, directory))
    return list(seen.values())


def manifest_path(path: str) -> str:
    """A path as a manifest lists it: relative to the location, without the leading '/'."""
    return path.lstrip("/")


def manifest_lines(paths: Iterable[str]) -> Iterator[str]:
    """CSV lines of a DataSync manifest, one path per line, written by the `csv` module: a path
    holding a comma, a quote or a line break is quoted, a quote inside doubled
    (docs/aws-facts.md#datasync-manifests-and-retries). Two cases the module's minimal quoting leaves
    bare are quoted too: a carriage return (the module only quotes the characters of its own line
    ending, here "\\n") and whitespace at either end, which an unquoted CSV field may lose."""
    buffer = io.StringIO()
    minimal = csv.writer(buffer, lineterminator="\n")
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for path in paths:
        relative = manifest_path(path)
        writer = quoted if "\r" in relative or relative != relative.strip() else minimal
        writer.writerow([relative])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def choose_scope(
    failed: list[FailedPath], request: SyncRequest, task: TaskFacts, *, manifest_reachable: bool = True
) -> RetryScope:
    """How the next attempt names exactly the `failed` paths, in a way DataSync accepts for this task.

    `manifest_reachable` is False for a task in another Region or account than the stack's manifest
    bucket and role: an Includes filter then names the paths (docs/aws-facts.md#manifests-elsewhere)."""
    if not failed:
        return RetryScope("all", 0, "no failed file can be named, so the whole task runs again")
    paths = [item.path for item in failed]
    refusal = (
        _manifest_refusal(failed, request, task)
        if manifest_reachable
        else "the manifest's bucket and role are in the stack's own Region and account, not the task's"
    )
    if refusal is None:
        return RetryScope("manifest", len(paths), "a manifest lists exactly the failed files")
    excludes = request.excludes or task.excludes
    includes = "|".join(paths)
    expressible = not any("|" in path or "*" in path for path in paths)
    if expressible and len(includes) + len(excludes or "") <= FILTER_LIMIT:
        if len(json.dumps([includes, excludes])) > FILTER_STATE_BYTES:
            return RetryScope(
                "all", len(paths), f"an Includes filter of these paths would be too large to carry ({refusal})"
            )
        reason = f"an Includes filter names exactly the failed paths ({refusal})"
        return RetryScope("includes", len(paths), reason, includes, excludes)
    return RetryScope(
        "all", len(paths), "the failed paths cannot be named exactly (filters or names DataSync cannot express)"
    )


def _manifest_refusal(failed: list[FailedPath], request: SyncRequest, task: TaskFacts) -> str | None:
    """Why a manifest cannot carry this retry, or None when it can."""
    if request.includes or request.excludes or task.includes or task.excludes:
        return "DataSync refuses a manifest on a run with filters"
    # An override replaces the task's setting for this execution.
    if (request.overrides.option("PreserveDeletedFiles") or task.preserve_deleted_files) == "REMOVE":
        return "DataSync refuses a manifest with PreserveDeletedFiles REMOVE"
    if any(item.directory for item in failed):
        return "a manifest cannot name a directory"
    if any(len(manifest_path(item.path).encode()) > MANIFEST_PATH_BYTES for item in failed):
        return f"a manifest path is at most {MANIFEST_PATH_BYTES} bytes"
    return None
