"""Posts to a Slack incoming webhook, retrying what a retry can fix; the webhook URL stays secret.

The URL is the credential (anyone who has it can post to the channel), so it is read from Secrets
Manager and never written anywhere: not in logs, not in exception texts, not by slack_sdk (which
logs the full URL at INFO and DEBUG when it retries; it gets a logger of its own that is quiet
below WARNING and removes the URL from what it does log).

Retries (slack_sdk's built-in handlers, at most `RETRIES` more attempts in all):
- 429 rate limited: `RateLimitErrorRetryHandler` waits what Retry-After says (plus up to 1 s).
- 500 and 503: `ServerErrorRetryHandler`, after a back-off.
- Connection errors and timeouts: `ConnectionErrorRetryHandler`. Its defaults cover a refused or
  reset connection and a connect timeout (urllib wraps those in URLError), but not a response that
  is too slow: urllib raises that read timeout as a bare `TimeoutError`, so it is added here.
Other answers (a 4xx such as 404 `no_service`, 403 `action_prohibited`, 410 `channel_is_archived`,
400 `invalid_payload`) are not retried here: the same request gets the same answer. Every failure
raises `SlackDeliveryFailed`; the Lambda's asynchronous retries and its on-failure queue take it
from there, so nothing is lost.
"""

from __future__ import annotations

import json
import logging
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError
from urllib.parse import urlsplit

from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

# Seconds to wait for Slack's answer. Slack answers in well under a second; three slow attempts
# and the waits between them still end within the function's timeout (60 s).
TIMEOUT_SECONDS: float = 5.0
RETRIES = 2
# Waits before a retry after a server or connection error: 0.5 s, then 1 s, each plus up to 1 s.
RETRY_INTERVAL: RetryIntervalCalculator = BackoffRetryIntervalCalculator(backoff_factor=0.5)
# How long a Lambda container keeps the URL it read before reading the secret again (a rotated
# URL is picked up within this time).
SECRET_MAX_AGE_SECONDS = 300
_REDACTED = "<the webhook URL>"


class SlackDeliveryFailed(Exception):
    """A message did not reach Slack. The text never contains the webhook URL."""


class WebhookSecretError(SlackDeliveryFailed):
    """The secret holds no usable webhook URL. The text never contains the secret's value."""


def webhook_url(secret_value: str) -> str:
    """The URL in the secret's value: the URL itself, or JSON with a `url` or `webhookUrl` key
    (what the Secrets Manager console stores for a key/value secret)."""
    text = secret_value.strip()
    if text.startswith("{"):
        try:
            decoded = json.loads(text)
        except ValueError:
            raise WebhookSecretError("the webhook secret looks like JSON but is not valid JSON") from None
        url = decoded.get("url") or decoded.get("webhookUrl") if isinstance(decoded, dict) else None
        if not isinstance(url, str):
            raise WebhookSecretError('the webhook secret is JSON without a "url" or "webhookUrl" string')
        text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. a broken IPv6 literal
        raise WebhookSecretError("the webhook secret is not a URL") from None
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    # https only; plain http is accepted on this machine's loopback (the local webhook stand-in).
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise WebhookSecretError("the webhook secret is not an https:// URL (nor JSON with one)")
    return text


def read_webhook_url(secret_arn: str) -> str:
    """The webhook URL from Secrets Manager, cached for `SECRET_MAX_AGE_SECONDS` (Powertools)."""
    try:
        value = parameters.get_secret(secret_arn, max_age=SECRET_MAX_AGE_SECONDS)
    except GetParameterError as error:
        # The error names the secret and what went wrong (AccessDenied, not found), never its value.
        raise WebhookSecretError(f"could not read the webhook secret: {error}") from None
    return webhook_url(value if isinstance(value, str) else bytes(value).decode("utf-8", "replace"))


class SlackWebhook:
    def __init__(self, url: str) -> None:
        self._url = url
        self._client = WebhookClient(
            url,
            timeout=TIMEOUT_SECONDS,  # type: ignore[arg-type]  # urlopen takes float seconds; slack_sdk says int
            logger=_quiet_logger(url),
            retry_handlers=[
                RateLimitErrorRetryHandler(max_retry_count=RETRIES),
                ServerErrorRetryHandler(max_retry_count=RETRIES, interval_calculator=RETRY_INTERVAL),
                ConnectionErrorRetryHandler(
                    max_retry_count=RETRIES,
                    interval_calculator=RETRY_INTERVAL,
                    error_types=[URLError, ConnectionResetError, RemoteDisconnected, TimeoutError],
                ),
            ],
        )

    def post(self, payload: dict[str, Any]) -> None:
        """Posts one message; raises SlackDeliveryFailed when Slack did not take it after the retries."""
        try:
            response = self._client.send_dict(payload)
        except Exception as error:  # noqa: BLE001 - any failure to deliver is reported the same way
            # `from None`: the original exception (and its text) stays out of logs and tracebacks.
            raise SlackDeliveryFailed(
                f"could not reach Slack: {type(error).__name__}: {self._redacted(str(error))}"
            ) from None
        if not 200 <= response.status_code < 300:
            answer = self._redacted(str(response.body or ""))[:200]
            raise SlackDeliveryFailed(f"Slack answered HTTP {response.status_code}: {answer or '(no text)'}")

    def _redacted(self, text: str) -> str:
        return _redact(text, self._url)


class _RedactingFilter(logging.Filter):
    def __init__(self, url: str) -> None:
        super().__init__()
        self._url = url

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _redact(record.getMessage(), self._url)
        record.args = None
        return True


class _SecretResponseFilter(logging.Filter):
    """botocore logs every response body at DEBUG, a secret's value included (Lambda's log level
    setting can turn DEBUG on for every logger): that one record is withheld."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "SecretString" in str(record.args) or "SecretBinary" in str(record.args):
            record.msg = "Response body withheld: it holds a Secrets Manager secret"
            record.args = None
        return True


def _quiet_logger(url: str) -> logging.Logger:
    """slack_sdk logs the URL with every retry when its logger's own level is DEBUG or unset; a level
    of WARNING stops that, and the filter removes the URL from the warnings and errors it logs.
    The logger is this client's own (not registered by name), so the filter holds its URL only."""
    logger = logging.Logger(f"{__name__}.client", logging.WARNING)
    logger.parent = logging.getLogger(__name__)
    logger.addFilter(_RedactingFilter(url))
    return logger


def _redact(text: str, url: str) -> str:
    text = text.replace(url, _REDACTED)
    # The path is the secret part (/services/T.../B.../token); it may appear on its own.
    path = urlsplit(url).path
    return text.replace(path, _REDACTED) if len(path) > 1 else text


def _withhold_secret_responses() -> None:
    parser_logger = logging.getLogger("botocore.parsers")
    if not any(isinstance(existing, _SecretResponseFilter) for existing in parser_logger.filters):
        parser_logger.addFilter(_SecretResponseFilter())


_withhold_secret_responses()
