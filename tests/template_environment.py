"""Functions' environments as template.yaml gives them, with its Parameters' defaults.

The template is the one source of every default: tests that need settings build them from here, so
a default changed in the template is the default the tests see.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from datasync_scheduler.composition.settings import EnvironmentSettings
from emulator.template import NO_VALUE, Intrinsics, load_template, parameter_values

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = load_template(ROOT / "template.yaml")
S = TypeVar("S", bound=EnvironmentSettings)


class _EveryAttribute(Mapping[tuple[str, str], str]):
    """Fn::GetAtt of any resource: a recognisable stand-in (`<logical id>.<attribute>`)."""

    def __getitem__(self, key: tuple[str, str]) -> str:
        return f"{key[0]}.{key[1]}"

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and key[0] in TEMPLATE["Resources"]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(())

    def __len__(self) -> int:
        return 0


def function_environment(function: str, **parameters: str) -> dict[str, str]:
    """The environment `function` (a logical id) gets: the Globals' and its own variables, resolved
    with the template's defaults (`parameters` overrides some, as a deployment would)."""
    intrinsics = Intrinsics(
        parameter_values(TEMPLATE, parameters),
        {name: name.lower() for name in TEMPLATE["Resources"]},
        _EveryAttribute(),
        TEMPLATE.get("Conditions", {}),
        {"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012", "AWS::Partition": "aws"},
    )
    declared: dict[str, Any] = {
        **TEMPLATE["Globals"]["Function"].get("Environment", {}).get("Variables", {}),
        **TEMPLATE["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {}),
    }
    return {
        name: str(resolved)
        for name, value in declared.items()
        if (resolved := intrinsics.resolve(value)) is not NO_VALUE
    }


def template_settings(kind: type[S], function: str, **parameters: str) -> S:
    """`kind` read from `function`'s environment with the template's defaults (`parameters` changed)."""
    return kind.from_environment(function_environment(function, **parameters))
