"""SNS refusing and filtering as SNS documents, where moto is friendlier (docs/aws-facts.md#sns).

- Publish refuses, with InvalidParameter, a Subject of 100 characters or more or one with a line
  break or another control character (moto refuses only more than 100, and with another message);
  and a message whose body and attributes together exceed 256 KiB counted in UTF-8 bytes (moto
  counts the body's characters only).
- A filter policy on message attributes: `"exists": false` matches only when the message has at
  least one attribute (moto also matches a message without any, such as a CloudWatch alarm's).

The hooks into moto are in emulator.moto_internals; tests/emulator/test_sns_rules.py pins this behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from emulator import moto_internals

# SNS Publish: "Subjects must be UTF-8 text with no line breaks or control characters, and less than
# 100 characters long"; the message and its attributes at most 256 KiB (262,144 bytes).
SUBJECT_TOO_LONG = 100
MESSAGE_SIZE_LIMIT = 262_144
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def refuse_invalid_publish(message: str, subject: str | None, attributes: Mapping[str, Any] | None) -> None:
    """Raises SNS's InvalidParameter for what SNS documents it refuses."""
    if subject is not None and (len(subject) >= SUBJECT_TOO_LONG or _CONTROL.search(subject)):
        raise moto_internals.sns_invalid_parameter("Invalid parameter: Subject")
    if message_size(message, attributes) > MESSAGE_SIZE_LIMIT:
        raise moto_internals.sns_invalid_parameter("Invalid parameter: Message too long")


def message_size(message: str, attributes: Mapping[str, Any] | None) -> int:
    """The body's bytes, and each attribute's name, type and value (moto's form: {Type, Value})."""
    size = len(message.encode())
    for name, value in (attributes or {}).items():
        size += len(name.encode()) + len(str(value["Type"]).encode()) + len(str(value["Value"]).encode())
    return size


def on_no_attributes(policy: Any) -> Any:
    """The policy as it acts on a message without attributes: `exists: false` cannot match there,
    like `exists: true` (which moto already gets right)."""
    if isinstance(policy, dict):
        if policy == {"exists": False}:
            return {"exists": True}
        return {key: on_no_attributes(value) for key, value in policy.items()}
    if isinstance(policy, list):
        return [on_no_attributes(item) for item in policy]
    return policy


@contextmanager
def sns_as_documented() -> Iterator[None]:
    with (
        moto_internals.sns_publish_checked(refuse_invalid_publish),
        moto_internals.sns_filter_policy_on_no_attributes(on_no_attributes),
    ):
        yield
