"""A Distributed Map's ResultWriter writes every child's result to S3 as Step Functions documents
(docs/aws-facts.md#distributed-map), where moto writes a manifest naming no file."""

import json
from datetime import timedelta
from typing import Any

import boto3

from emulator.local_aws import local_aws
from tests.emulator.test_nested_executions import REGION, run

BUCKET = "results"


def distributed_map(item_processor: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": BUCKET, "Key": "items.json"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    **item_processor,
                },
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": BUCKET, "Prefix": "runs/night"},
                },
                "End": True,
                **extra,
            }
        },
    }


def read(key: str) -> Any:
    return json.loads(boto3.client("s3", region_name=REGION).get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_each_childs_input_and_output_are_written_by_status_and_the_map_returns_the_manifest() -> None:
    processor = {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Wait", "Seconds": 60, "Next": "Which"},
            "Which": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.ok", "BooleanEquals": False, "Next": "Broken"}],
                "Default": "Done",
            },
            "Done": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": True},
            "Broken": {"Type": "Fail", "Error": "Item.Broken", "Cause": "item 1 is broken"},
        },
    }
    with local_aws() as aws:
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        items = [{"n": 0, "ok": True}, {"n": 1, "ok": False}, {"n": 2, "ok": True}]
        s3.put_object(Bucket=BUCKET, Key="items.json", Body=json.dumps(items).encode())
        start = aws.clock.now()
        result = run(aws, distributed_map(processor, ToleratedFailurePercentage=100.0), {})

        assert result["status"] == "SUCCEEDED"
        output = json.loads(result["output"])
        assert set(output) == {"MapRunArn", "ResultWriterDetails"}
        run_id = output["MapRunArn"].rsplit(":", 1)[-1]
        assert output["ResultWriterDetails"] == {"Bucket": BUCKET, "Key": f"runs/night/{run_id}/manifest.json"}
        manifest = read(output["ResultWriterDetails"]["Key"])
        assert manifest["MapRunArn"] == output["MapRunArn"] and manifest["DestinationBucket"] == BUCKET
        succeeded_key = f"runs/night/{run_id}/SUCCEEDED_0.json"
        failed_key = f"runs/night/{run_id}/FAILED_0.json"
        assert [entry["Key"] for entry in manifest["ResultFiles"]["SUCCEEDED"]] == [succeeded_key]
        assert [entry["Key"] for entry in manifest["ResultFiles"]["FAILED"]] == [failed_key]
        assert manifest["ResultFiles"]["PENDING"] == []

        succeeded = read(succeeded_key)
        assert [json.loads(child["Input"]) for child in succeeded] == [items[0], items[2]]
        assert [json.loads(child["Output"]) for child in succeeded] == [{"n": 0}, {"n": 2}]
        assert {child["Status"] for child in succeeded} == {"SUCCEEDED"}
        (failed,) = read(failed_key)
        assert json.loads(failed["Input"]) == items[1]
        assert (failed["Status"], failed["Error"], failed["Cause"]) == ("FAILED", "Item.Broken", "item 1 is broken")
        assert "Output" not in failed
        # Each child in virtual time: started with the run, ended after its minute of waiting.
        for child in [*succeeded, failed]:
            assert child["StartDate"] == start.strftime("%Y-%m-%dT%H:%M:%S.000Z")
            assert child["StopDate"] == (start + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            assert ":execution:" in child["ExecutionArn"] and child["ExecutionArn"].endswith(child["Name"])
