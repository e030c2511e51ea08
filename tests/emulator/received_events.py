"""Events the sample handlers' `remember` received, with the receiving function's name.

Kept outside the handlers' module: the emulator loads a function's module afresh for each function
and at each cold start (as Lambda would), so a list in that module would start empty every time."""

from typing import Any

RECEIVED: list[tuple[str, Any]] = []
# One entry per load of the sample handlers' module: a cold start.
LOADS: list[str] = []
