"""Handlers run as Lambda would run them (through the router), against moto and the DataSync emulator."""

from collections.abc import Iterator

import pytest

from emulator.runner import LocalAws, create_task, local_aws
from emulator.scenario import load_scenario


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    with local_aws() as emulated:
        emulated.deploy()
        yield emulated


@pytest.fixture
def task_arn(aws: LocalAws) -> str:
    return create_task(load_scenario("nightly-success"))
