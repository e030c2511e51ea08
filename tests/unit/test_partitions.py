"""A deployment in the China or GovCloud partition names AWS resources in its own partition."""

from typing import Any

from datasync_scheduler.adapters.datasync import DataSync
from datasync_scheduler.domain.sync_request import StackHome, parse_sync_request


class RecordingDataSync:
    def __init__(self) -> None:
        self.started: list[dict[str, Any]] = []

    def start_task_execution(self, **params: Any) -> dict[str, str]:
        self.started.append(params)
        return {"TaskExecutionArn": f"{params['TaskArn']}/execution/exec-0123456789abcdef0"}


def test_a_retrys_manifest_bucket_is_named_in_the_partition_of_the_task() -> None:
    for partition, region in (("aws", "eu-west-1"), ("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")):
        client = RecordingDataSync()
        request = parse_sync_request(
            {"taskArn": f"arn:{partition}:datasync:{region}:123456789012:task/task-0123456789abcdef0"},
            home=StackHome(partition, region, "123456789012"),
        )
        manifest = {"bucket": "failure-reports", "key": "manifests/run-1.csv", "roleArn": "arn:role"}
        DataSync(client).start(request, {}, {"kind": "manifest", "manifest": manifest})
        source = client.started[0]["ManifestConfig"]["Source"]["S3"]
        assert source["S3BucketArn"] == f"arn:{partition}:s3:::failure-reports"
