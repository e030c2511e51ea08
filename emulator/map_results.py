"""A Distributed Map's ResultWriter, as Step Functions documents it.

When a Distributed Map has a ResultWriter, Step Functions writes every child workflow execution's
result to S3, one file per status (`SUCCEEDED_0.json`, `FAILED_0.json`, `PENDING_0.json`; JSON
arrays, each entry the child's ARN, name, input, output or error and cause, status and times),
and a `manifest.json` naming them, under `<Prefix>/<map run id>/`; the Map state returns the map
run's ARN and where the manifest is (docs/aws-facts.md#distributed-map). moto writes the manifest
only, listing no file; `emulator.moto_internals.distributed_map_results` hands the children here.

Each status's entries go in one file: Step Functions starts another file at 5 GB, which no batch
of this project comes near.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import boto3

from emulator import moto_internals
from emulator.clock import VirtualClock
from emulator.moto_internals import MapRunChild

STATUSES = ("FAILED", "PENDING", "SUCCEEDED")


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _entry(child: MapRunChild, children_machine: str, map_run_arn: str) -> dict[str, Any]:
    # Step Functions names each child with an id of its own; here it follows from the run and the
    # item, so that runs of the emulator repeat exactly.
    name = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{map_run_arn}#{child.index}"))
    entry: dict[str, Any] = {
        "ExecutionArn": f"{children_machine.replace(':stateMachine:', ':execution:', 1)}:{name}",
        "Input": json.dumps(child.input, separators=(",", ":")),
        "InputDetails": {"Included": True},
        "Name": name,
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven"
        if child.status == "SUCCEEDED"
        else "Map Run must be redriven to redrive this execution",
        "StartDate": _time(child.started),
        "StateMachineArn": children_machine,
        "Status": child.status,
        "StopDate": _time(child.stopped),
    }
    if child.status == "SUCCEEDED":
        entry["Output"] = json.dumps(child.output, separators=(",", ":"))
        entry["OutputDetails"] = {"Included": True}
    else:
        if child.error is not None:
            entry["Error"] = child.error
        if child.cause is not None:
            entry["Cause"] = child.cause
    return entry


def export_results(
    region: str, map_run_arn: str, children_machine: str, children: list[MapRunChild], bucket: str, prefix: str
) -> dict[str, Any]:
    """Writes the result files and the manifest; returns what the Map state returns."""
    s3 = boto3.client("s3", region_name=region)
    run_id = map_run_arn.rsplit(":", 1)[-1]
    folder = f"{prefix.rstrip('/')}/{run_id}/" if prefix else f"{run_id}/"
    files: dict[str, list[dict[str, Any]]] = {status: [] for status in STATUSES}
    for status in STATUSES:
        entries = [_entry(child, children_machine, map_run_arn) for child in children if _filed_as(child) == status]
        if not entries:
            continue
        key = f"{folder}{status}_0.json"
        body = json.dumps(entries).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest_key = f"{folder}manifest.json"
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files}
    s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
    return {"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}


def _filed_as(child: MapRunChild) -> str:
    # Every item of the emulator's Map run is started; one that did not succeed (failed, stopped)
    # is filed with the failed ones. PENDING holds items never started (a Map run stopped early).
    return "SUCCEEDED" if child.status == "SUCCEEDED" else "FAILED"


@contextmanager
def map_results_as_documented(clock: VirtualClock, region: str) -> Iterator[None]:
    def export(
        map_run_arn: str, children_machine: str, children: list[MapRunChild], bucket: str, prefix: str
    ) -> dict[str, Any]:
        return export_results(region, map_run_arn, children_machine, children, bucket, prefix)

    with moto_internals.distributed_map_results(clock.now, export):
        yield
