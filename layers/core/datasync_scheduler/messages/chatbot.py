"""A `Message` as an AWS Chatbot (Amazon Q Developer in chat applications) custom notification.

Chatbot subscribes to the topic over HTTPS and posts what it receives to Slack or Microsoft Teams
when it follows the custom notification schema:
https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html. Its `client-markdown`
text is rendered as the chat client's markdown (Slack mrkdwn in Slack, with `<url|label>` links), so
untrusted text is escaped exactly as for the Slack notifier (`chat_text`).

Limits from the schema's parameter details: title 250 characters, description 8,000, each next step
350, each keyword 75. What does not fit is cut, and the description says how much was left out.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from datasync_scheduler.domain.units import format_duration
from datasync_scheduler.messages import chat_text
from datasync_scheduler.messages.chat_text import code, cut, line, size
from datasync_scheduler.messages.message import Failures, Message, tasks_heading

TITLE_LIMIT = 250
DESCRIPTION_LIMIT = 8000
NEXT_STEP_LIMIT = 350
KEYWORD_LIMIT = 75
# Not displayed as such, but kept short: Chatbot groups by them (threadId) or shows them as tags.
IDENTIFIER_LIMIT = 256
CONTEXT_VALUE_LIMIT = 256
EXAMPLE_PATHS = 3
EMOJI = {"succeeded": ":white_check_mark:", "recovered": ":warning:", "failed": ":x:", "warned": ":warning:"}
# Room kept at the end of the description for the line that says what was left out.
MORE_ROOM = 80


def render_chatbot(message: Message) -> dict[str, Any]:
    """The custom notification for a run's or a batch's message."""
    emoji = EMOJI.get(message.outcome, "")
    content: dict[str, Any] = {
        "textType": "client-markdown",
        "title": cut(f"{emoji} {line(message.subject)}", TITLE_LIMIT),
        "description": _description(message),
        "keywords": _keywords(message),
    }
    if steps := _next_steps(message):
        content["nextSteps"] = steps
    metadata: dict[str, Any] = {
        "threadId": _identifier(f"datasync-scheduler/{message.task}" if message.task else "datasync-scheduler/batch"),
        "summary": cut(line(message.subject), TITLE_LIMIT),
        "eventType": f"datasync-scheduler/{message.kind}/{message.outcome}",
        "additionalContext": {
            cut(line(fact.label), KEYWORD_LIMIT): cut(line(fact.value), CONTEXT_VALUE_LIMIT) for fact in message.facts
        },
    }
    if resources := [
        chat_text.preformatted(reference.value)
        for reference in message.references
        if reference.value.startswith("arn:")
    ]:
        metadata["relatedResources"] = resources
    return {"version": "1.0", "source": "custom", "id": _id(message), "content": content, "metadata": metadata}


def _description(message: Message) -> str:
    lines: list[str] = []
    if message.summary:
        lines.append(line(message.summary))
    lines += [f"*{line(fact.label)}:* {line(fact.value)}" for fact in message.facts]
    if message.error:
        lines.append(f"*Error:* {code(message.error)}")
    if message.failures is not None:
        lines += _failure_lines(message.failures)
    if message.tasks:
        lines.append(f"*{tasks_heading(message)}*")
        lines += [
            f"{EMOJI.get(task.outcome, '')} {chat_text.link(task.url, task.task) if task.url else code(task.task)} "
            f"{line(task.status)}" + (f": {line(task.detail)}" if task.detail else "")
            for task in message.tasks
        ]
    if message.tasks_not_listed:
        lines.append(f"and {message.tasks_not_listed:,} more tasks")
    if message.attempts:
        lines.append("*Attempts*")
        lines += [line(attempt) for attempt in message.attempts]
    if message.phases:
        spans = [
            f"{line(span.phase)} {line(span.at[11:19])}"
            + (f" ({format_duration(span.seconds)})" if span.seconds is not None else "")
            for span in message.phases
        ]
        lines.append(f"Phases (UTC): {' → '.join(spans)}")
    return _fit(lines, DESCRIPTION_LIMIT) or line(message.subject) or "(no details)"


def _failure_lines(failures: Failures) -> list[str]:
    if failures.unknown_because:
        return [f"*Which files failed is unknown:* {line(failures.unknown_because)}"]
    which = f" in attempt {failures.attempt}" if failures.attempt else ""
    lines = [
        f"*Files that failed{which}: {failures.total:,}* "
        f"({failures.transient:,} a rerun can fix, {failures.permanent:,} it cannot)"
    ]
    for group in failures.groups:
        lines.append(f"{code(group.category)} {group.count:,}" + (f": {line(group.advice)}" if group.advice else ""))
        shown = group.examples[:EXAMPLE_PATHS]
        lines += [f"  • {code(path)}" for path in shown]
        if group.count > len(shown):
            lines.append(f"  and {group.count - len(shown):,} more")
    if failures.report:
        lines.append(f"Complete list: {code(failures.report)}")
    lines += [f"Note: {line(caveat)}." for caveat in failures.caveats]
    return lines


def _next_steps(message: Message) -> list[str]:
    steps = [cut(line(step), NEXT_STEP_LIMIT) for step in message.next_steps if step.strip()]
    for link in message.links:
        linked = f"Open {chat_text.link(link.url, link.label)}"
        # A link is never cut in the middle: too long, it is named without its address.
        steps.append(linked if size(linked) <= NEXT_STEP_LIMIT else cut(f"Open {line(link.label)}", NEXT_STEP_LIMIT))
    return steps


def _keywords(message: Message) -> list[str]:
    words = ["DataSync", message.kind, message.outcome]
    if message.error:
        words.append(message.error)
    if message.task:
        words.append(message.task)
    return [cut(line(word), KEYWORD_LIMIT) for word in words if word.strip()]


def _fit(lines: list[str], limit: int) -> str:
    """The lines in order within `limit`; the last one says how many did not fit."""
    room = limit - MORE_ROOM
    kept: list[str] = []
    used_size = 0
    for text in lines:
        text = cut(text, room)
        added = size(text) + (1 if kept else 0)  # and the line break before it
        if used_size + added > room:
            break
        kept.append(text)
        used_size += added
    if len(kept) < len(lines):
        left = len(lines) - len(kept)
        kept.append(f"and {left:,} more line{'s' if left != 1 else ''}")
    return "\n".join(kept)


def _id(message: Message) -> str:
    """The workflow (or batch) execution the message is about; else a digest of the message."""
    for reference in message.references:
        if reference.label in ("Workflow execution", "Batch execution"):
            return _identifier(reference.value)
    digest = hashlib.sha256(json.dumps(message.to_json_dict(), sort_keys=True).encode()).hexdigest()
    return f"datasync-scheduler/{digest[:32]}"


def _identifier(text: str) -> str:
    return cut(chat_text.preformatted(text), IDENTIFIER_LIMIT, tail="")
