"""Which messages the Slack notifier has posted: Powertools Idempotency records in DynamoDB.

A message can reach the notifier more than once: a publish retried after SNS took it but its answer
was lost, the state machine's plain fallback after a report that published and then failed (both
carry the message's `message_id` attribute), and SNS's and Lambda's own redeliveries (the same SNS
MessageId) (docs/aws-facts.md#sns-delivery-guarantees). Each post runs inside an idempotent
function keyed on that id: a second delivery finds the completed record and posts nothing.

What the record cannot promise, and what happens then:
- the idempotency table cannot be read or written before the post: the message is posted
  unguarded (a possible duplicate, never a message missing from Slack);
- the post succeeded but its record could not be completed: the post stands and is reported as
  posted; a later delivery may post it again once the in-progress record expires;
- a post that fails removes the record (Powertools deletes it when the function raises), so the
  retry of the delivery posts it; if the record cannot be removed, the post's own failure is
  raised (Lambda retries the delivery, which posts once the in-progress record has expired).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyPersistenceLayerError
from aws_lambda_powertools.utilities.typing import LambdaContext

# SNS retries a delivery to Lambda for up to 23 days (docs/aws-facts.md#sns-delivery-guarantees);
# a record kept longer outlives every redelivery SNS documents, and a retried publish comes within
# minutes.
RETENTION_SECONDS = 24 * 24 * 3600

logger = Logger(child=True)


class PostedMessages:
    """`OncePerMessage` on the idempotency table (`datasync_scheduler.workflow.slack_delivery`)."""

    def __init__(self, table_name: str) -> None:
        self._config = IdempotencyConfig(event_key_jmespath="message", expires_after_seconds=RETENTION_SECONDS)
        self._guarded = idempotent_function(
            _post,
            data_keyword_argument="delivery",
            persistence_store=DynamoDBPersistenceLayer(table_name=table_name),
            config=self._config,
        )

    def register(self, context: LambdaContext) -> None:
        """An in-progress record expires with the invocation that wrote it (a crashed delivery
        does not block the next one for long)."""
        self._config.register_lambda_context(context)

    def __call__(self, key: str, post: Callable[[], None]) -> bool:
        posted: list[bool] = []
        failed: list[Exception] = []

        def post_and_note() -> None:
            try:
                post()
            except Exception as failure:
                failed.append(failure)
                raise
            posted.append(True)

        try:
            self._guarded(delivery={"message": key}, post=post_and_note)
        except IdempotencyPersistenceLayerError:
            if failed:  # the post failed, and its record could not be removed: the failure stands
                logger.exception("The post failed and its record was not removed", extra={"messageKey": key})
                raise failed[0] from None
            if posted:
                logger.exception("Posted, but the record of the post was not completed", extra={"messageKey": key})
                return True
            logger.exception("Whether it was posted cannot be read: posting", extra={"messageKey": key})
            post()
            return True
        return bool(posted)


def _post(delivery: dict[str, Any], post: Callable[[], None]) -> dict[str, Any]:
    post()
    return {"posted": delivery["message"]}
