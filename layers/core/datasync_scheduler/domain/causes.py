"""Why something the run needed could not be known: which step or AWS call failed, and its error.

A cause is data (the failing step's or API operation's name, the error's name or code) plus the
error's own text, cut to a bound: error texts come from AWS or from a failing function, so they are
untrusted and unbounded (docs/aws-facts.md#aws-error-responses). The message's renderers escape it
like any other text they quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# A step's or an operation's name, an error's name or code: AWS's are well under this; a longer one
# (a function's own exception type) is cut like any text.
NAME_LIMIT = 64
# An error text is quoted up to this many characters: enough for AWS's messages, which say what
# and why in a sentence; a cause travels in the state once per attempt.
MESSAGE_LIMIT = 120


def _bounded(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line: a cause is quoted inside a sentence
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Cause:
    where: str  # a workflow step ("Analyze Run") or an AWS API operation ("FilterLogEvents")
    error: str  # the error's name (a Lambda's errorType, Step Functions' error) or AWS's error code
    message: str = ""

    @classmethod
    def of(cls, where: str, error: str, message: str | None) -> Cause:
        return cls(_bounded(where, NAME_LIMIT), _bounded(error, NAME_LIMIT), _bounded(message or "", MESSAGE_LIMIT))

    def describe(self) -> str:
        """`FilterLogEvents failed with ServiceUnavailableException: <its message>`."""
        said = f"{self.where} failed with {self.error}"
        return f"{said}: {self.message}" if self.message and self.message != self.error else said

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "error": self.error, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Cause | None:
        if not isinstance(data, Mapping) or not data.get("where") or not data.get("error"):
            return None
        return cls.of(str(data["where"]), str(data["error"]), str(data.get("message") or ""))
