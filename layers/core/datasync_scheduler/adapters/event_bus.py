"""The scheduler's event bus: puts one event per call with PutEvents.

The client retries in botocore's standard mode, as every client of the functions. PutEvents
answers 200 even when it refused an entry, with `FailedEntryCount` and the entry's `ErrorCode`
(docs/aws-facts.md#eventbridge-putevents): that refusal is `NotEmitted` too, so a caller never
takes a refused event for a delivered one.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from datasync_scheduler.adapters.aws_clients import client
from datasync_scheduler.ports import EventEntry, NotEmitted


class EventBridgeBus:
    """`EventBusPort` on an EventBridge event bus (its name or ARN; "default" is the account's)."""

    def __init__(self, bus_name: str) -> None:
        self.bus_name = bus_name

    def put(self, entry: EventEntry) -> str:
        try:
            response = client("events").put_events(
                Entries=[
                    {
                        "Source": entry.source,
                        "DetailType": entry.detail_type,
                        "Detail": entry.detail,
                        "Resources": list(entry.resources),
                        "EventBusName": self.bus_name,
                    }
                ]
            )
        except (ClientError, BotoCoreError) as error:
            code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
            raise NotEmitted(f"{code or type(error).__name__}: {error}") from error
        answered = (response.get("Entries") or [{}])[0]
        if response.get("FailedEntryCount") or "EventId" not in answered:
            raise NotEmitted(f"{answered.get('ErrorCode', 'FailedEntry')}: {answered.get('ErrorMessage', '')}")
        return str(answered["EventId"])
