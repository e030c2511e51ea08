"""EventBridge delivery as DataSync's events really get it: lost, duplicated, late."""

from datetime import timedelta
from typing import Any

from emulator.clock import VirtualClock
from emulator.event_bus import EventBus, EventFaults, EventRule, PutEventsBus

RULE = EventRule(
    "rule", {"source": ["aws.datasync"], "detail-type": ["DataSync Task Execution State Change"]}, "target"
)


def event(state: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": state,
        "detail-type": "DataSync Task Execution State Change",
        "source": "aws.datasync",
        "account": "123456789012",
        "time": "2026-11-21T23:00:00Z",
        "region": "us-east-1",
        "resources": [
            "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0"
        ],
        "detail": {"State": state},
    }


def deliver_all(faults: EventFaults, states: list[str]) -> tuple[list[str], EventBus]:
    clock = VirtualClock()
    received: list[str] = []
    bus = EventBus(clock, [RULE], lambda target, e: received.append(e["detail"]["State"]) is None, faults)
    clock.attach(bus)
    for state in states:
        bus.publish(event(state))
    clock.advance(timedelta(days=1).total_seconds())
    return received, bus


def test_without_faults_every_event_arrives_once_in_order() -> None:
    received, bus = deliver_all(EventFaults(), ["QUEUED", "LAUNCHING", "SUCCESS"])
    assert received == ["QUEUED", "LAUNCHING", "SUCCESS"]
    assert bus.stats.delivered == 3


def test_dropped_events_never_arrive() -> None:
    received, bus = deliver_all(EventFaults(drop=frozenset({"SUCCESS"})), ["QUEUED", "SUCCESS"])
    assert received == ["QUEUED"] and bus.stats.dropped == 1


def test_duplicated_events_arrive_twice() -> None:
    received, _ = deliver_all(EventFaults(duplicate=frozenset({"*"})), ["QUEUED", "SUCCESS"])
    assert received == ["QUEUED", "SUCCESS", "QUEUED", "SUCCESS"]  # each copy a second after the first


def test_a_delayed_event_arrives_after_later_ones() -> None:
    received, _ = deliver_all(EventFaults(delay_seconds={"QUEUED": 600}), ["QUEUED", "LAUNCHING", "SUCCESS"])
    assert received == ["LAUNCHING", "SUCCESS", "QUEUED"]


def test_only_events_matching_the_rule_are_delivered() -> None:
    other = event("SUCCESS") | {"detail-type": "DataSync Task State Change"}
    clock = VirtualClock()
    received: list[Any] = []
    bus = EventBus(clock, [RULE], lambda target, e: received.append(e) is None)
    clock.attach(bus)
    bus.publish(other)
    clock.advance(1)
    assert received == []


def test_unknown_fault_switches_are_refused_by_name() -> None:
    try:
        EventFaults.from_dict({"lose": ["*"]})
    except ValueError as error:
        assert "lose" in str(error)
    else:
        raise AssertionError("an unknown switch was accepted")


# --- PutEvents: the scheduler's own events, refused as EventBridge documents ----------------------


def _put(entries: list[dict[str, Any]]) -> tuple[dict[str, Any], PutEventsBus]:
    bus = PutEventsBus(VirtualClock(), account_id="123456789012", region="us-east-1", buses=frozenset({"default"}))
    return bus.handle("PutEvents", {"Entries": entries}), bus


def _entry(**changes: Any) -> dict[str, Any]:
    return {"Source": "datasync-scheduler", "DetailType": "Sync Run Ended", "Detail": '{"a": 1}', **changes}


def test_a_well_formed_event_is_taken_and_delivered_in_eventbridges_envelope() -> None:
    answer, bus = _put([_entry(Resources=["arn:aws:datasync:us-east-1:123456789012:task/task-1"])])
    assert answer["FailedEntryCount"] == 0 and "EventId" in answer["Entries"][0]
    (event,) = bus.events
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "datasync-scheduler",
        "Sync Run Ended",
        {"a": 1},
    )
    assert event["resources"] == ["arn:aws:datasync:us-east-1:123456789012:task/task-1"]


def test_a_refused_entry_fails_alone_with_its_error_code_and_the_call_still_answers() -> None:
    big = '{"a": "' + "x" * (256 * 1024) + '"}'
    answer, bus = _put(
        [
            _entry(),
            _entry(Detail="[1, 2]"),  # not a JSON object
            _entry(Source="aws.datasync"),
            _entry(Detail=big),
            _entry(EventBusName="no-such-bus"),
            _entry(DetailType="x" * 129),
        ]
    )
    codes = [entry.get("ErrorCode") for entry in answer["Entries"]]
    assert codes == [
        None,
        "MalformedDetail",
        "NotAuthorizedForSourceException",
        "InvalidArgument",
        "ResourceNotFoundException",
        "InvalidArgument",
    ]
    assert answer["FailedEntryCount"] == 5
    assert len(bus.events) == 1
