"""Task reports in S3 (`adapters/task_reports.py`) on moto: which keys of a report folder are read."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from datasync_scheduler.adapters.task_reports import TaskReports

FIXTURES = Path(__file__).parents[1] / "fixtures" / "aws" / "task-reports"


def test_only_the_executions_own_report_files_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys as AWS's own code shows them; another execution's and the summary's files are not read."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    (this_key, *_) = (FIXTURES / "object-keys.txt").read_text(encoding="utf-8").splitlines()
    folder = this_key.rsplit("/", 1)[0] + "/"
    other_execution = this_key.replace("exec-00000000000000000", "exec-11111111111111111")
    summary_key = "Summary-Reports/task-00000000000000000/exec-00000000000000000/summary.json"
    verified = (FIXTURES / "dea-files-verified.json").read_bytes()
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="reports")
        for key in (this_key, this_key.replace("-00001-", "-00002-"), other_execution, summary_key):
            s3.put_object(Bucket="reports", Key=key, Body=verified)
        reports = TaskReports(s3)
        documents = list(reports.detailed_documents("reports", folder))
        has = (
            reports.has_detailed("reports", folder),
            reports.has_detailed("reports", folder.replace("exec-0", "exec-2")),
        )
    assert documents == [json.loads(verified)] * 2
    assert has == (True, False)
