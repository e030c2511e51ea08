"""The error an emulated AWS API raises; the botocore hook turns it into a real ClientError."""

from __future__ import annotations

from typing import Any


class EmulatedServiceError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, extra: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}
