"""The failed items of a DataSync detailed task report, as FileFailures.

The guide and AWS's own code show the schema (docs/aws-facts.md#datasync-task-reports): one JSON
document per file, `{"TaskExecutionId": …, "<Section>": [items]}` with the sections Transferred,
Skipped, Verified and Deleted. Basic items carry `RelativePath` ("/…"), `SrcMetadata`/`DstMetadata`
(`Type` Regular or Directory, sizes, times), `SrcChecksum`/`DstChecksum` as "SHA256:<hex>",
`TransferStatus`/`VerifyStatus` and `FailureReason`/`FailureCode`; Enhanced items carry `RelativePath`
without the "/", `SourceMetadata` and `ErrorCode`/`ErrorDetail`. What a failed verification writes is
not published, so the reader still does not rely on one layout: it walks the whole document and takes
every object that names a path and shows a sign of failure as one failed item. Odd input yields nothing
rather than an error: a report is evidence, one malformed part must not hide the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from datasync_scheduler.domain.failures import Category, FileFailure
from datasync_scheduler.domain.log_parser import category_from_text, category_of_error

LEVEL = "REPORT"

# Where an item's path can be when it is not the item's own `RelativePath` (Basic reports say
# `SrcMetadata`, Enhanced ones `SourceMetadata`; log events use `Source`/`Destination`).
_PATH_HOLDERS = ("SourceMetadata", "SrcMetadata", "Source", "DestinationMetadata", "DstMetadata", "Destination")
_FAILED = frozenset({"FAILED", "ERROR"})
# Keys whose non-empty value alone marks an item as failed.
_FAILURE_KEYS = ("FailureReason", "FailureCode", "ErrorCode")
_SOURCE_WORDS = ("source", "src")
_DESTINATION_WORDS = ("destination", "dst", "dest")
# How deep inside an item checksums are looked for (they sit in the item or its metadata objects).
_HASH_DEPTH = 3
_ZERO_HASH = "0" * 64
# Basic reports write checksums as "SHA256:<hex>" (docs/aws-facts.md#datasync-task-reports).
_CHECKSUM_ALGORITHM = "SHA256:"
# Keys that say an item has a side at all, whatever its checksum (the metadata objects and checksums).
_SOURCE_SIDE = ("SrcMetadata", "SourceMetadata", "SrcChecksum")
_DESTINATION_SIDE = ("DstMetadata", "DestinationMetadata", "DstChecksum")


def failures_from_report(document: Any) -> Iterator[FileFailure]:
    """The failed items of one parsed detailed-report JSON document, in document order."""
    # An explicit stack, not recursion: a deeply nested document must not exhaust the call stack.
    stack: list[tuple[Any, str | None]] = [(document, None)]
    seen: set[int] = set()  # a document built in code may share or loop containers; JSON cannot
    while stack:
        node, section = stack.pop()
        if not isinstance(node, dict | list) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, list):
            stack.extend((child, section) for child in reversed(node))
            continue
        failure = _failed_item(node, section)
        if failure is not None:
            yield failure
            continue  # its own metadata objects are not items
        children: list[tuple[Any, str | None]] = []
        for key, value in node.items():
            # The report section is the key of the list an item is found in ("Transferred", "Verified").
            children.append((value, key if isinstance(value, list) and isinstance(key, str) else section))
        stack.extend(reversed(children))


def _failed_item(item: dict[Any, Any], section: str | None) -> FileFailure | None:
    path = _item_path(item)
    if path is None:
        return None
    statuses = [
        key
        for key, value in item.items()
        if isinstance(key, str)
        and key.lower().endswith("status")
        and isinstance(value, str)
        and value.upper() in _FAILED
    ]
    if not statuses and not any(_present(item.get(key)) for key in _FAILURE_KEYS):
        return None  # succeeded (or skipped on purpose)
    evidence: dict[str, str | int] = {}
    reason = _text(item.get("FailureReason"))
    code = _text(item.get("ErrorCode"))
    detail = _text(item.get("ErrorDetail"))
    for key, value in (
        ("failure_reason", reason),
        ("failure_code", _evidence(item.get("FailureCode"))),
        ("error_code", code),
        ("error_detail", detail),
    ):
        if value:
            evidence[key] = value
    source_hash, destination_hash = _checksums(item)
    if source_hash is not None:
        evidence["src_hash"] = source_hash
    if destination_hash is not None:
        evidence["dst_hash"] = destination_hash
    if section is not None:
        evidence["report_section"] = section
    category = (
        (category_of_error(code, detail) if code else None)
        or (category_from_text(reason) if reason else None)
        or (_verification_category(item, source_hash, destination_hash) if _verification_failed(statuses) else None)
        or "other"
    )
    return FileFailure(path, category, LEVEL, evidence, directory=_is_directory(item))


def _is_directory(item: Mapping[Any, Any]) -> bool:
    """Whether the item or one of its metadata objects says `Type: Directory` (either side will do)."""
    holders = [item, *(item.get(holder) for holder in _PATH_HOLDERS)]
    return any(isinstance(holder, dict) and holder.get("Type") == "Directory" for holder in holders)


def _item_path(item: Mapping[Any, Any]) -> str | None:
    path = _relative_path(item)
    if path is None:
        for holder in _PATH_HOLDERS:
            inner = item.get(holder)
            if isinstance(inner, dict):
                path = _relative_path(inner)
                if path is not None:
                    break
    if path is None:
        return None
    return path if path.startswith("/") else "/" + path  # Enhanced reports leave the "/" out


def _relative_path(mapping: Mapping[Any, Any]) -> str | None:
    value = mapping.get("RelativePath")
    return value if isinstance(value, str) and value else None


def _verification_failed(statuses: list[str]) -> bool:
    # VerifyStatus, VerificationStatus, …
    return any("verif" in key.lower() for key in statuses)


def _verification_category(
    item: Mapping[Any, Any], source_hash: str | None, destination_hash: str | None
) -> Category | None:
    """What a failed verification says, read like the log lines' checksums.

    How a failed Verified item marks a file absent at the destination is not published
    (docs/aws-facts.md#datasync-task-reports): an all-zero destination checksum, as the logs write it,
    and an item that has a source side but no destination side at all both mean it.
    """
    if destination_hash is None and _has_side(item, _SOURCE_SIDE) and not _has_side(item, _DESTINATION_SIDE):
        return "missing_at_destination"
    if source_hash is None or destination_hash is None:
        return None
    if destination_hash == _ZERO_HASH:
        return "missing_at_destination"
    return "checksum_mismatch" if source_hash != destination_hash else "metadata_mismatch"


def _has_side(item: Mapping[Any, Any], keys: tuple[str, ...]) -> bool:
    return any(_present(item.get(key)) for key in keys)


def _hex(checksum: str) -> str:
    """The digest of a checksum as the logs write it: bare lowercase hex ("SHA256:<hex>" → "<hex>")."""
    if checksum[: len(_CHECKSUM_ALGORITHM)].upper() == _CHECKSUM_ALGORITHM:
        checksum = checksum[len(_CHECKSUM_ALGORITHM) :]
    return checksum.lower()


def _checksums(item: Mapping[Any, Any]) -> tuple[str | None, str | None]:
    """(source, destination) checksum of an item, under whatever keys hold them.

    A key is a checksum when its name contains checksum/sha256/hash (but not "attr": `extAttrsHash`
    is not the content's); its side comes from its own name or an enclosing key's
    (`SrcMetadata.Sha256`, `DestinationChecksum`). "checksum"/"sha256" names beat plain "hash" ones.
    """
    found: dict[tuple[str, bool], str] = {}  # (side, named plainly "hash") -> the first value seen
    _collect_checksums(item, None, 0, found)
    source, destination = _best(found, "src"), _best(found, "dst")
    return (None if source is None else _hex(source)), (None if destination is None else _hex(destination))


def _collect_checksums(
    mapping: Mapping[Any, Any], inherited_side: str | None, depth: int, found: dict[tuple[str, bool], str]
) -> None:
    for key, value in mapping.items():
        if not isinstance(key, str):
            continue
        name = key.lower()
        side = _side(name) or inherited_side
        if isinstance(value, dict) and depth + 1 < _HASH_DEPTH:
            _collect_checksums(value, side, depth + 1, found)
        elif isinstance(value, str) and value and side is not None and "attr" not in name:
            if "checksum" in name or "sha256" in name:
                found.setdefault((side, False), value)
            elif "hash" in name:
                found.setdefault((side, True), value)


def _side(name: str) -> str | None:
    if any(word in name for word in _DESTINATION_WORDS):
        return "dst"
    if any(word in name for word in _SOURCE_WORDS):
        return "src"
    return None


def _best(found: Mapping[tuple[str, bool], str], side: str) -> str | None:
    return found.get((side, False)) or found.get((side, True))


def _present(value: Any) -> bool:
    # FailureCode 0 and empty strings, lists or objects mean "no failure".
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | dict):
        return len(value) > 0
    return True


def _text(value: Any) -> str:
    """A present value as text ("" when absent)."""
    return "" if not _present(value) else value if isinstance(value, str) else str(value)


def _evidence(value: Any) -> str | int:
    """A value for FileFailure evidence: integers stay integers, anything else becomes text."""
    if isinstance(value, int) and not isinstance(value, bool) and _present(value):
        return value
    return _text(value)
