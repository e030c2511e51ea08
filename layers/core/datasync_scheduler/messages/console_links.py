"""Links into the AWS console for the things a message names, built from their ARNs alone.

The console's host depends on the partition, and its Region on the ARN. Log group names are
encoded the way the CloudWatch console's own links encode them ("/" becomes "$252F").
"""

from __future__ import annotations

from urllib.parse import quote

_CONSOLE_HOSTS = {
    "aws": "{region}.console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def region_of(arn: str) -> tuple[str, str] | None:
    """(partition, region) of an ARN, or None when it is not one."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn" or not parts[3]:
        return None
    return parts[1], parts[3]


def _console(partition: str, region: str) -> str | None:
    host = _CONSOLE_HOSTS.get(partition)
    return f"https://{host.format(region=region)}" if host else None


def state_machine_execution(execution_arn: str) -> str | None:
    where = region_of(execution_arn)
    base = _console(*where) if where else None
    if not where or not base:
        return None
    return f"{base}/states/home?region={where[1]}#/v2/executions/details/{quote(execution_arn, safe=':')}"


def datasync_task(task_arn: str) -> str | None:
    """The task's page; its History tab lists the executions (a per-execution link is not documented)."""
    where = region_of(task_arn)
    base = _console(*where) if where else None
    task_id = task_arn.rsplit("/", 1)[-1]
    if not where or not base or not task_id.startswith("task-"):
        return None
    return f"{base}/datasync/home?region={where[1]}#/tasks/{task_id}"


def log_group(log_group_arn: str) -> str | None:
    where = region_of(log_group_arn)
    base = _console(*where) if where else None
    marker = ":log-group:"
    if not where or not base or marker not in log_group_arn:
        return None
    name = log_group_arn.split(marker, 1)[1].removesuffix(":*")
    encoded = quote(name, safe="").replace("%", "$25")
    return f"{base}/cloudwatch/home?region={where[1]}#logsV2:log-groups/log-group/{encoded}"


def s3_object(uri: str, region: str, partition: str = "aws") -> str | None:
    """`s3://bucket/key` as the S3 console's object page."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        return None
    bucket, key = uri[5:].split("/", 1)
    host = {"aws": "s3.console.aws.amazon.com", "aws-cn": "console.amazonaws.cn", "aws-us-gov": None}.get(partition)
    if not host:
        return None
    return f"https://{host}/s3/object/{quote(bucket, safe='')}?region={region}&prefix={quote(key, safe='')}"


def cloudwatch_alarm(alarm_arn: str) -> str | None:
    """The alarm's page in the CloudWatch console (`arn:...:cloudwatch:<region>:<account>:alarm:<name>`)."""
    where = region_of(alarm_arn)
    base = _console(*where) if where else None
    marker = ":alarm:"
    if not where or not base or marker not in alarm_arn:
        return None
    name = alarm_arn.split(marker, 1)[1]
    return f"{base}/cloudwatch/home?region={where[1]}#alarmsV2:alarm/{quote(name, safe='')}"
