"""template.yaml as one stack: the nested observability application's resources and conditions put
inline, each of its parameters replaced by what template.yaml passes for it.

Its parameters are named after the resources they name, so `!Ref SyncWorkflow` in the nested
template becomes the parent's `!Ref SyncWorkflow`: tests read alarms and the dashboard as if they
were in the core stack, and resolve them with the parent's own intrinsics.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
_SUB_NAME = re.compile(r"\$\{([^}!]+)\}")


def nested_applications(template: dict[str, Any]) -> dict[str, Path]:
    """The nested applications of `template` and their local templates."""
    return {
        logical_id: ROOT / str(spec["Properties"]["Location"])
        for logical_id, spec in template["Resources"].items()
        if spec["Type"] == "AWS::Serverless::Application"
    }


def _substitute(value: Any, declared: dict[str, Any], passed: dict[str, Any]) -> Any:
    def parameter(name: str) -> Any:
        return passed[name] if name in passed else declared[name].get("Default", "")

    if isinstance(value, list):
        return [_substitute(item, declared, passed) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref" and argument in declared:
            return copy.deepcopy(parameter(argument))
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else (argument[0], dict(argument[1]))
            variables = {name: _substitute(item, declared, passed) for name, item in variables.items()}
            for name in set(_SUB_NAME.findall(text)) & set(declared) - set(variables):
                expression = parameter(name)
                if isinstance(expression, dict) and set(expression) == {"Ref"}:
                    text = text.replace(f"${{{name}}}", f"${{{expression['Ref']}}}")
                elif isinstance(expression, dict) and set(expression) == {"Fn::GetAtt"}:
                    text = text.replace(f"${{{name}}}", "${" + ".".join(expression["Fn::GetAtt"]) + "}")
                else:
                    variables[name] = copy.deepcopy(expression)
            return {"Fn::Sub": [text, variables] if variables else text}
    return {key: _substitute(item, declared, passed) for key, item in value.items()}


def as_one_stack(path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    template = load_template(path)
    merged = copy.deepcopy(template)
    for logical_id, location in nested_applications(template).items():
        nested = load_template(location)
        declared = nested.get("Parameters", {})
        passed = template["Resources"][logical_id]["Properties"].get("Parameters", {})
        assert set(passed) <= set(declared), set(passed) - set(declared)
        del merged["Resources"][logical_id]
        for name, spec in nested["Resources"].items():
            assert name not in merged["Resources"], name
            merged["Resources"][name] = _substitute(spec, declared, passed)
        for name, condition in nested.get("Conditions", {}).items():
            assert name not in merged["Conditions"], name
            merged["Conditions"][name] = _substitute(condition, declared, passed)
        merged.setdefault("NestedOutputs", {})[logical_id] = {
            name: _substitute(output["Value"], declared, passed) for name, output in nested.get("Outputs", {}).items()
        }
    return merged
