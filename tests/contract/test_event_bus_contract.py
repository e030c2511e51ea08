"""The event bus's contract (`EventBusPort`), for the fake and for EventBridge's PutEvents as documented
(docs/aws-facts.md#eventbridge-putevents): an event taken is delivered once; one PutEvents refuses is
`NotEmitted`, never taken for delivered."""

import json

import pytest

from datasync_scheduler.ports import EventEntry, NotEmitted
from tests.contract.conftest import EventBusWorld


def _entry(**changes: str) -> EventEntry:
    fields = {"source": "datasync-scheduler", "detail_type": "Sync Run Ended", "detail": '{"verdict": "ok"}'}
    return EventEntry(**{**fields, **changes}, resources=("arn:aws:datasync:us-east-1:123456789012:task/task-1",))


def test_an_event_taken_reaches_a_rule_on_the_bus_once(event_bus: EventBusWorld) -> None:
    assert event_bus.port.put(_entry())
    assert event_bus.received() == [("datasync-scheduler", "Sync Run Ended", {"verdict": "ok"})]


@pytest.mark.parametrize(
    "changes",
    [
        {"detail": "[1, 2]"},  # a Detail that is not a JSON object
        {"detail": "not json"},
        {"source": "aws.datasync"},  # a source of AWS's own
        {"detail": json.dumps({"a": "x" * (256 * 1024)})},  # over the entry's 256 KB
    ],
)
def test_an_entry_eventbridge_refuses_is_not_emitted_and_reaches_nobody(
    event_bus: EventBusWorld, changes: dict[str, str]
) -> None:
    with pytest.raises(NotEmitted):
        event_bus.port.put(_entry(**changes))
    assert event_bus.received() == []
