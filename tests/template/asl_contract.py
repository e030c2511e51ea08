"""Checks a state machine definition against the pydantic models of its state.

For every state the caller names the model of the JSON the state receives (`Workflow.state_models`)
and, for each Lambda-backed Task, its handler's input model (`Workflow.lambda_inputs`). The checker
then finds every path the definition reads or writes and reports, as sentences:

- a path read (`.$` parameters at any depth, a Distributed Map's `ItemReader`, `ResultWriter`
  and `ItemBatcher` parameters and `ItemBatcher`'s `*Path` fields, `InputPath`, `OutputPath`, `ItemsPath`, Choice
  `Variable`s, `TimeoutSecondsPath`, `SecondsPath`, `HeartbeatSecondsPath`, `ErrorPath`, `CausePath`,
  paths inside intrinsic functions) that the state's model does not have;
- a `ResultPath` (the state's, or a Catch's) that the model of the state it leads to does not have;
- a Lambda task whose `Parameters` (or `Payload`) keys differ from its handler's input fields;
- a Task state without a `States.ALL` Catch (its failure would end the run with no message);
- a field a carried model (`Workflow.carried`) has that nobody reads: no path reads it, its
  parent or a child (a Lambda task's `Parameters` path is how its handler receives it).

A workflow registers itself by building a `Workflow`; the checks know nothing of a particular ASL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

JSON_PATH = re.compile(r"(?<!\$)\$(?!\$)(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
READ_FIELDS = (
    "InputPath",
    "OutputPath",
    "ItemsPath",
    "TimeoutSecondsPath",
    "HeartbeatSecondsPath",
    "SecondsPath",
    "TimestampPath",
    "ErrorPath",
    "CausePath",
    "MaxConcurrencyPath",
)
LAMBDA_INVOKE = re.compile(r":states:::lambda:invoke")
FUNCTION_ARN = re.compile(r"^\$\{(\w+)FunctionArn\}$")


@dataclass(frozen=True)
class Workflow:
    name: str
    definition: Mapping[str, Any]
    # State name -> model of the JSON the state receives; states not named get `default_model`.
    state_models: Mapping[str, type[BaseModel] | None]
    default_model: type[BaseModel]
    # Lambda-backed Task state -> its handler's input model.
    lambda_inputs: Mapping[str, type[BaseModel]]
    # The models of the state whose every field someone must read (the workflow's state before and
    # after a step that replaces it); a path means the same field in each of them.
    carried: tuple[type[BaseModel], ...]
    # Fields read outside the ASL's paths (e.g. by the CLI), as "$.a.b", with why.
    read_elsewhere: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Read:
    state: str
    where: str
    path: str


def states(definition: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every state, nested ones (Map iterators, Parallel branches) included."""
    for name, state in definition.get("States", {}).items():
        yield name, state
        for inner in (state.get("Iterator"), state.get("ItemProcessor"), *state.get("Branches", [])):
            if inner:
                yield from states(inner)


def _paths_in(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """(where, path) for every state path in a Parameters-like template, at any depth."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key.endswith(".$") and isinstance(inner, str):
                for path in JSON_PATH.findall(inner):
                    if not inner.startswith("$$"):
                        yield f"{where}.{key}", path
            else:
                yield from _paths_in(inner, f"{where}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths_in(inner, f"{where}[{index}]")


def _choice_variables(rules: list[Mapping[str, Any]], where: str) -> Iterator[tuple[str, str]]:
    for index, rule in enumerate(rules):
        if "Variable" in rule:
            yield f"{where}[{index}].Variable", rule["Variable"]
        for key, value in rule.items():
            if key.endswith("Path") and isinstance(value, str) and value.startswith("$."):
                yield f"{where}[{index}].{key}", value
        for combinator in ("And", "Or"):
            yield from _choice_variables(rule.get(combinator, []), f"{where}[{index}].{combinator}")
        if "Not" in rule:
            yield from _choice_variables([rule["Not"]], f"{where}[{index}].Not")


def reads(name: str, state: Mapping[str, Any]) -> Iterator[Read]:
    """The paths a state reads from its input (not ResultSelector's: those read the task's result)."""
    for key in READ_FIELDS:
        value = state.get(key)
        if isinstance(value, str) and value.startswith("$") and not value.startswith("$$"):
            yield Read(name, key, value)
    for where, path in _paths_in(state.get("Parameters", {}), "Parameters"):
        yield Read(name, where, path)
    for where, path in _paths_in(state.get("ItemSelector", {}), "ItemSelector"):
        yield Read(name, where, path)
    # A Distributed Map reads its items' location, its results' location and its batching from its
    # input too (docs/aws-facts.md#distributed-map).
    for block_name in ("ItemReader", "ResultWriter", "ItemBatcher"):
        block = state.get(block_name, {})
        for where, path in _paths_in(block.get("Parameters", {}), f"{block_name}.Parameters"):
            yield Read(name, where, path)
        for where, path in _paths_in(block.get("BatchInput", {}), f"{block_name}.BatchInput"):
            yield Read(name, where, path)
        for key in ("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"):
            value = block.get(key)
            if isinstance(value, str) and value.startswith("$") and not value.startswith("$$"):
                yield Read(name, f"{block_name}.{key}", value)
        reader_config = block.get("ReaderConfig", {})
        value = reader_config.get("MaxItemsPath")
        if isinstance(value, str) and value.startswith("$") and not value.startswith("$$"):
            yield Read(name, f"{block_name}.ReaderConfig.MaxItemsPath", value)
    yield from (Read(name, where, path) for where, path in _choice_variables(state.get("Choices", []), "Choices"))


def writes(name: str, state: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(where, path, next state) for the state's ResultPath and each Catch's."""
    if isinstance(state.get("ResultPath"), str) and "Next" in state:
        yield "ResultPath", state["ResultPath"], state["Next"]
    for index, catch in enumerate(state.get("Catch", [])):
        if isinstance(catch.get("ResultPath", "$"), str):
            yield f"Catch[{index}].ResultPath", catch.get("ResultPath", "$"), catch["Next"]


# --- the schema side ------------------------------------------------------------------------


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The alternatives a schema node stands for, references followed (null alternatives dropped)."""
    if "$ref" in schema:
        return _resolve(root["$defs"][schema["$ref"].rsplit("/", 1)[-1]], root)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return [alt for option in schema[combinator] for alt in _resolve(option, root)]
    if schema.get("type") == "null":
        return []
    return [schema]


def _open(node: Mapping[str, Any]) -> bool:
    """Anything may be below: `Any`, or a mapping whose values are not described."""
    if not node or node.get("type") not in ("object", None):
        return not node  # `{}` is Any; a string or number has nothing below
    additional = node.get("additionalProperties", "properties" not in node)
    return additional is True or additional == {} or (isinstance(additional, Mapping) and _open(additional))


def has_path(model: type[BaseModel], path: str) -> bool:
    """Whether `path` ("$.a.b") can exist in the JSON of `model`."""
    root = model.model_json_schema(by_alias=True)
    nodes: list[Mapping[str, Any]] = _resolve(root, root)
    for key in path.split(".")[1:]:
        found: list[Mapping[str, Any]] = []
        for node in nodes:
            if _open(node):
                return True
            if key in node.get("properties", {}):
                found += _resolve(node["properties"][key], root)
            elif isinstance(node.get("additionalProperties"), Mapping):
                found += _resolve(node["additionalProperties"], root)
        if not found:
            return False
        nodes = found
    return True


def field_paths(model: type[BaseModel]) -> list[str]:
    """Every named field of `model`, nested models' fields too, as "$.a.b" (not inside open maps)."""
    root = model.model_json_schema(by_alias=True)
    paths: list[str] = []

    def walk(nodes: list[Mapping[str, Any]], prefix: str, seen: frozenset[str]) -> None:
        for node in nodes:
            for key, inner in node.get("properties", {}).items():
                path = f"{prefix}.{key}"
                if path not in paths:
                    paths.append(path)
                ref = inner.get("$ref") or next((o.get("$ref") for o in inner.get("anyOf", []) if "$ref" in o), None)
                if ref and ref in seen:
                    continue
                walk(_resolve(inner, root), path, seen | ({ref} if ref else set()))

    walk(_resolve(root, root), "$", frozenset())
    return paths


def input_fields(model: type[BaseModel]) -> set[str]:
    return {info.alias or name for name, info in model.model_fields.items()}


# --- the checks -------------------------------------------------------------------------------


def _model_at(workflow: Workflow, state: str) -> type[BaseModel] | None:
    return workflow.state_models.get(state, workflow.default_model)


def unknown_paths(workflow: Workflow) -> list[str]:
    problems = []
    for name, state in states(workflow.definition):
        model = _model_at(workflow, name)
        for read in reads(name, state):
            if model is not None and read.path != "$" and not has_path(model, read.path):
                problems.append(f"{name}: {read.where} reads {read.path}, which {model.__name__} does not have")
        for where, path, following in writes(name, state):
            target = _model_at(workflow, following)
            if target is not None and path != "$" and not has_path(target, path):
                problems.append(
                    f"{name}: {where} writes {path}, which {target.__name__} (the input of {following}) does not have"
                )
    return problems


def lambda_payload(state: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A Lambda task's payload template: its Parameters, or `Payload` for the lambda:invoke integration."""
    resource = str(state.get("Resource", ""))
    if LAMBDA_INVOKE.search(resource):
        payload: Mapping[str, Any] = state.get("Parameters", {}).get("Payload", {})
        return payload
    if FUNCTION_ARN.match(resource):
        parameters: Mapping[str, Any] = state.get("Parameters", {})
        return parameters
    return None


def mismatched_parameters(workflow: Workflow) -> list[str]:
    problems = []
    for name, state in states(workflow.definition):
        if state.get("Type") != "Task":
            continue
        payload = lambda_payload(state)
        if payload is None:
            continue
        if name not in workflow.lambda_inputs:
            problems.append(f"{name}: a Lambda task with no registered input model")
            continue
        sent = {key.removesuffix(".$") for key in payload}
        expected = input_fields(workflow.lambda_inputs[name])
        if sent != expected:
            problems.append(
                f"{name}: Parameters send {sorted(sent)} but {workflow.lambda_inputs[name].__name__} "
                f"takes {sorted(expected)} (missing {sorted(expected - sent)}, extra {sorted(sent - expected)})"
            )
        if _model_at(workflow, name) is not None and any(
            isinstance(v, str) and v == "$" for k, v in payload.items() if k.endswith(".$")
        ):
            problems.append(f"{name}: passes the whole state ($) to its function")
    return problems


def _covers(read: str, path: str) -> bool:
    return read == path or path.startswith(read + ".") or read.startswith(path + ".")


def unread_fields(workflow: Workflow) -> list[str]:
    # A state that receives something else (the run's raw input, an error) reads nothing of the carried state.
    read_paths = {
        read.path
        for name, state in states(workflow.definition)
        if _model_at(workflow, name) in workflow.carried
        for read in reads(name, state)
    }
    read_paths |= set(workflow.read_elsewhere)
    problems: list[str] = []
    for model in workflow.carried:
        problems += [
            f"{path} is carried in {model.__name__} but nothing reads it"
            for path in field_paths(model)
            if not any(_covers(read, path) for read in read_paths)
        ]
    return problems


def uncaught_tasks(workflow: Workflow) -> list[str]:
    """Task states without a Catch for every error: a failure there would end the run with no message."""
    return [
        f"{name}: a Task state without a States.ALL Catch"
        for name, state in states(workflow.definition)
        if state.get("Type") == "Task"
        and not any("States.ALL" in catch.get("ErrorEquals", []) for catch in state.get("Catch", []))
    ]


def problems(workflow: Workflow) -> list[str]:
    return (
        unknown_paths(workflow) + mismatched_parameters(workflow) + unread_fields(workflow) + uncaught_tasks(workflow)
    )
