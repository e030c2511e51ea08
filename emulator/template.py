"""Reads template.yaml the way CloudFormation would, for the parts the emulator needs.

The template is the single source of truth for wiring: handlers, environment, state machine
definitions and substitutions, event patterns and schedule inputs are all read from it here, so
the emulator cannot drift from what `sam deploy` creates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


# What `!Ref AWS::NoValue` resolves to: the property (or list item) holding it is removed, as in
# CloudFormation; only a whole value that is NO_VALUE reaches the caller.
NO_VALUE: Any = _NoValue()


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML with CloudFormation's short-form tags (`!Ref X` → `{"Ref": "X"}`)."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


@dataclass
class Intrinsics:
    """Resolves CloudFormation intrinsic functions against parameters and deployed resources."""

    parameters: Mapping[str, str]
    refs: Mapping[str, str]  # logical id -> what Ref returns
    attributes: Mapping[tuple[str, str], str]  # (logical id, attribute) -> value
    conditions: Mapping[str, Any] = field(default_factory=dict)
    pseudo: Mapping[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [resolved for item in value if (resolved := self.resolve(item)) is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            handler = self._functions().get(key)
            if handler is not None:
                return handler(argument)
        return {key: resolved for key, item in value.items() if (resolved := self.resolve(item)) is not NO_VALUE}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": lambda arg: str(self.resolve(arg[0])).join(str(self.resolve(x)) for x in self.resolve(arg[1])),
            "Fn::Select": lambda arg: self.resolve(arg[1])[int(self.resolve(arg[0]))],
            "Fn::Split": lambda arg: str(self.resolve(arg[1])).split(str(self.resolve(arg[0]))),
            "Fn::Equals": lambda arg: self.resolve(arg[0]) == self.resolve(arg[1]),
            "Fn::Not": lambda arg: not self.resolve(arg[0]),
            "Fn::And": lambda arg: all(self.resolve(x) for x in arg),
            "Fn::Or": lambda arg: any(self.resolve(x) for x in arg),
            "Condition": self.condition,
            "Fn::Condition": self.condition,
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        for table in (self.pseudo, self.parameters, self.refs):
            if name in table:
                value = table[name]
                return value.items() if isinstance(value, CommaDelimitedList) else value
        raise KeyError(f"Ref to unknown name {name!r}")

    def _get_att(self, argument: list[str]) -> str:
        key = (argument[0], argument[1])
        if key not in self.attributes:
            raise KeyError(f"GetAtt {argument[0]}.{argument[1]} is not emulated")
        return self.attributes[key]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], argument[1])
        resolved = {name: self.resolve(item) for name, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in resolved:
                return str(resolved[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self._get_att([logical_id, attribute])
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def _if(self, argument: list[Any]) -> Any:
        return self.resolve(argument[1] if self.condition(argument[0]) else argument[2])

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.conditions[name]))


class CommaDelimitedList(str):
    """A `CommaDelimitedList` parameter's text: a Ref to it gives its items, as in CloudFormation
    (an empty value gives one empty item)."""

    def items(self) -> list[str]:
        return self.split(",")


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    """Template defaults with overrides applied; unknown overrides are an error, as in CloudFormation."""
    declared = template.get("Parameters", {})
    unknown = set(overrides) - set(declared)
    if unknown:
        raise ValueError(f"unknown template parameters: {', '.join(sorted(unknown))}")
    values = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
    values.update({name: str(value) for name, value in overrides.items()})
    for name, spec in declared.items():
        pattern = spec.get("AllowedPattern")
        if pattern and not re.fullmatch(pattern, values[name]):
            raise ValueError(f"parameter {name}={values[name]!r} does not match {pattern}")
        allowed = spec.get("AllowedValues")
        if allowed and values[name] not in [str(item) for item in allowed]:
            raise ValueError(f"parameter {name}={values[name]!r} is not one of {allowed}")
        if spec.get("Type") == "Number":
            _check_number(name, values[name], spec)
        if spec.get("Type") == "CommaDelimitedList":
            values[name] = CommaDelimitedList(values[name])
    return values


def _check_number(name: str, text: str, spec: Mapping[str, Any]) -> None:
    """A `Number` parameter is a number within its MinValue and MaxValue, or CloudFormation refuses
    the stack before creating anything (docs/aws-facts.md#template-parameters)."""
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"parameter {name}={text!r} is not a number") from None
    if "MinValue" in spec and number < float(spec["MinValue"]):
        raise ValueError(f"parameter {name}={text!r} is less than its MinValue {spec['MinValue']}")
    if "MaxValue" in spec and number > float(spec["MaxValue"]):
        raise ValueError(f"parameter {name}={text!r} is greater than its MaxValue {spec['MaxValue']}")


def substitute_definition(definition: str, substitutions: Mapping[str, str]) -> str:
    """`DefinitionSubstitutions` applied the way SAM does: every `${Name}` must have a value."""
    missing = sorted(set(_SUB_VARIABLE.findall(definition)) - set(substitutions))
    if missing:
        raise KeyError(f"definition placeholders without a substitution: {', '.join(missing)}")
    result = _SUB_VARIABLE.sub(lambda match: substitutions[match.group(1)], definition)
    json.loads(result)  # a substitution must leave valid JSON behind
    return result


def placeholders(definition: str) -> set[str]:
    return set(_SUB_VARIABLE.findall(definition))
