"""Configuration from the Lambda environment (the template is its single source)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from datasync_scheduler.domain.watchdog import DEFAULT_LIMITS, PhaseLimits


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    ledger_table: str
    fallback_seconds: int
    phase_limits: PhaseLimits
    failure_report_bucket: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        table = env.get("RUN_LEDGER_TABLE", "")
        if not table:
            raise ConfigurationError("RUN_LEDGER_TABLE is not set: the function cannot find the run ledger")
        fallback_text = env.get("FALLBACK_INTERVAL_SECONDS", "900")
        if not fallback_text.isdigit() or not 60 <= int(fallback_text) <= 86_400:
            raise ConfigurationError(f"FALLBACK_INTERVAL_SECONDS={fallback_text!r}: expected 60 to 86400 seconds")
        try:
            limits = PhaseLimits.parse(env.get("PHASE_TIME_LIMITS", DEFAULT_LIMITS))
        except ValueError as error:
            raise ConfigurationError(f"PHASE_TIME_LIMITS: {error}") from None
        return cls(
            ledger_table=table,
            fallback_seconds=int(fallback_text),
            phase_limits=limits,
            failure_report_bucket=env.get("FAILURE_REPORT_BUCKET", ""),
        )
