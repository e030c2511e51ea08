"""A batch's JSON objects in S3: the Distributed Map's items (ItemReader) and its results (ResultWriter).

One PutObject or GetObject each: the items of a firing of 1,000 tasks are well under a megabyte,
and each result file of a Map run is at most 5 GB by Step Functions' own bound but holds here one
small line per task (docs/aws-facts.md#distributed-map).
"""

from __future__ import annotations

import json
from typing import Any

from datasync_scheduler.adapters.aws_clients import client, named_api_errors


class S3BatchObjects:
    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    def put_json(self, key: str, document: Any) -> tuple[str, str]:
        body = json.dumps(document, separators=(",", ":")).encode()
        with named_api_errors():
            client("s3").put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        return self.bucket, key

    def get_json(self, bucket: str, key: str) -> Any:
        with named_api_errors():
            body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return json.loads(body)
