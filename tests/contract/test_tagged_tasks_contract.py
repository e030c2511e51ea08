"""DataSync tasks found by tag (`TaggedTasks`): the fake, and the adapter on the emulator's DataSync
(ListTasks, then ListTagsForResource for each task, every page of both)."""

from collections.abc import Callable, Iterator

import boto3
import pytest
from moto import mock_aws

from datasync_scheduler.adapters.tagged_tasks import DataSyncTaggedTasks
from datasync_scheduler.domain.where import Where
from datasync_scheduler.ports import TaggedTasks
from emulator import aws_hooks
from emulator.clock import VirtualClock
from emulator.datasync import DataSyncEmulator
from tests.contract.conftest import FAKE, REAL, REGION
from tests.fakes import FakeTaggedTasks

KEY = "datasync-scheduler:schedule"
# Where the tasks are looked up: the Region and account the tasks are created in.
HERE = Where("aws", REGION, "123456789012")
# (tags) -> the new task's ARN
NewTask = Callable[[dict[str, str]], str]


@pytest.fixture(params=[FAKE, REAL])
def world(request: pytest.FixtureRequest) -> Iterator[tuple[TaggedTasks, NewTask]]:
    if request.param == "fake":
        fake = FakeTaggedTasks()
        count = iter(range(10_000))

        def new_fake(tags: dict[str, str]) -> str:
            arn = f"arn:aws:datasync:{REGION}:123456789012:task/task-{next(count):017x}"
            fake.tags[arn] = dict(tags)
            return arn

        yield fake, new_fake
        return
    clock = VirtualClock()
    emulator = DataSyncEmulator(clock)
    clock.attach(emulator)
    aws_hooks.serve("datasync", emulator.handle)
    try:
        with mock_aws():
            client = boto3.client("datasync", region_name=REGION)
            source = client.create_location_nfs(
                ServerHostname="files.example.internal",
                Subdirectory="/share",
                OnPremConfig={"AgentArns": [f"arn:aws:datasync:{REGION}:123456789012:agent/agent-0123456789abcdef0"]},
            )["LocationArn"]
            destination = client.create_location_s3(
                S3BucketArn="arn:aws:s3:::archive",
                S3Config={"BucketAccessRoleArn": "arn:aws:iam::123456789012:role/datasync"},
            )["LocationArn"]

            def new_task(tags: dict[str, str]) -> str:
                created = client.create_task(
                    SourceLocationArn=source,
                    DestinationLocationArn=destination,
                    Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
                )
                return str(created["TaskArn"])

            yield DataSyncTaggedTasks(client), new_task
    finally:
        aws_hooks.stop("datasync")


def test_only_tasks_with_the_exact_key_and_value_are_found_each_once(world: tuple[TaggedTasks, NewTask]) -> None:
    port, new_task = world
    nightly = new_task({KEY: "nightly", "team": "media"})
    new_task({KEY: "nightly-2"})
    new_task({KEY: "Nightly"})
    new_task({"nightly": "datasync-scheduler:schedule"})
    new_task({})
    also = new_task({KEY: "nightly"})
    assert sorted(port.tagged(KEY, "nightly", HERE)) == sorted([nightly, also])
    assert port.tagged(KEY, "weekly", HERE) == []


def test_every_page_of_tasks_is_read(world: tuple[TaggedTasks, NewTask]) -> None:
    port, new_task = world
    tagged = [new_task({KEY: "fleet"} if index % 3 == 0 else {}) for index in range(250)]
    expected = sorted(arn for index, arn in enumerate(tagged) if index % 3 == 0)
    assert sorted(port.tagged(KEY, "fleet", HERE)) == expected
