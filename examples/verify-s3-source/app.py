"""After each successful run of one S3 → EFS task, checks what the run copied against its source.

A target of the scheduler's "Sync Run Ended" event (docs/events.md), deployed beside the scheduler
without touching its stack (template.yaml here). It lists the objects under the task's source
prefix, now, and compares them with the run's counters:

- the task copies everything (`TransferMode` ALL): the bytes DataSync wrote (`bytesWritten`) must
  equal the objects' total size, and DataSync must have transferred at least as many items as there
  are objects (`filesTransferred` counts the directories it creates too, so it may be larger);
- the task copies only what changed (`TransferMode` CHANGED, DataSync's default): nothing is
  comparable but that the bytes written cannot exceed what the prefix holds.

A difference is reported: logged as one JSON line, and published to `DIFFERENCE_TOPIC_ARN` when
set. Objects written to the prefix after the run started are a difference too: this check is for
a source that is quiet while it is copied. Folder markers (keys ending in "/") are not objects.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from typing import Any

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)


@dataclass(frozen=True)
class SourceCheck:
    task_arn: str
    workflow_execution: str
    source: str
    transfer_mode: str
    objects: int
    object_bytes: int
    files_transferred: int | None
    bytes_written: int | None
    differences: tuple[str, ...]

    @property
    def matches(self) -> bool:
        return not self.differences


def source_totals(s3: Any, bucket: str, prefix: str) -> tuple[int, int]:
    """How many objects are under the prefix, and their total size (folder markers left out)."""
    objects = size = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if not item["Key"].endswith("/"):
                objects += 1
                size += int(item["Size"])
    return objects, size


def differences(transfer_mode: str, objects: int, object_bytes: int, counters: dict[str, Any]) -> tuple[str, ...]:
    written, transferred = counters.get("bytesWritten"), counters.get("filesTransferred")
    found = []
    if written is None or transferred is None:
        return ("DataSync gave no counters for the run's last task execution",)
    if transfer_mode == "ALL":
        if written != object_bytes:
            found.append(f"DataSync wrote {written:,} bytes; the source holds {object_bytes:,}")
        if transferred < objects:
            found.append(f"DataSync transferred {transferred:,} items; the source holds {objects:,} objects")
    elif written > object_bytes:
        found.append(f"DataSync wrote {written:,} bytes, more than the source holds ({object_bytes:,})")
    return tuple(found)


def check(event: dict[str, Any], bucket: str, prefix: str, datasync: Any, s3: Any) -> SourceCheck | None:
    """The check of one "Sync Run Ended" event; None for a run that did not succeed."""
    detail = event["detail"]
    if detail["verdict"]["status"] != "SUCCEEDED":
        return None
    task_arn = detail["taskArn"]
    transfer_mode = datasync.describe_task(TaskArn=task_arn).get("Options", {}).get("TransferMode", "CHANGED")
    objects, object_bytes = source_totals(s3, bucket, prefix)
    return SourceCheck(
        task_arn=task_arn,
        workflow_execution=detail["workflowExecution"],
        source=f"s3://{bucket}/{prefix}",
        transfer_mode=transfer_mode,
        objects=objects,
        object_bytes=object_bytes,
        files_transferred=detail["counters"].get("filesTransferred"),
        bytes_written=detail["counters"].get("bytesWritten"),
        differences=differences(transfer_mode, objects, object_bytes, detail["counters"]),
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = check(
        event,
        os.environ["SOURCE_BUCKET"],
        os.environ.get("SOURCE_PREFIX", ""),
        boto3.client("datasync"),
        boto3.client("s3"),
    )
    if result is None:
        return {"checked": False}
    report = {**asdict(result), "matches": result.matches}
    logger.info(json.dumps(report))
    topic = os.environ.get("DIFFERENCE_TOPIC_ARN")
    if topic and not result.matches:
        boto3.client("sns").publish(
            TopicArn=topic,
            Subject="DataSync run differs from its source",  # fixed text: SNS refuses control characters
            Message="\n".join([f"Run {result.workflow_execution}", f"Source {result.source}", *result.differences]),
        )
    return {"checked": True, **report}
