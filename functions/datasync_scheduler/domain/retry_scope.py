"""What a targeted retry transfers: exactly the failed paths, as a manifest or an Includes filter.

A manifest (a CSV in S3) scales to millions of paths and takes any file name; an Includes filter
needs no S3 object and no role but cannot express `|` or `*` in a name and is limited in length.
DataSync refuses a manifest together with filters or PreserveDeletedFiles=REMOVE, so those runs
retry through Includes when they can, else as a whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from datasync_scheduler.domain.sync_request import FILTER_LIMIT, SyncRequest

MANIFEST_PATH_LIMIT = 4096  # characters per manifest path (DataSync)
ScopeKind = Literal["manifest", "includes", "all"]


@dataclass(frozen=True)
class RetryScope:
    kind: ScopeKind
    paths: int
    reason: str
    includes: str | None = None


def failed_paths(failures: Iterable[Mapping[str, Any]], categories: Iterable[str]) -> list[str]:
    """Distinct paths of the failures in `categories`, in report order; directories are left out."""
    wanted = set(categories)
    seen: dict[str, None] = {}
    for failure in failures:
        path = str(failure.get("path", ""))
        if failure.get("category") in wanted and path.startswith("/") and not path.endswith("/"):
            seen.setdefault(path, None)
    return list(seen)


def manifest_lines(paths: Iterable[str]) -> Iterator[str]:
    """CSV lines of a DataSync manifest: one path per line, relative to the location (no leading
    '/', as in the guide's examples), quoted when it holds a comma, a quote or a line break."""
    for path in paths:
        relative = path.lstrip("/")
        if any(char in relative for char in ',"\n\r'):
            relative = '"' + relative.replace('"', '""') + '"'
        yield relative + "\n"


def choose_scope(paths: list[str], request: SyncRequest) -> RetryScope:
    """How the next attempt names exactly `paths`."""
    if not paths:
        return RetryScope("all", 0, "no failed file can be named, so the whole task runs again")
    manifest_allowed = (
        not request.includes and not request.excludes and (request.overrides.PreserveDeletedFiles != "REMOVE")
    )
    if manifest_allowed and all(len(path) <= MANIFEST_PATH_LIMIT for path in paths):
        return RetryScope("manifest", len(paths), "a manifest lists exactly the failed files")
    includes = "|".join(paths)
    expressible = not any("|" in path or "*" in path for path in paths)
    if expressible and len(includes) + len(request.excludes or "") <= FILTER_LIMIT:
        return RetryScope("includes", len(paths), "an Includes filter names exactly the failed files", includes)
    return RetryScope(
        "all", len(paths), "the failed files cannot be named exactly (filters or names DataSync cannot express)"
    )
