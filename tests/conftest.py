"""Test layers. `tests/unit` (pure domain) and `tests/steps` (steps on fakes) are the fast layer, as is
the fake half of `tests/contract`: all marked `unit`, all run by `make unit`.

A `unit` test may not reach AWS in any form: no moto, no emulator, no network. Every AWS call that
gets past botocore's own stubbing (`botocore.stub.Stubber` answers before a request is made) and
every socket connection fails it loudly, naming the layer it belongs to.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.endpoint import Endpoint

TESTS = Path(__file__).resolve().parent
UNIT_LAYERS = frozenset({"unit", "steps"})


class LeftTheUnitLayer(AssertionError):
    """A fast-layer test reached for AWS or the network."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        try:
            layer = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if layer in UNIT_LAYERS:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def _unit_layer_stays_off_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if request.node.get_closest_marker("unit") is None:
        yield
        return

    def no_request(self: Endpoint, *args: Any, **kwargs: Any) -> Any:
        raise LeftTheUnitLayer(
            f"{request.node.nodeid} sent an AWS request to {self.host}: a test on moto or the emulator "
            "belongs in tests/handlers, tests/workflow or the real half of tests/contract, not the unit layer"
        )

    def no_connection(self: socket.socket, *args: Any, **kwargs: Any) -> Any:
        raise LeftTheUnitLayer(f"{request.node.nodeid} opened a network connection: the unit layer is offline")

    monkeypatch.setattr(Endpoint, "make_request", no_request)
    monkeypatch.setattr(socket.socket, "connect", no_connection)
    monkeypatch.setattr(socket.socket, "connect_ex", no_connection)
    yield
