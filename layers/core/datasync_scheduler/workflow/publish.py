"""The one SNS publication of a run or a batch: which renderings it carries, and whether it goes out."""

from __future__ import annotations

from typing import Any

from datasync_scheduler.composition.settings import MessageSettings
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.message import Message
from datasync_scheduler.messages.publication import sns_publication


def publication_of(message: Message, settings: MessageSettings, *, workflow_execution: str) -> dict[str, Any]:
    """The SNS publication of a run's or batch's message (`workflow_execution`: the run's or batch's,
    which names the message); `publish` is false for a silent success."""
    return sns_publication(
        message,
        chatbot=render_chatbot(message) if settings.chatbot else None,
        publish=not (message.outcome == "succeeded" and settings.on_success == "silent"),
        workflow_execution=workflow_execution,
    )
