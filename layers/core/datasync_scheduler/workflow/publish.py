"""The one SNS publication of a run or a batch: which renderings it carries, and whether it goes out."""

from __future__ import annotations

from typing import Any

from datasync_scheduler.composition.settings import MessageSettings
from datasync_scheduler.domain.per_task_messages import IN_THE_DIGEST, sends_own_message
from datasync_scheduler.domain.schedules import Firing
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.message import Message
from datasync_scheduler.messages.publication import sns_publication


def publication_of(
    message: Message, settings: MessageSettings, *, workflow_execution: str, firing: Firing | None = None
) -> dict[str, Any]:
    """The SNS publication of a run's or batch's message (`workflow_execution`: the run's or batch's,
    which names the message); `publish` is false for a silent success. A named schedule's firing
    names its schedule in the message and gives the publish its `route` attribute."""
    if firing is not None:
        message = message.model_copy(
            update={
                "schedule": firing.schedule,
                "scheduled_time": firing.scheduled_time.isoformat() if firing.scheduled_time else None,
            }
        )
    return sns_publication(
        message,
        chatbot=render_chatbot(message) if settings.chatbot else None,
        publish=not (message.outcome == "succeeded" and settings.on_success == "silent"),
        workflow_execution=workflow_execution,
        route=firing.route if firing is not None else None,
    )


def run_publication(
    message: Message, settings: MessageSettings, *, workflow_execution: str, firing: Firing | None
) -> tuple[dict[str, Any], str | None]:
    """A run's publication, and why it is not published when its firing's `perTaskMessages` withholds
    it (the run result says so; the verdict, history and metrics are the same either way)."""
    publication = publication_of(message, settings, workflow_execution=workflow_execution, firing=firing)
    if sends_own_message(firing, message.outcome):
        return publication, None
    return {**publication, "publish": False}, IN_THE_DIGEST
