"""Tiny Lambda handlers for emulator tests."""

from typing import Any


class FlakyDependency(Exception):
    pass


def always_fails(event: Any, context: Any) -> Any:
    raise FlakyDependency("the dependency is down")


def echo(event: Any, context: Any) -> Any:
    return {"echo": event, "function": context.function_name}
