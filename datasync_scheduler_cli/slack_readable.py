"""A Slack Block Kit payload as lines of text, roughly as the channel shows it (for the demo).

Headers, section texts and fields, context lines and dividers are printed in order; links become
"label (address)" and Slack's entities are decoded, so what a reader sees is what Slack would show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


def slack_readable(payload: Mapping[str, Any]) -> str:
    blocks = payload.get("blocks") or []
    if not blocks:
        return _shown(str(payload.get("text", "")))
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            title = _text_of(block.get("text"))
            lines += [title, "=" * len(title)]
        elif kind == "section":
            if text := _text_of(block.get("text")):
                lines.append(text)
            for field in block.get("fields") or []:
                label, _, value = _text_of(field).partition("\n")
                lines.append(f"{label.strip('*')}: {value}" if value else label)
        elif kind == "context":
            lines += ["  " + text for element in block.get("elements") or [] for text in _text_of(element).splitlines()]
        elif kind == "divider":
            lines.append("-" * 40)
        else:
            lines.append(f"[{kind} block]")
    return "\n".join(lines)


def _text_of(text_object: Any) -> str:
    if not isinstance(text_object, Mapping):
        return ""
    text = str(text_object.get("text", ""))
    return _shown(text) if text_object.get("type") == "mrkdwn" else text


def _shown(mrkdwn: str) -> str:
    text = _LINK.sub(lambda match: f"{match.group(2)} ({match.group(1)})", mrkdwn)
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text
