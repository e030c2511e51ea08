"""The scenario script: what a scenario makes a DataSync task execution do.

An `ExecutionScript` gives an execution its phases and their durations, its outcome, its totals and
the files that fail; `ExecutionScript.from_dict` reads the camelCase form scenarios write
(events/scenarios/README.md). The execution lifecycle (`emulator.datasync_lifecycle`) walks it
over virtual time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from emulator.datasync_logs import FailedFile

PHASES = ("LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING")
TERMINAL_STATUSES = frozenset({"SUCCESS", "ERROR"})


@dataclass(frozen=True)
class Phase:
    status: str  # one of PHASES
    seconds: float | None  # None: the phase never ends by itself (e.g. LAUNCHING with the agent offline)
    # For its first `stalled_seconds` the phase's counters do not move (a hung destination that
    # recovers); they then grow over the rest of the phase, which still lasts `seconds` in all.
    stalled_seconds: float = 0

    def __post_init__(self) -> None:
        if self.status not in PHASES:
            raise ValueError(f"status must be one of {list(PHASES)}, not {self.status!r}")
        if self.seconds is not None and (isinstance(self.seconds, bool) or self.seconds < 0):
            raise ValueError(f"seconds must be a non-negative number or null, not {self.seconds!r}")
        if self.stalled_seconds < 0 or (self.seconds is not None and self.stalled_seconds >= self.seconds > 0):
            raise ValueError("stalledSeconds must be at least 0 and shorter than the phase")

    @property
    def duration(self) -> timedelta | None:
        return None if self.seconds is None else timedelta(seconds=self.seconds)


DEFAULT_PHASES = (Phase("LAUNCHING", 20), Phase("PREPARING", 60), Phase("TRANSFERRING", 600), Phase("VERIFYING", 60))


@dataclass(frozen=True)
class ExecutionScript:
    """How one execution behaves: its phases and durations, its outcome, its totals and failed files."""

    phases: tuple[Phase, ...] = DEFAULT_PHASES
    outcome: str = "SUCCESS"  # or "ERROR"; a cancel ends in ERROR whatever the outcome
    error_code: str | None = None  # Result.ErrorCode / ErrorDetail of an ERROR outcome
    error_detail: str | None = None
    file_count: int = 0
    byte_count: int = 0
    failed_files: tuple[FailedFile, ...] = ()
    cancel_seconds: float = 5  # how long CANCELLING lasts
    # How long after the execution ended DescribeTaskExecution still answers its last phase, while
    # the end's event has already gone out: DataSync's API is eventually consistent, and how long
    # it may lag is not documented (docs/aws-facts.md#end-event-and-describe).
    describe_lag_seconds: float = 0

    def __post_init__(self) -> None:
        ranks = [PHASES.index(phase.status) for phase in self.phases]
        if ranks != sorted(set(ranks)):
            raise ValueError(f"phases must appear at most once each, in the order {list(PHASES)}")
        if any(phase.seconds is None for phase in self.phases[:-1]):
            raise ValueError("only the last phase may last forever (seconds null): later ones could never start")
        if self.outcome not in TERMINAL_STATUSES:
            raise ValueError(f"outcome must be SUCCESS or ERROR, not {self.outcome!r}")
        if self.outcome == "SUCCESS" and (self.error_code is not None or self.error_detail is not None):
            raise ValueError("errorCode and errorDetail need outcome ERROR")
        if self.file_count < 0 or self.byte_count < 0 or self.cancel_seconds < 0 or self.describe_lag_seconds < 0:
            raise ValueError("files, bytes, cancelSeconds and describeLagSeconds must not be negative")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExecutionScript:
        """Reads the camelCase JSON form; a ValueError names the offending key."""
        _reject_unknown_keys(
            data,
            {
                "phases",
                "outcome",
                "errorCode",
                "errorDetail",
                "files",
                "bytes",
                "failedFiles",
                "cancelSeconds",
                "describeLagSeconds",
            },
            "script",
        )
        raw_phases = _typed(data, "phases", list, None)
        phases = (
            DEFAULT_PHASES
            if raw_phases is None
            else tuple(_phase_from_dict(item, f"phases[{i}]") for i, item in enumerate(raw_phases))
        )
        failed_files = tuple(
            _failed_file_from_dict(item, f"failedFiles[{i}]")
            for i, item in enumerate(_typed(data, "failedFiles", list, []))
        )
        try:
            return cls(
                phases=phases,
                outcome=_typed(data, "outcome", str, "SUCCESS"),
                error_code=_typed(data, "errorCode", str, None),
                error_detail=_typed(data, "errorDetail", str, None),
                file_count=_typed(data, "files", int, 0),
                byte_count=_typed(data, "bytes", int, 0),
                failed_files=failed_files,
                cancel_seconds=_typed(data, "cancelSeconds", (int, float), 5),
                describe_lag_seconds=_typed(data, "describeLagSeconds", (int, float), 0),
            )
        except ValueError as error:
            raise ValueError(f"script: {error}") from None


DEFAULT_SCRIPT = ExecutionScript()  # what an execution of an unscripted task does: a short, empty success


def _phase_from_dict(item: Any, where: str) -> Phase:
    if not isinstance(item, Mapping):
        raise ValueError(f"{where} must be an object")
    _reject_unknown_keys(item, {"status", "seconds", "stalledSeconds"}, where)
    for key in ("status", "seconds"):
        if key not in item:
            raise ValueError(f"{where}.{key} is required")
    try:
        return Phase(
            status=_typed(item, "status", str, "", where),
            seconds=_typed(item, "seconds", (int, float), None, where),
            stalled_seconds=_typed(item, "stalledSeconds", (int, float), 0, where),
        )
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _failed_file_from_dict(item: Any, where: str) -> FailedFile:
    if not isinstance(item, Mapping):
        raise ValueError(f"{where} must be an object")
    _reject_unknown_keys(item, {"path", "kind", "reason", "logged"}, where)
    for key in ("path", "kind"):
        if key not in item:
            raise ValueError(f"{where}.{key} is required")
    try:
        return FailedFile(
            path=_typed(item, "path", str, "", where),
            kind=_typed(item, "kind", str, "", where),
            reason=_typed(item, "reason", str, None, where),
            logged=_flag(item, "logged", True, where),
        )
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _reject_unknown_keys(data: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in data:
        if key not in known:
            raise ValueError(f"{where}: unknown key {key!r} (known: {sorted(known)})")


def _typed(
    data: Mapping[str, Any], key: str, types: type | tuple[type, ...], default: Any, where: str = "script"
) -> Any:
    """`data[key]` checked against `types` (no booleans anywhere in a script), or `default` when absent or null."""
    value = data.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, types):
        raise ValueError(f"{where}.{key} has the wrong type: {value!r}")
    return value


def _flag(data: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    """`data[key]` checked to be true or false, or `default` when absent."""
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{where}.{key} must be true or false, not {value!r}")
    return value
