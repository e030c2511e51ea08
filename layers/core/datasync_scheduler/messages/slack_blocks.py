"""What the Slack notifier posts: a `Message`, a CloudWatch alarm or any other text, as Block Kit.

Block Kit as plain data (the typed dictionaries below), so that only the Slack notifier, which
posts it, carries slack_sdk: every renderer here keeps Slack's limits itself (150 characters per
header, 3,000 per text, 2,000 per field, 10 fields per section, 50 blocks), and the tests parse what
it renders with slack_sdk's Block Kit models and their validators, so a malformed block fails a
test, not a post. When content does not fit it is cut, and the message says how much was left out
("and 12 more"): nothing is dropped silently. All text from outside goes through `chat_text`, so it
cannot ping, link or format.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict

from pydantic import ValidationError

from datasync_scheduler.domain.units import format_duration
from datasync_scheduler.messages import chat_text, console_links
from datasync_scheduler.messages.chat_text import ELLIPSIS, code, cut, line, paragraph, size
from datasync_scheduler.messages.message import FailureGroup, Failures, Message, TaskLine, tasks_heading

HEADER_LIMIT = 150
TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
BLOCK_LIMIT = 50
# The top-level `text`: what notifications and screen readers show. Slack allows 40,000.
FALLBACK_LIMIT = 1000
# Room kept in every packed text for the "and N more" line that may have to close it.
MORE_ROOM = 60
# Blocks each part may take. Header, summary, 2 of facts, attempts, the failures' overview, 12
# categories and 1 for the rest, 12 of tasks, phases, next steps, links, references and 2 dividers:
# 39, within Slack's 50 whatever the message holds.
FACT_SECTIONS = 2
FAILURE_GROUP_SECTIONS = 12
TASK_SECTIONS = 12
EXAMPLE_PATHS = 5
# Any other text is shown in at most this many blocks (30,000 characters).
TEXT_SECTIONS = 10


# --- Block Kit, as Slack documents it (https://api.slack.com/reference/block-kit/blocks) ---------
class PlainText(TypedDict):
    type: Literal["plain_text"]
    text: str


class Mrkdwn(TypedDict):
    type: Literal["mrkdwn"]
    text: str
    # Slack does not turn bare URLs, #channel or @name in the text into links or mentions.
    verbatim: bool


class HeaderBlock(TypedDict):
    type: Literal["header"]
    text: PlainText


class SectionBlock(TypedDict):
    type: Literal["section"]
    text: NotRequired[Mrkdwn]
    fields: NotRequired[list[Mrkdwn]]


class DividerBlock(TypedDict):
    type: Literal["divider"]


class ContextBlock(TypedDict):
    type: Literal["context"]
    elements: list[Mrkdwn]


Block = HeaderBlock | SectionBlock | DividerBlock | ContextBlock
DIVIDER: DividerBlock = {"type": "divider"}

EMOJI = {"succeeded": "✅", "recovered": "⚠️", "failed": "❌", "warned": "⚠️"}
ALARM_EMOJI = {"ALARM": "🚨", "OK": "✅", "INSUFFICIENT_DATA": "❔"}


def slack_payload(text: str, subject: str | None = None) -> dict[str, Any]:
    """What to post for one message of the notification topic: ours as Block Kit, a CloudWatch
    alarm as a short alarm message, anything else as its text (escaped)."""
    decoded = _json_object(text)
    if decoded is not None:
        try:
            return render_slack(Message.model_validate(decoded))
        except ValidationError:
            pass  # some other JSON: an alarm, or text to show as it is
        if isinstance(decoded.get("AlarmName"), str) and isinstance(decoded.get("NewStateValue"), str):
            return render_alarm(decoded)
    return render_text(text, subject)


def render_slack(message: Message) -> dict[str, Any]:
    """The Block Kit payload (`text` and `blocks`) of a run's or batch's message."""
    emoji = EMOJI.get(message.outcome, "")
    blocks: list[Block] = [_header(f"{emoji} {message.subject}")]
    if message.summary.strip():
        blocks.append(_section(cut(line(message.summary), TEXT_LIMIT)))
    blocks += _fact_sections(message)
    if message.attempts:
        blocks += _packed_sections([line(attempt) for attempt in message.attempts], heading="*Attempts*", sections=1)
    if message.failures is not None:
        blocks += _failure_sections(message.failures)
    if message.tasks or message.tasks_not_listed:
        heading = f"*{tasks_heading(message)}*"
        blocks += _task_sections(message.tasks, message.tasks_not_listed, heading)
    if message.phases:
        blocks.append(_context(_phase_line(message)))
    if message.next_steps or message.links:
        blocks.append(DIVIDER)
    if message.next_steps:
        steps = [f"• {line(step)}" for step in message.next_steps]
        blocks += _packed_sections(steps, heading="*What to do next*", sections=1)
    if message.links:
        links = [f"• {chat_text.link(link.url, link.label)}" for link in message.links]
        blocks += _packed_sections(links, heading="*Open in the AWS console*", sections=1)
    if message.references:
        references = [f"{line(reference.label)}: {code(reference.value)}" for reference in message.references]
        blocks.append(_context(_fitting_lines(references)))
    fallback = line(f"{emoji} {message.subject}") + (f": {line(message.summary)}" if message.summary else "")
    return _payload(cut(fallback, FALLBACK_LIMIT), blocks)


def render_alarm(alarm: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudWatch alarm's state change, as CloudWatch publishes it to SNS."""
    name, state = str(alarm["AlarmName"]), str(alarm["NewStateValue"])
    emoji = ALARM_EMOJI.get(state, "❔")
    blocks: list[Block] = [_header(f"{emoji} {state}: {name}")]
    if (reason := str(alarm.get("NewStateReason") or "")).strip():
        blocks.append(_section(cut(paragraph(reason), TEXT_LIMIT)))
    fields = [_field("Alarm", code(name))]
    if old := alarm.get("OldStateValue"):
        fields.append(_field("State", f"{line(str(old))} → {line(state)}"))
    for label, key in (("Changed at", "StateChangeTime"), ("Region", "Region"), ("Description", "AlarmDescription")):
        if value := alarm.get(key):
            fields.append(_field(label, line(str(value))))
    blocks.append(_fields(fields))
    arn = str(alarm.get("AlarmArn") or "")
    if url := console_links.cloudwatch_alarm(arn):
        blocks.append(_section(f"*Open in the AWS console:* {chat_text.link(url, 'Alarm')}"))
    return _payload(cut(line(f"{emoji} {state}: {name}"), FALLBACK_LIMIT), blocks)


def render_text(text: str, subject: str | None = None) -> dict[str, Any]:
    """Any other text on the topic (a human's test message, the email text), shown as it is."""
    title = subject if subject and subject.strip() else "Message on the DataSync scheduler's notification topic"
    blocks: list[Block] = [_header(title)]
    lines = text.splitlines() or ["(empty message)"]
    blocks += _preformatted_sections(lines, sections=TEXT_SECTIONS)
    return _payload(cut(line(title), FALLBACK_LIMIT), blocks)


# --- parts of a run's or batch's message --------------------------------------------------------
def _fact_sections(message: Message) -> list[Block]:
    fields = [_field(fact.label, line(fact.value)) for fact in message.facts]
    if message.error:
        fields.append(_field("Error", code(message.error)))
    room = FACT_SECTIONS * FIELDS_PER_SECTION
    if len(fields) > room:
        left_out = len(fields) - room + 1
        fields = [*fields[: room - 1], _mrkdwn(f"and {left_out:,} more")]
    return [_fields(fields[start : start + FIELDS_PER_SECTION]) for start in range(0, len(fields), FIELDS_PER_SECTION)]


def _failure_sections(failures: Failures) -> list[Block]:
    if failures.unknown_because:
        return [_section(cut(f"*Which files failed is unknown:* {line(failures.unknown_because)}", TEXT_LIMIT))]
    which = f" in attempt {failures.attempt}" if failures.attempt else ""
    overview = [
        f"*Files that failed{which}: {failures.total:,}* "
        f"({failures.transient:,} a rerun can fix, {failures.permanent:,} it cannot)"
    ]
    if failures.report:
        overview.append(f"Complete list: {code(failures.report)}")
    overview += [f"Note: {line(caveat)}." for caveat in failures.caveats]
    blocks: list[Block] = [DIVIDER, _section(_fitting_lines(overview))]
    shown = failures.groups[:FAILURE_GROUP_SECTIONS]
    blocks += [_section(_failure_group(group)) for group in shown]
    rest = failures.groups[FAILURE_GROUP_SECTIONS:]
    if rest:
        files = sum(group.count for group in rest)
        categories = ", ".join(group.category for group in rest)
        blocks.append(
            _section(cut(line(f"and {len(rest):,} more categories ({files:,} files): {categories}"), TEXT_LIMIT))
        )
    return blocks


def _failure_group(group: FailureGroup) -> str:
    fix = "a rerun can fix it" if group.retry_class == "transient" else "a rerun cannot fix it"
    heading = f"{code(group.category)} *{group.count:,}* · {fix}"
    if group.advice:
        heading += f"\n{line(group.advice)}"
    paths = [f"• {code(path)}" for path in group.examples[:EXAMPLE_PATHS]]
    not_listed = group.count - min(len(group.examples), EXAMPLE_PATHS)
    (text,) = _packed(paths, heading=heading, sections=1, unlisted=not_listed, more=_more_files)
    return text


def _task_sections(tasks: Sequence[TaskLine], not_listed: int, heading: str) -> list[Block]:
    lines = [
        f"{EMOJI.get(task.outcome, '')} {_task_name(task)} {line(task.status)}"
        + (f": {line(task.detail)}" if task.detail else "")
        for task in tasks
    ]
    return [
        DIVIDER,
        *_packed_sections(lines, heading=heading, sections=TASK_SECTIONS, unlisted=not_listed, more=_more_tasks),
    ]


def _task_name(task: TaskLine) -> str:
    """The task's name, linked to its run when the line has a link (a firing's digest)."""
    return f"{chat_text.link(task.url, task.task)}" if task.url else code(task.task)


def _phase_line(message: Message) -> str:
    spans = []
    for span in message.phases:
        took = f" ({format_duration(span.seconds)})" if span.seconds is not None else ""
        spans.append(f"{line(span.phase)} {line(span.at[11:19])}{took}")
    return cut(f"Phases (UTC): {' → '.join(spans)}", TEXT_LIMIT)


# --- packing text into blocks -----------------------------------------------------------------
def _more(count: int) -> str:
    return f"and {count:,} more"


def _more_files(count: int) -> str:
    return f"and {count:,} more file{'s' if count != 1 else ''}"


def _more_tasks(count: int) -> str:
    return f"and {count:,} more task{'s' if count != 1 else ''}"


def _packed(
    lines: Sequence[str],
    *,
    heading: str = "",
    sections: int,
    unlisted: int = 0,
    more: Callable[[int], str] = _more,
    limit: int = TEXT_LIMIT,
) -> list[str]:
    """`lines` packed into at most `sections` texts of at most `limit` units each, in order.

    What does not fit, and `unlisted` more that were never listed, are counted in a last line."""
    room = limit - MORE_ROOM
    texts: list[str] = []
    current = cut(heading, room) if heading else ""
    used = 0
    for text in lines:
        text = cut(text, room)
        candidate = f"{current}\n{text}" if current else text
        if size(candidate) <= room:
            current = candidate
        elif len(texts) + 1 < sections:
            texts.append(current)
            current = text
        else:
            break
        used += 1
    left = len(lines) - used + unlisted
    if left:
        current = f"{current}\n{more(left)}" if current else more(left)
    texts.append(current)
    return [text for text in texts if text]


def _packed_sections(
    lines: Sequence[str],
    *,
    heading: str = "",
    sections: int,
    unlisted: int = 0,
    more: Callable[[int], str] = _more,
) -> list[Block]:
    return [_section(text) for text in _packed(lines, heading=heading, sections=sections, unlisted=unlisted, more=more)]


def _preformatted_sections(lines: Sequence[str], *, sections: int) -> list[Block]:
    """Text shown as it is, in code blocks: nothing in them formats; backticks cannot close them."""
    fence = "```"
    texts = _packed(
        [chat_text.preformatted(text) for text in lines],
        sections=sections,
        more=lambda left: f"and {left:,} more line{'s' if left != 1 else ''}",
        limit=TEXT_LIMIT - 2 * len(fence) - 2,
    )
    return [_section(f"{fence}\n{text}\n{fence}") for text in texts]


def _fitting_lines(lines: Sequence[str], limit: int = TEXT_LIMIT) -> str:
    texts = _packed(lines, sections=1, limit=limit)
    return texts[0] if texts else ""


# --- Block Kit objects --------------------------------------------------------------------------
def _header(text: str) -> HeaderBlock:
    # Slack refuses a blank text object.
    shown = cut(chat_text.plain(text), HEADER_LIMIT) if text.strip() else "(no subject)"
    return {"type": "header", "text": {"type": "plain_text", "text": shown}}


def _mrkdwn(text: str) -> Mrkdwn:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _section(text: str) -> SectionBlock:
    return {"type": "section", "text": _mrkdwn(text)}


def _fields(fields: list[Mrkdwn]) -> SectionBlock:
    return {"type": "section", "fields": fields}


def _field(label: str, value: str) -> Mrkdwn:
    return _mrkdwn(cut(f"*{line(label)}*\n{value}", FIELD_LIMIT))


def _context(text: str) -> ContextBlock:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _payload(fallback: str, blocks: list[Block]) -> dict[str, Any]:
    if len(blocks) > BLOCK_LIMIT:  # the parts' budgets above make this impossible; keep it true anyway
        blocks = [*blocks[: BLOCK_LIMIT - 1], _section(ELLIPSIS + " (message cut: Slack shows at most 50 blocks)")]
    return {"text": fallback, "blocks": blocks}


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        decoded = json.loads(text)
    except ValueError:
        return None
    return decoded if isinstance(decoded, dict) else None
