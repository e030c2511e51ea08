"""Tiny Lambda handlers for emulator tests (a function's code: its folder holds this module only)."""

from typing import Any


class FlakyDependency(Exception):
    pass


def always_fails(event: Any, context: Any) -> Any:
    raise FlakyDependency("the dependency is down")


def echo(event: Any, context: Any) -> Any:
    return {"echo": event, "function": context.function_name}


# What `remember` received, in a module of the tests' own: this one is loaded afresh per function.
from tests.emulator.received_events import LOADS, RECEIVED  # noqa: E402

LOADS.append(__name__)


def remember(event: Any, context: Any) -> Any:
    RECEIVED.append((context.function_name, event))
    return None


def environment(event: Any, context: Any) -> Any:
    """The values the asked-for variables have in the function's environment (None: not set)."""
    import os

    return {name: os.environ.get(name) for name in event["names"]}


def hold(event: Any, context: Any) -> Any:
    """Says it runs, then runs until the test releases it (the event carries two threading.Events)."""
    event["running"].set()
    event["release"].wait(30)
    return None


def slow_call(event: Any, context: Any) -> Any:
    """Makes a call that takes `seconds` of virtual time (the event carries the router), then says
    which of the asked-for variables it sees."""
    import os

    event["router"].pause(event["seconds"])
    return {name: os.environ.get(name) for name in event["names"]}
