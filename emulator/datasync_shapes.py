"""DataSync requests and responses checked against botocore's model of the DataSync API.

The emulator answers only what botocore's output shapes allow (`validate_output`: a mismatch is a
bug in the emulator), and refuses what the input shapes rule out but botocore's client does not
check (`input_problems`: enums, lengths, patterns), as DataSync's server does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StringShape, StructureShape


@functools.cache
def _service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("datasync")


def validate_output(operation: str, response: Mapping[str, Any]) -> None:
    """Asserts that `response` is a valid parsed output of DataSync's `operation` as botocore models it:
    known members only, required ones present, types, enum values, lengths, ranges, patterns, and
    timestamps as time-zone-aware datetimes. A failure is a bug in the emulator."""
    shape = _service_model().operation_model(operation).output_shape
    problems = (
        _shape_problems(shape, response, operation)
        if shape is not None
        else ([] if not response else [f"{operation} has no output, got {sorted(response)}"])
    )
    if problems:
        raise AssertionError(f"{operation} response does not match botocore's model: " + "; ".join(problems))


def input_problems(operation: str, params: Mapping[str, Any]) -> list[str]:
    """What in a request botocore's model rules out, as readable problems: botocore's client checks
    types and required members but not enums, maximum lengths or patterns, which DataSync then checks."""
    shape = _service_model().operation_model(operation).input_shape
    return _shape_problems(shape, params, operation) if shape is not None else []


def value_problems(shape_name: str, value: Any, path: str) -> list[str]:
    """What botocore's model rules out in a value of one of DataSync's shapes (such as
    `ScheduleDisabledReason`): for data the emulator is given rather than asked for."""
    return _shape_problems(_service_model().shape_for(shape_name), value, path)


def _shape_problems(shape: Shape, value: Any, path: str) -> list[str]:
    if isinstance(shape, StructureShape):
        if not isinstance(value, Mapping):
            return [f"{path} must be a structure, not {type(value).__name__}"]
        problems = [f"{path}.{key} is not a member of {shape.name}" for key in value if key not in shape.members]
        problems += [f"{path}.{key} is required" for key in shape.required_members if key not in value]
        for key, member in shape.members.items():
            if key in value:
                problems += _shape_problems(member, value[key], f"{path}.{key}")
        return problems
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return [f"{path} must be a list, not {type(value).__name__}"]
        problems = _bounds(path, len(value), shape, "items")
        for index, item in enumerate(value):
            problems += _shape_problems(shape.member, item, f"{path}[{index}]")
        return problems
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            return [f"{path} must be a map, not {type(value).__name__}"]
        problems = []
        for key, item in value.items():
            problems += _shape_problems(shape.key, key, f"{path} key")
            problems += _shape_problems(shape.value, item, f"{path}[{key!r}]")
        return problems
    if isinstance(shape, StringShape):
        if not isinstance(value, str):
            return [f"{path} must be a string, not {type(value).__name__}"]
        if shape.enum and value not in shape.enum:
            return [f"{path} is {value!r}, not one of {shape.enum}"]
        problems = _bounds(path, len(value), shape, "characters")
        pattern = _pattern(shape.metadata.get("pattern"))
        if pattern is not None and not pattern.search(value):
            problems.append(f"{path} {value!r} does not match {pattern.pattern!r}")
        return problems
    return _scalar_problems(shape, value, path)


def _scalar_problems(shape: Shape, value: Any, path: str) -> list[str]:
    kind = shape.type_name
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{path} must be an integer, not {type(value).__name__}"]
        return _bounds(path, value, shape, "")
    if kind in ("double", "float"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "timestamp":
        ok = isinstance(value, datetime) and value.utcoffset() is not None
    elif kind == "blob":
        ok = isinstance(value, bytes | bytearray)
    else:
        return [f"{path} has a shape type ({kind}) the validator does not know"]
    return [] if ok else [f"{path} must be a {kind} (timestamps time-zone aware), not {value!r}"]


def _bounds(path: str, size: int, shape: Shape, unit: str) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and size < low) or (high is not None and size > high):
        return [f"{path} is {size} {unit} outside [{low}, {high}]".replace("  ", " ")]
    return []


# The model's patterns are Java regular expressions; these spellings translate to Python's.
_JAVA_PATTERN_SPELLINGS = {r"\z": r"\Z", r"\p{Zs}": " \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"}


@functools.cache
def _pattern(java_pattern: str | None) -> re.Pattern[str] | None:
    if java_pattern is None:
        return None
    translated = java_pattern
    for java, python in _JAVA_PATTERN_SPELLINGS.items():
        translated = translated.replace(java, python)
    try:
        return re.compile(translated)
    except re.error:
        return None  # other Unicode classes (\p{L}…, only in Azure Blob paths): unchecked rather than guessed
