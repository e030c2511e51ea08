"""The schedules file shipped with the stack (the ScheduleBook port).

`sam build` puts schedules/ (schedules.yaml and the YAML parser it needs) into the schedules layer,
which Lambda unpacks under /opt (docs/aws-facts.md#lambda-layers); the functions that read it are
told where by SCHEDULES_FILE. The file is read once per container: a new file is a new layer
version, which Lambda gives only to new containers.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import yaml

from datasync_scheduler.domain.schedules import InvalidSchedules, SchedulesFile, parse_schedules


class FileScheduleBook:
    def __init__(self, path: Path) -> None:
        self._path = path

    def schedules(self) -> SchedulesFile:
        return self._file

    @cached_property
    def _file(self) -> SchedulesFile:
        return load_schedules(self._path)


def load_schedules(path: Path) -> SchedulesFile:
    """The file at `path`, checked; InvalidSchedules names what is wrong (YAML syntax included)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidSchedules(f"{path.name}: cannot be read ({error.strerror or error})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise InvalidSchedules(f"{path.name}: not valid YAML{line}: {getattr(error, 'problem', error)}") from None
    return parse_schedules(raw, source=path.name)
