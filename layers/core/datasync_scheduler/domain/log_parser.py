"""The failed files in one DataSync execution's CloudWatch log events, found while the events stream in.

Two formats (docs/aws-facts.md#datasync-logs), recognised per event:

- Basic mode: plain text behind a level tag (`[NOTICE]`, `[ERROR]`, `[WARN]`, `[INFO]`). Most failures
  are one line. A verification failure is a group of events in one stream: the "Verification failed"
  line names the file, the meta lines repeat the name, the hash lines carry none.
- Enhanced mode: one JSON object per failed item, with `ErrorCode` and `ErrorDetail`.

The parser is a small state machine per log stream. Only a verification group spans several events,
and a stream has at most one open group, so memory depends on the number of streams, never on the
length of the log. No failure is lost: an `[ERROR]` or `[WARN]` line of a form the parser does not
know still counts (by the path it names, or as `unattributed` with the line as evidence), and an
`S3 Exception:` line joins the warning about the same object just before it instead of counting
twice. Lines of other levels that it does not know are skipped, never fatal.

Whitespace is not part of the format (docs/aws-facts.md#datasync-logs): lines whose separators were
collapsed to one space or turned into tabs (the guide's examples as its web page shows them) give
the same failures as DataSync's own lines. The exact forms are tried first; the lenient reading only
runs for lines they do not match.

File names are arbitrary (spaces, `: `, `<>`, "srcMeta:", even line breaks), so names are never found
by searching a line for a keyword: a line is split at the fixed text around the name, and a
verification group's meta lines are matched by their exact prefix, built from the name its opening
line gave.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from datasync_scheduler.domain.failures import Category, FileFailure

# Enhanced events have no level of their own; they are all failures.
ENHANCED_LEVEL = "ERROR"

# The hash DataSync prints for a destination that vanished before verification
# (docs/aws-facts.md#datasync-logs).
_ZERO_HASH = "0" * 64
# A meta line as DataSync writes it (docs/aws-facts.md#datasync-logs): "type=R mode=0644 uid=1000
# gid=1000 size=1048576 atime=1700000000/0 mtime=1700000000/0 extAttrsHash=0". `\s` and `\S` are the
# whitespace of `str.split`, so a line this matches splits into exactly these eight tokens.
_META = re.compile(
    r"type=(\S*) mode=(\S*) uid=(\S*) gid=(\S*) size=(\S*) atime=(\S*) mtime=(\S*) extAttrsHash=(\S*)\s*\Z"
)
_META_FIELDS = ("type", "mode", "uid", "gid", "size", "atime", "mtime", "extAttrsHash")
# (index in `_META`'s groups, field name), by name: the order in which differing fields are listed.
_META_BY_NAME = tuple(sorted(enumerate(_META_FIELDS), key=lambda field: field[1]))
# A level tag is short: "] " further into a line means the line has no tag.
_TAG_END_WITHIN = 16
_VERIFICATION = "Verification failed "
_MARKERS = frozenset(("<>", ">", "<"))
_INTERESTING = (_VERIFICATION, "Failed to ", "Deferred error: ")
# Levels whose lines say something failed: any of them that names nothing known still counts.
_FAILURE_TAGS = ("[ERROR]", "[WARN]")
_S3_EXCEPTION = "S3 Exception: "
# "S3 Exception: op=GetObjectTagging photos/picture1.png, code=403, type=15, exception=AccessDenied, "
# (transferring-with-manifest guide). The key is the bucket's, with the location's prefix: it names
# the object but not its path in the location.
_S3_EXCEPTION_FIELDS = re.compile(r"op=(\S*) (.*), code=(\d*)(?:, type=[^,]*)?(?:, exception=([^,]*))?", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")
# Every line that can start or be a failure, outside an open group or a held warning, holds one of
# these: a failure tag (`_FAILURE_TAGS`), "ailed" (in "Verification failed " and "Failed to " of
# `_INTERESTING`), "Deferred" (the third), or the brace that starts an Enhanced event. None holds
# whitespace, so a line that is read leniently (its whitespace collapsed) holds them too. A line
# that holds one and is no failure ("/mailed/…") is parsed and skipped: the anchors may find more
# lines than needed, never fewer. Literal strings, not a regular expression: `str.find` scans for
# each at memory speed, an alternation runs the matcher at every "[" and capital letter. What success
# lines look like is not documented (docs/aws-facts.md#datasync-logs); skipping them is exact whatever it is.
_ANCHORS = ("[ERROR]", "[WARN]", "ailed", "Deferred", "{")

# Enhanced-mode error codes the sources document (docs/aws-facts.md#datasync-logs); an unknown code is
# classified by its words.
_ERROR_CODES: Mapping[str, Category] = {
    "FileNotAtSource": "not_at_source",
    "MetadataDiffers": "metadata_mismatch",
    "AccessDenied": "access_denied",
}

# What a free-text reason (a Basic line's text after the name, an ErrorDetail, a report's
# FailureReason) says about the cause, first match wins. The order puts the specific phrases before
# the generic verbs: "Access denied while reading" is a permission problem, "Read-only file system"
# a write problem. The S3 "… Object … Failed" reasons are permission problems per the guide
# ("S3 Head Object Failed": missing s3:GetObject or KMS access; "S3 Get Object Tagging Failed":
# missing s3:GetObjectVersionTagging).
_TEXT_RULES: tuple[tuple[re.Pattern[str], Category], ...] = (
    (
        re.compile(
            r"not (?:at|found at|present at|in) (?:the )?destination|missing (?:at|from) (?:the )?destination",
            re.IGNORECASE,
        ),
        "missing_at_destination",
    ),
    (re.compile(r"but not at (?:the )?source", re.IGNORECASE), "not_at_source"),
    # Causes that pass by themselves: DataSync's guide says to restart a task that failed with
    # "Connection Reset by peer" or "Host is down"; S3 asks to retry InternalError and to slow down on
    # SlowDown; botocore retries timeouts, throttling codes and HTTP 500/502/503/504
    # (docs/aws-facts.md#datasync-logs).
    (
        re.compile(
            r"connection reset|host is down|timed out|time ?out|slow ?down|throttl|too many requests"
            r"|request ?limit ?exceeded|reduce your request rate|internal ?(?:server )?error|internal ?exception"
            r"|service ?unavailable|bad gateway|(?:status code|code)\s*[=:]?\s*50[0234]\b",
            re.IGNORECASE,
        ),
        "transient_error",
    ),
    (
        re.compile(
            r"\baccess|permission|\b403\b|not permitted|not authori[sz]ed|forbidden|\bkms\b"
            r"|\bS3 (?:Head|Get) Object\b[\w ]*? Failed",
            re.IGNORECASE,
        ),
        "access_denied",
    ),
    (re.compile(r"checksum|\bcontent\b(?!-)", re.IGNORECASE), "checksum_mismatch"),
    (re.compile(r"no such file|nosuchkey|not found at (?:the )?source", re.IGNORECASE), "source_vanished"),
    (re.compile(r"metadata (?:differ|failure|mismatch)|differen\w* in metadata", re.IGNORECASE), "metadata_mismatch"),
    (re.compile(r"no space|read-only|quota|\bwrit", re.IGNORECASE), "write_error"),
    # ENODATA: the guide's SMB symlink example reads "No data available".
    (re.compile(r"\bread|no data available", re.IGNORECASE), "read_error"),
)

# Basic single-line forms: (prefix before the name, category when the reason names no known cause,
# category when the reason says the item does not exist). "for file" and "for directory" read the
# source (the guide's S3 HeadObject example); the destination form says so.
# The one form that says its item is a directory (the guide's SMB symlink example).
_DIRECTORY_FORM: tuple[str, Category, Category] = (
    "Failed to read metadata for directory ",
    "read_error",
    "source_vanished",
)
_FORMS: tuple[tuple[str, Category, Category], ...] = (
    ("Failed to open source file ", "read_error", "source_vanished"),
    ("Failed to read metadata for destination file ", "read_error", "missing_at_destination"),
    ("Failed to read metadata for file ", "read_error", "source_vanished"),
    _DIRECTORY_FORM,
    # A failed copy says nothing about its cause unless the reason does (a connection reset is a
    # passing cause, not the file's).
    ("Failed to transfer file ", "other", "source_vanished"),
)

# Reasons seen in the guide or common system errors, to find where the name ends when the name
# itself contains ": ". A reason may carry more after ": " ("S3 Get Object Tagging Failed:
# proceeding without tagging") or in parentheses ("Access Denied (Service: Amazon S3; …)").
_KNOWN_REASON = re.compile(
    r"(?:No such file or directory|S3 [A-Za-z ]+? Failed|Permission denied|Access Denied|Operation not permitted"
    r"|Operation not supported|No data available|Input/output error|Connection [Rr]eset by peer|Host is down"
    r"|Connection timed out|No space left on device|Read-only file system|Disk quota exceeded|Stale file handle"
    r"|SlowDown|Slow Down|RequestTimeout|InternalError|ServiceUnavailable|\w*Throttl\w*|S3 Exception)"
    r"(?::| \(|\Z)"
)
_COMMON_REASONS = frozenset(
    {
        "No such file or directory",
        "S3 Head Object Failed",
        "S3 Get Object Failed",
        "Permission denied",
        "No data available",
        "Input/output error",
        "Connection reset by peer",
    }
)
# The usual one-line failure: a known form, a name, and one of the common reasons ending the line (before
# the line break a reader may have left). The name is what lies between: the common reasons hold no
# ": ", so the line's last ": " ends it, as `_split_reason` says. A name that is empty, "/" or ends with
# ")" (maybe an object version) is left to `_single_line`.
_USUAL_ONE_LINE = re.compile(
    r"({})(?!/: )(.*[^)]): ({})(?:\r?\n)?\Z".format(
        "|".join(re.escape(prefix) for prefix, _default, _absent in _FORMS),
        "|".join(re.escape(reason) for reason in sorted(_COMMON_REASONS)),
    ),
    re.DOTALL,
)
# S3 sources with object versions name the version after the path (transferring-with-manifest guide).
_VERSION_SUFFIX = re.compile(r" \(versionId: ([^()]*)\)\Z")
_CAMEL_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# Longer reasons are classified afresh each time, so the memory of known reasons stays bounded.
_REMEMBERED_TEXT_LIMIT = 256


class LogParser:
    """Feed CloudWatch events (message, stream name) in order; get FileFailures as soon as they are complete."""

    __slots__ = ("_held", "_open")

    def __init__(self) -> None:
        self._open: dict[str, _Group] = {}  # the open verification group of each stream
        # A failed S3 request's warning, kept until the stream's next event: an `S3 Exception:` line
        # for the same object may follow and belongs to it.
        self._held: dict[str, FileFailure] = {}

    def feed(self, message: str, stream: str = "") -> list[FileFailure]:
        """The failures this event completes (usually none). Never raises, whatever the message."""
        if self._held:
            held = self._held.pop(stream, None)
            if held is not None:
                joined = _with_s3_exception(held, message)
                if joined is not None:
                    return [joined]
                return [held, *self.feed(message, stream)]  # the stream holds nothing now
        # The hot path: most events of a large log are group continuations or lines that are not
        # failures, so those are decided with a dictionary lookup and a few prefix tests.
        group = self._open.get(stream)
        if group is not None:
            # The group's own lines, matched by their exact starts. Inline, not a method: this runs for
            # about half the events of a large log.
            if group.src_meta is None and message.startswith(group.src_prefix):
                group.src_meta = message[len(group.src_prefix) :]
                return []
            if group.dst_meta is None and message.startswith(group.dst_prefix):
                group.dst_meta = message[len(group.dst_prefix) :]
                return []
            if message.startswith(group.hash_prefix):
                at = len(group.hash_prefix)
                if group.src_hash is None and message.startswith("srcHash: ", at):
                    group.src_hash = message[at + 9 :].strip()
                    return []
                if message.startswith("dstHash: ", at):  # the last line DataSync writes for a group
                    group.dst_hash = message[at + 9 :].strip()
                    del self._open[stream]
                    return [group.failure()]
            if group.widen(message):
                return self.feed(message, stream)
            taken = group.take_leniently(message)
            if taken is not None:
                if not taken:
                    return []
                del self._open[stream]
                return [group.failure()]
            # Any other line of the stream ends the group with what it has, then counts on its own.
            del self._open[stream]
            found = [group.failure()]
        else:
            found = []
        self._line(message, stream, found)
        return found

    def feed_lines(self, text: str, stream: str = "") -> list[FileFailure]:
        """The failures that the lines of `text`, fed one by one, complete: the same as `feed` of each line.

        `text` is a run of whole lines of one stream, each an event: a line ends at "\n", which goes with
        a "\r" before it (as a text log's reader reads them); a last line without "\n" is a line too.
        While the stream has no open group and no held warning, only the lines that hold an anchor
        (`_ANCHORS`) are parsed: the lines between them are skipped by `str.find` over the whole text,
        so a log that is mostly successes costs little more than decoding it. Blocks of some 64 KiB
        are best: the anchors' scans of a block then stay in the processor's cache.
        """
        found: list[FileFailure] = []
        at, size = 0, len(text)
        # The next place of each anchor at or after `at` (-1: none left). Each anchor's scan moves only
        # forward, so the text is scanned once per anchor, however many lines are parsed.
        ahead = [text.find(anchor) for anchor in _ANCHORS]
        while at < size:
            if stream in self._open or stream in self._held:
                start = at  # a group's next line or an `S3 Exception:` line may be any line
            else:
                nearest = size
                for index, place in enumerate(ahead):
                    if 0 <= place < at:
                        place = ahead[index] = text.find(_ANCHORS[index], at)
                    if 0 <= place < nearest:
                        nearest = place
                if nearest == size:
                    break
                # The line that holds the anchor: lines start at `at` and after each line feed.
                start = text.rfind("\n", at, nearest) + 1 or at
            end = text.find("\n", start)
            if end < 0:
                end = at = size
            else:
                at = end + 1
                if end > start and text[end - 1] == "\r":
                    end -= 1  # "\r\n" ends the line
            found.extend(self.feed(text[start:end], stream))
        return found

    def _line(self, message: str, stream: str, found: list[FileFailure], lenient: bool = False) -> None:
        """Adds what a line that belongs to no open group says to `found`, or opens its group."""
        end = message.find("] ", 1, _TAG_END_WITHIN)
        if end > 0 and message[0] == "[":
            text_at = end + 2
            if message.startswith(_INTERESTING, text_at):
                if not message.startswith(_VERIFICATION, text_at):
                    usual = _USUAL_ONE_LINE.match(message, text_at)
                    if usual is None:
                        line = _without_line_break(message)[0]
                        self._single(_single_line(line[1:end], line[text_at:]), stream, found)
                        return
                    # What `_single_line` and `_single` make of it, without their search for the name's end.
                    prefix, name, reason = usual.groups()
                    category, directory = _USUAL_CATEGORIES[prefix][reason]
                    failure = FileFailure(
                        name if name[:1] == "/" else "/" + name,
                        category,
                        message[1:end],
                        {"detail": reason, "message": message[text_at : usual.end(3)]},
                        directory,
                    )
                    if reason.startswith("S3 ") and failure.level == "WARN":
                        self._held[stream] = failure  # an `S3 Exception:` line may follow
                    else:
                        found.append(failure)
                    return
                opened = _Group.open(message, end, text_at)
                if opened is not None:
                    self._open[stream] = opened
                    return
            if not lenient and (message[text_at : text_at + 1].isspace() or _irregular(message)):
                self._line(_collapsed(message), stream, found, lenient=True)
            elif message.startswith(_FAILURE_TAGS) and message[text_at:].strip():
                found.append(_other_failure(message[1:end], _without_line_break(message)[0][text_at:]))
        elif message[:1] == "{" or message.lstrip()[:1] == "{":
            enhanced = _enhanced(message)
            if enhanced is not None:
                found.append(enhanced)
        elif not lenient and (message.lstrip()[:1] == "[" or "]\t" in message[:_TAG_END_WITHIN]):
            self._line(_collapsed(message), stream, found, lenient=True)

    def _single(self, failure: FileFailure, stream: str, found: list[FileFailure]) -> None:
        detail = failure.evidence.get("detail")
        if failure.level == "WARN" and isinstance(detail, str) and detail.startswith("S3 "):
            self._held[stream] = failure  # an `S3 Exception:` line may follow
        else:
            found.append(failure)

    def finish(self) -> list[FileFailure]:
        """The failures still held back and the groups still open (their last lines never came), oldest
        first; the parser is then empty."""
        found = [*self._held.values(), *(group.failure() for group in self._open.values())]
        self._held.clear()
        self._open.clear()
        return found


def parse_events(events: Iterable[tuple[str, str]]) -> Iterator[FileFailure]:
    """The failures in (message, stream) events, in the order they complete."""
    parser = LogParser()
    for message, stream in events:
        yield from parser.feed(message, stream)
    yield from parser.finish()


def category_from_text(text: str) -> Category | None:
    """The cause a free-text reason names, or None when it names none (see `_TEXT_RULES`)."""
    # Reasons repeat across millions of lines: the short ones are remembered, the rules run once each.
    return _remembered_category(text) if len(text) <= _REMEMBERED_TEXT_LIMIT else _category(text)


def _category(text: str) -> Category | None:
    for pattern, category in _TEXT_RULES:
        if pattern.search(text):
            return category
    return None


_remembered_category = functools.lru_cache(maxsize=4096)(_category)


def category_of_error(code: str, detail: str) -> Category | None:
    """The category of an Enhanced-mode (or task report) ErrorCode and ErrorDetail, or None if unknown.

    Documented codes first; then the detail's words; then the code's own words ("FileNotAtDestination"
    reads "File Not At Destination"), for codes whose detail says nothing known.
    """
    known = _ERROR_CODES.get(code)
    if known is not None:
        return known
    return category_from_text(detail) or category_from_text(_CAMEL_WORD.sub(" ", code))


class _Group:
    """One "Verification failed" group of a stream: what its lines have said so far."""

    __slots__ = (
        "dst_hash",
        "dst_meta",
        "dst_prefix",
        "hash_prefix",
        "marker",
        "message",
        "name",
        "src_hash",
        "src_meta",
        "src_prefix",
        "tag",
        "tail",
    )

    def __init__(self, tag: str, name: str, marker: str, message: str, tail: str) -> None:
        self.tag = tag  # "[NOTICE]": the continuation lines repeat the opening line's tag
        self.marker = marker
        self.message = message  # the opening line without its tag
        self.tail = tail  # a line break stripped from the opening line: it may have ended the name
        self.src_meta: str | None = None
        self.src_hash: str | None = None
        self.dst_meta: str | None = None
        self.dst_hash: str | None = None
        self._name(name)

    @classmethod
    def open(cls, message: str, end: int, text_at: int) -> _Group | None:
        """The group a "[TAG] Verification failed <marker> NAME" line opens (the tag ends at `end`, the text
        starts at `text_at`), or None for another form.

        `<>`: on both sides and different; `>`: only at the destination. A `<` form is in no source;
        it is accepted (and classified by what its lines show) rather than losing the failure.
        """
        line, tail = _without_line_break(message)
        marker, _, name = line[text_at + len(_VERIFICATION) :].partition(" ")
        if marker not in _MARKERS or not name:
            return None
        return cls(line[: end + 1], name, marker, line[text_at:], tail)

    def _name(self, name: str) -> None:
        self.name = name
        # The exact starts of this group's own lines: a name containing "srcMeta:" or "   " cannot
        # make another line look like one of them.
        self.src_prefix = f"{self.tag} {name}   srcMeta: "
        self.dst_prefix = f"{self.tag} {name}   dstMeta: "
        self.hash_prefix = f"{self.tag}   "

    def take_leniently(self, message: str) -> bool | None:
        """Takes one of the group's lines whose whitespace differs from DataSync's (runs collapsed, tabs):
        None if `message` is not one of them, True if it was the last line, else False."""
        line = _collapsed(message)
        lead = f"{self.tag} "
        if not line.startswith(lead):
            return None
        rest = line[len(lead) :]
        name = _collapsed(self.name)
        if self.src_meta is None and rest.startswith(f"{name} srcMeta:"):
            self.src_meta = rest[len(name) + 9 :].strip()
            return False
        if self.dst_meta is None and rest.startswith(f"{name} dstMeta:"):
            self.dst_meta = rest[len(name) + 9 :].strip()
            return False
        # The page shows "srcHash:" with or without a space before the hash.
        if self.src_hash is None and rest.startswith("srcHash:"):
            self.src_hash = rest[8:].strip()
            return False
        if rest.startswith("dstHash:"):
            self.dst_hash = rest[8:].strip()
            return True
        return None

    def widen(self, message: str) -> bool:
        """Whether the opening line's stripped line break was the end of the name, as `message`, the
        group's first meta line, shows. If so the name gets it back."""
        if not self.tail or self.src_meta is not None or self.dst_meta is not None:
            return False
        wider = f"{self.tag} {self.name}{self.tail}   "
        if message.startswith(wider) and message.startswith(("srcMeta: ", "dstMeta: "), len(wider)):
            self._name(self.name + self.tail)
            self.tail = ""
            return True
        return False

    def failure(self) -> FileFailure:
        src_meta, dst_meta = self.src_meta, self.dst_meta
        # Meta lines are "type=R mode=0755 uid=… gid=… size=… atime=… mtime=… extAttrsHash=0". Two different
        # ones in DataSync's own form (`_META`, the usual group) are read with one match each and compared
        # field by field; any others (one side only, fields missing, added or reordered, other
        # whitespace) as tokens. Both readings give the same for lines in DataSync's form.
        if src_meta and dst_meta and src_meta != dst_meta:
            source, destination = _META.match(src_meta), _META.match(dst_meta)
            if source is not None and destination is not None:
                src, dst = source.groups(), destination.groups()
                differs = [name for at, name in _META_BY_NAME if src[at] != dst[at]]
                return self._failure(src[4], src[6], dst[4], dst[6], differs, True)
        return self._failure(*_compared_as_tokens(src_meta, dst_meta))

    def _failure(
        self,
        src_size: str | None,
        src_mtime: str | None,
        dst_size: str | None,
        dst_mtime: str | None,
        differs: list[str],
        both_metas: bool,
    ) -> FileFailure:
        evidence: dict[str, str | int] = {}
        if src_size is not None:
            evidence["src_size"] = _number(src_size)
        if dst_size is not None:
            evidence["dst_size"] = _number(dst_size)
        if src_mtime is not None:
            evidence["src_mtime"] = src_mtime
        if dst_mtime is not None:
            evidence["dst_mtime"] = dst_mtime
        src_hash, dst_hash = self.src_hash, self.dst_hash
        if src_hash is not None:
            evidence["src_hash"] = src_hash
        if dst_hash is not None:
            evidence["dst_hash"] = dst_hash
        if differs:
            evidence["differs"] = ",".join(differs)
        evidence["message"] = self.message
        category = _group_category(self.marker, both_metas, src_size, dst_size, dst_mtime, src_hash, dst_hash, differs)
        return FileFailure(_rooted(self.name), category, self.tag[1:-1], evidence)


def _compared_as_tokens(
    src_meta: str | None, dst_meta: str | None
) -> tuple[str | None, str | None, str | None, str | None, list[str], bool]:
    """(source size, source mtime, destination size, destination mtime, the names of the fields that
    differ, whether both sides have meta) of a group's meta lines of any form, compared as "name=value"
    tokens; only the fields the evidence needs are looked up."""
    source = src_meta.split() if src_meta else []
    destination = source if dst_meta == src_meta else dst_meta.split() if dst_meta else []
    src_size, src_mtime = _size_and_mtime(source)
    dst_size, dst_mtime = _size_and_mtime(destination)
    differs = _differing(source, destination) if source and destination and source is not destination else []
    return src_size, src_mtime, dst_size, dst_mtime, differs, bool(source and destination)


def _group_category(
    marker: str,
    both_metas: bool,
    src_size: str | None,
    dst_size: str | None,
    dst_mtime: str | None,
    src_hash: str | None,
    dst_hash: str | None,
    differs: list[str],
) -> Category:
    if marker == ">":
        return "not_at_source"
    # The guide's vanished destination: size 0, mtime 0/0 and the all-zero hash. Without the hash line
    # (a group cut short) the meta alone decides; with it, a meta that says otherwise wins.
    vanished_meta = dst_size == "0" and dst_mtime == "0/0"
    if (dst_hash == _ZERO_HASH and (vanished_meta or dst_size is None)) or (dst_hash is None and vanished_meta):
        return "missing_at_destination"
    if src_hash is not None and dst_hash is not None:
        # Equal content failed verification: what differs is metadata, shown in `differs` or not
        # (some attributes only show as a hash).
        return "checksum_mismatch" if src_hash.lower() != dst_hash.lower() else "metadata_mismatch"
    if both_metas:
        if src_size != dst_size:
            return "checksum_mismatch"
        if differs:
            return "metadata_mismatch"
    return "other"


def _size_and_mtime(tokens: list[str]) -> tuple[str | None, str | None]:
    """The size and mtime fields of a meta line, where DataSync puts them (5th and 7th) or anywhere."""
    if len(tokens) > 6 and tokens[4][:5] == "size=" and tokens[6][:6] == "mtime=":
        return tokens[4][5:], tokens[6][6:]
    size = mtime = None
    for token in tokens:
        name, _, value = token.partition("=")
        if name == "size" and size is None:
            size = value
        elif name == "mtime" and mtime is None:
            mtime = value
    return size, mtime


def _differing(source: list[str], destination: list[str]) -> list[str]:
    """The sorted names of the meta fields that differ; a field on one side only differs too."""
    if len(source) == len(destination):
        names: list[str] = []
        for mine, theirs in zip(source, destination, strict=True):
            if mine != theirs:
                name = mine.partition("=")[0]
                if theirs.partition("=")[0] != name:
                    break
                names.append(name)
        else:
            names.sort()
            return names
    # Fields in another order or number: compare by name.
    return sorted({token.partition("=")[0] for token in set(source).symmetric_difference(destination)})


def _number(value: str) -> str | int:
    try:
        return int(value)
    except ValueError:  # not a number, or (a hostile line) more digits than int() accepts
        return value


def _rooted(path: str) -> str:
    return path if path[:1] == "/" else "/" + path


def _without_line_break(message: str) -> tuple[str, str]:
    """The message without the line break a reader may have left, and that break. Only a line break
    goes: names can end with spaces."""
    if message[-1:] != "\n":
        return message, ""
    tail = "\r\n" if message[-2:] == "\r\n" else "\n"
    return message[: -len(tail)], tail


def _single_line(level: str, text: str) -> FileFailure:
    """A one-line Basic failure ("Failed to … NAME: reason", "Deferred error: …"); `unattributed` when
    the line names no path."""
    if text.startswith("Deferred error: "):
        return _deferred_error(level, text)
    form = _form_of(text)
    if form is not None:
        prefix, default, absent = form
        name, reason = _split_reason(text[len(prefix) :])
    else:
        # Another "Failed to <verb> … /NAME: reason" form: the name is the first word starting with "/".
        at = text.find(" /", len("Failed to ") - 1)
        if at < 0:
            return _unattributed(level, text)
        verb = text[len("Failed to ") : at]
        default = category_from_text(verb) or "other"
        absent = "missing_at_destination" if "destination" in verb else "source_vanished"
        name, reason = _split_reason(text[at + 1 :])
    return _line_failure(level, text, name, reason, _form_category(default, absent, reason), form is _DIRECTORY_FORM)


def _form_category(default: Category, absent: Category, reason: str) -> Category:
    """A one-line form's category: the cause its reason names (`absent` if the item does not exist), else
    the form's own."""
    found = category_from_text(reason)
    return default if found is None else absent if found == "source_vanished" else found


# (category, whether the item is a directory) of each form and common reason, as `_single_line` decides.
_USUAL_CATEGORIES: Mapping[str, Mapping[str, tuple[Category, bool]]] = {
    prefix: {
        reason: (_form_category(default, absent, reason), prefix == _DIRECTORY_FORM[0]) for reason in _COMMON_REASONS
    }
    for prefix, default, absent in _FORMS
}


def _form_of(text: str) -> tuple[str, Category, Category] | None:
    for form in _FORMS:
        if text.startswith(form[0]):
            return form
    return None


def _deferred_error(level: str, text: str) -> FileFailure:
    """`Deferred error: WriteFileExtAttr2 failed to setextattrlist(filename="NAME"): Input/output error`.

    Write operations that fail after the copy (attributes, ACLs) are write errors unless the reason
    names a cause. Without a `filename="…"` the name is the first word starting with "/".
    """
    operation = text[len("Deferred error: ") :].partition(" ")[0]
    start = text.find('(filename="')
    if start >= 0:
        start += len('(filename="')
        # The last `"): ` closes the name: a name may contain quotes, the reason does not.
        end = text.rfind('"): ')
        if end >= start:
            name, reason = text[start:end], text[end + 4 :]
        else:
            end = text.rfind('")')
            if end < start:
                return _unattributed(level, text)
            name, reason = text[start:end], text[end + 2 :]
    else:
        at = text.find(" /")
        if at < 0:
            return _unattributed(level, text)
        name, reason = _split_reason(text[at + 1 :])
    default: Category = "write_error" if operation.startswith("Write") else "other"
    return _line_failure(level, text, name, reason, category_from_text(reason) or default)


def _split_reason(rest: str) -> tuple[str, str]:
    """(name, reason) of "NAME: REASON".

    Names may contain ": ", so the split is ambiguous. Rule: the last ": " followed by a known reason
    (`_KNOWN_REASON`, which may itself go on after ": "); else the last ": ", since reasons are short
    error texts that rarely contain ": ". A name containing ": <known reason>" followed by an
    unknown reason is split wrongly; nothing in the line can tell.
    """
    last = rest.rfind(": ")
    if last >= 0 and rest[last + 2 :] in _COMMON_REASONS:  # the usual case, without a regular expression
        return rest[:last], rest[last + 2 :]
    at = last
    while at >= 0:
        if _KNOWN_REASON.match(rest, at + 2):
            return rest[:at], rest[at + 2 :]
        at = rest.rfind(": ", 0, at)
    if last < 0:
        return rest, ""
    return rest[:last], rest[last + 2 :]


def _line_failure(
    level: str, text: str, name: str, reason: str, category: Category, directory: bool = False
) -> FileFailure:
    evidence: dict[str, str | int] = {}
    if name[-1:] == ")":
        version = _VERSION_SUFFIX.search(name)
        if version is not None:
            name = name[: version.start()]
            evidence["version_id"] = version.group(1)
    if not name or name == "/":
        return _unattributed(level, text)
    if reason:
        evidence["detail"] = reason
    evidence["message"] = text
    return FileFailure(name if name[:1] == "/" else "/" + name, category, level, evidence, directory)


def _other_failure(level: str, text: str) -> FileFailure:
    """An `[ERROR]`/`[WARN]` line of a form not known above: a failure of the path it names, classified by
    its words; an `S3 Exception:` or a line without a path is `unattributed`."""
    if text.startswith(_S3_EXCEPTION):
        return _s3_exception(level, text)
    at = 0
    if text[:1] != "/":
        at = text.find(" /") + 1  # the name is the first word starting with "/"
        if at == 0:
            return _unattributed(level, text)
    name, reason = _split_reason(text[at:])
    category = category_from_text(reason) or category_from_text(text[:at]) or "other"
    return _line_failure(level, text, name, reason, category)


def _s3_exception(level: str, text: str) -> FileFailure:
    """An `S3 Exception:` line on its own: `unattributed` (its key is the bucket's, not the location's
    path), with the operation, key, HTTP status and error code as evidence."""
    failure = _unattributed(level, text)
    fields = _S3_EXCEPTION_FIELDS.search(text)
    if fields is not None:
        operation, key, status, code = fields.groups()
        evidence = dict(failure.evidence)
        evidence.update(
            {
                name: value
                for name, value in (
                    ("operation", operation),
                    ("object_key", key),
                    ("http_status", status),
                    ("error_code", code or ""),
                )
                if value
            }
        )
        return FileFailure(failure.path, failure.category, level, evidence)
    return failure


def _with_s3_exception(warning: FileFailure, message: str) -> FileFailure | None:
    """The warning about a failed S3 request joined with the `S3 Exception:` line that follows it, when
    that line is about the same object; else None. The exception names the cause (AccessDenied,
    SlowDown, …), so its category wins when it names one."""
    line = _without_line_break(message)[0]
    end = line.find("] ", 1, _TAG_END_WITHIN)
    if end < 0 or not line.startswith(_FAILURE_TAGS) or not line.startswith(_S3_EXCEPTION, end + 2):
        if "Exception:" not in line[: _TAG_END_WITHIN + len(_S3_EXCEPTION) + 8]:
            return None
        line = _collapsed(line)  # the same line with other whitespace
        end = line.find("] ", 1, _TAG_END_WITHIN)
        if end < 0 or not line.startswith(_FAILURE_TAGS) or not line.startswith(_S3_EXCEPTION, end + 2):
            return None
    exception = _s3_exception(line[1:end], line[end + 2 :])
    key = str(exception.evidence.get("object_key", ""))
    # The key carries the location's prefix before the path: "photos/picture1.png" for "/picture1.png".
    if not key or not ("/" + key).endswith(warning.path):
        return None
    cause = category_of_error(str(exception.evidence.get("error_code", "")), "")
    evidence = {**warning.evidence, "s3_exception": line[end + 2 :]}
    return FileFailure(warning.path, cause or warning.category, warning.level, evidence, warning.directory)


def _unattributed(level: str, text: str) -> FileFailure:
    """A failure line that names no path of the location: counted, with the line as its evidence."""
    return FileFailure("", "unattributed", level, {"message": text})


def _irregular(message: str) -> bool:
    """Whether a line's whitespace may differ from DataSync's: a tab, or a run of spaces outside the
    three-space separators of its verification lines."""
    return "\t" in message or ("  " in message and "  " in message.replace("   ", " "))


def _collapsed(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def _enhanced(message: str) -> FileFailure | None:
    """An Enhanced-mode JSON event with an ErrorCode; events without one (successes) are not failures."""
    try:
        event = json.loads(message)
    except (ValueError, RecursionError):  # malformed, or nested deeper than the decoder goes
        return None
    if not isinstance(event, dict):
        return None
    code = event.get("ErrorCode")
    if not code:  # absent, null or empty: a success
        return None
    path = _relative_path(event.get("Source")) or _relative_path(event.get("Destination"))
    code_text = code if isinstance(code, str) else json.dumps(code)
    detail = event.get("ErrorDetail")
    detail_text = "" if detail is None else detail if isinstance(detail, str) else json.dumps(detail)
    evidence: dict[str, str | int] = {"error_code": code_text}
    if detail_text:
        evidence["error_detail"] = detail_text
    action = event.get("Action")
    if isinstance(action, str):
        evidence["action"] = action
    if path is None:
        # Counted all the same: the event says something failed.
        return FileFailure("", "unattributed", ENHANCED_LEVEL, {**evidence, "message": message})
    category = category_of_error(code_text, detail_text) or "other"
    return FileFailure(_rooted(path), category, ENHANCED_LEVEL, evidence)


def _relative_path(side: Any) -> str | None:
    if isinstance(side, dict):
        path = side.get("RelativePath")
        if isinstance(path, str) and path:
            return path
    return None
