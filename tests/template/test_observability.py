"""Traces, the dashboard and the alarms: they name only metrics that exist, and resources of this stack.

Our metrics are the ones `run_metrics` publishes. AWS's were checked against AWS's own lists:
- AWS/DataSync, dimension TaskId: the DataSync User Guide, "Monitoring data transfers with Amazon
  CloudWatch metrics" (monitor-datasync.html): BytesWritten and FilesTransferred in both task
  modes, BytesTransferred and FilesVerifiedDestination in Basic mode, FilesVerified in Enhanced
  mode; the same names in CloudWatch's list of AWS::DataSync::Task metrics and in aws-cdk-lib's
  generated DataSyncMetrics.
- AWS/States, dimension StateMachineArn: Step Functions' execution metrics (ExecutionsSucceeded,
  ExecutionsFailed, ExecutionsTimedOut, ExecutionTime), also aws-cdk-lib's StatesMetrics.
- AWS/Lambda, dimension FunctionName: Errors, Throttles.
- AWS/SNS, dimension TopicName: NumberOfMessagesPublished, NumberOfNotificationsDelivered,
  NumberOfNotificationsFailed (also aws-cdk-lib's SNSMetrics).
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from datasync_scheduler.adapters.run_metrics import METRIC_NAMES
from emulator.template import Intrinsics, load_template, parameter_values
from tests.template.deployed_stack import as_one_stack

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = as_one_stack()
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
GLOBALS = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
SERVICE = GLOBALS["POWERTOOLS_SERVICE_NAME"]
# Every function that publishes metrics publishes them in one namespace.
(NAMESPACE,) = {
    spec["Properties"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"]
    for spec in RESOURCES.values()
    if "POWERTOOLS_METRICS_NAMESPACE" in spec.get("Properties", {}).get("Environment", {}).get("Variables", {})
}
OBSERVABILITY = load_template(ROOT / "observability" / "template.yaml")
# Slack and an email address configured: every optional alarm, topic and function exists.
EVERYTHING = {
    "NotificationEmail": "ops@example.com",
    "SlackWebhookSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf",
}


def deployed(**parameters: str) -> Intrinsics:
    """The stack's intrinsics with `parameters`: a resource's Ref is `<LogicalId>` (a topic's, an ARN
    ending in `<Topic.TopicName>`), an attribute `<LogicalId.Attribute>`; an unknown name is an error."""
    refs = {
        name: f"arn:aws:sns:eu-west-1:123456789012:<{name}.TopicName>"
        if spec["Type"] == "AWS::SNS::Topic"
        else f"<{name}>"
        for name, spec in RESOURCES.items()
    }

    class Attributes(dict[tuple[str, str], str]):
        def __contains__(self, key: object) -> bool:
            return isinstance(key, tuple) and key[0] in RESOURCES

        def __missing__(self, key: tuple[str, str]) -> str:
            return f"<{key[0]}.{key[1]}>"

    return Intrinsics(
        parameter_values(TEMPLATE, parameters),
        refs,
        Attributes(),
        TEMPLATE["Conditions"],
        {"AWS::Region": "eu-west-1", "AWS::Partition": "aws", "AWS::StackName": "nightly", "AWS::AccountId": "1"},
    )


AWS_METRICS = {
    "AWS/DataSync": {
        "BytesWritten",
        "BytesTransferred",
        "FilesTransferred",
        "FilesVerified",
        "FilesVerifiedDestination",
    },
    "AWS/States": {
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
        "ExecutionTime",
    },
    "AWS/SQS": {"ApproximateNumberOfMessagesVisible"},
    "AWS/Lambda": {"Errors", "Throttles"},
    "AWS/SNS": {"NumberOfMessagesPublished", "NumberOfNotificationsDelivered", "NumberOfNotificationsFailed"},
}
AWS_DIMENSIONS = {
    "AWS/DataSync": "TaskId",
    "AWS/States": "StateMachineArn",
    "AWS/Lambda": "FunctionName",
    "AWS/SNS": "TopicName",
    "AWS/SQS": "QueueName",
}
# Metrics whose dimension is not their namespace's usual one.
METRIC_DIMENSIONS: dict[tuple[str, str], str] = {}


def dimension_of(namespace: str, metric: str) -> str:
    return METRIC_DIMENSIONS.get((namespace, metric), AWS_DIMENSIONS[namespace])


# They raise on purpose (a bad input, a busy task, a start DataSync refuses): the workflow reports those.
# The Slack notifier raises when Slack refuses a message, so that Lambda retries it and keeps it in the
# SlackDeliveryFailures queue: that queue's alarm is the one that means something.
FAIL_ON_PURPOSE = {"ValidateSyncRequestFunction", "ValidateBatchFunction", "StartSyncFunction", "NotifySlackFunction"}


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in RESOURCES.items() if spec["Type"] == kind}


# Functions that run only while CloudFormation deploys (custom resource providers): a failure there
# fails the deployment, with the reason in the stack's events, so neither dashboard nor alarm watch them.
DEPLOY_TIME = {"ApplySchedulesFunction"}
FUNCTIONS = {name: spec for name, spec in of_type("AWS::Serverless::Function").items() if name not in DEPLOY_TIME}
STATE_MACHINES = of_type("AWS::Serverless::StateMachine")
ALARMS = of_type("AWS::CloudWatch::Alarm")


def dashboard() -> dict[str, Any]:
    (spec,) = of_type("AWS::CloudWatch::Dashboard").values()
    body: dict[str, Any] = json.loads(deployed(**EVERYTHING).resolve(spec["Properties"]["DashboardBody"]))
    return body


def widget_metrics(widget: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of a widget: listed metrics, and those a SEARCH expression names."""
    found = []
    for entry in widget["properties"].get("metrics", []):
        if isinstance(entry[0], dict):
            expression = entry[0]["expression"]
            schema, query = re.fullmatch(r"SEARCH\('\{([^}]*)\} (.*)', '\w+', \d+\)", expression).groups()  # type: ignore[union-attr]
            # SEARCH's limit on the query (docs/aws-facts.md#cloudwatch-search-expressions), with every
            # function's name as long as Lambda allows (64 characters, botocore's FunctionName).
            longest = re.sub(r'FunctionName="[^"]+"', 'FunctionName="' + "f" * 64 + '"', f"{{{schema}}} {query}")
            assert len(longest) <= 1024, expression
            namespace, *dimension_names = schema.split(",")
            names = re.findall(r'MetricName="(\w+)"', query)
            # Metric names, OR-ed; or one metric name AND some dimension values by exact match.
            values = re.findall(r'(\w+)="([^"]+)"', query.split(" AND ", 1)[1]) if " AND " in query else []
            assert names and re.sub(r'(\w+)="[^"]+"|\s|OR|AND|[()]', "", query) == "", expression
            assert {dimension for dimension, _ in values} <= set(dimension_names), expression
            if values:
                found += [(namespace, name, {dimension: value}) for name in names for dimension, value in values]
            else:
                found += [(namespace, name, dict.fromkeys(dimension_names, "*")) for name in names]
        else:
            namespace, name, *rest = entry
            pairs = [item for item in rest if not isinstance(item, dict)]
            found.append((namespace, name, dict(zip(pairs[::2], pairs[1::2], strict=True))))
    return found


def all_dashboard_metrics() -> list[tuple[str, str, dict[str, str]]]:
    return [metric for widget in dashboard()["widgets"] for metric in widget_metrics(widget)]


def alarm_metrics(spec: dict[str, Any], **parameters: str) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(namespace, metric, dimensions) an alarm watches, as deployed with `parameters` (default:
    everything optional deployed)."""
    props = deployed(**(parameters or EVERYTHING)).resolve(spec["Properties"])
    if "MetricName" in props:
        return [(props["Namespace"], props["MetricName"], props["Dimensions"])]
    stats = [item["MetricStat"]["Metric"] for item in props["Metrics"] if "MetricStat" in item]
    return [(metric["Namespace"], metric["MetricName"], metric["Dimensions"]) for metric in stats]


def test_functions_and_both_workflows_are_traced() -> None:
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == "Active"
    for name, spec in STATE_MACHINES.items():
        assert spec["Properties"]["Tracing"] == {"Enabled": True}, name
    # Powertools' Tracer would otherwise put whole results (file paths, messages) into X-Ray: every
    # function given the variable (those with a Tracer: tests/template/test_function_environments.py)
    # is given "false".
    capture = {
        name: spec["Properties"]["Environment"]["Variables"].get("POWERTOOLS_TRACER_CAPTURE_RESPONSE")
        for name, spec in FUNCTIONS.items()
    }
    assert {value for value in capture.values() if value is not None} == {"false"}
    assert len([value for value in capture.values() if value is not None]) >= len(FUNCTIONS) - 1


def test_the_dashboard_names_only_metrics_we_publish_or_aws_does() -> None:
    for namespace, name, dimensions in all_dashboard_metrics():
        if namespace == NAMESPACE:
            assert name in METRIC_NAMES, name
            assert dimensions.get("service") in (SERVICE, "*"), (name, dimensions)
        else:
            assert name in AWS_METRICS.get(namespace, set()), (namespace, name)
            assert set(dimensions) == {dimension_of(namespace, name)}, (namespace, name, dimensions)


def test_every_metric_we_publish_is_on_the_dashboard() -> None:
    shown = {name for namespace, name, _ in all_dashboard_metrics() if namespace == NAMESPACE}
    assert shown == METRIC_NAMES


def test_the_dashboard_shows_both_workflows_and_the_errors_and_throttles_of_every_function() -> None:
    metrics = all_dashboard_metrics()
    for machine in STATE_MACHINES:
        shown = {name for namespace, name, dims in metrics if dims.get("StateMachineArn") == f"<{machine}>"}
        assert shown == AWS_METRICS["AWS/States"], machine
    for metric in ("Errors", "Throttles"):
        shown = {
            dims["FunctionName"] for namespace, name, dims in metrics if (namespace, name) == ("AWS/Lambda", metric)
        }
        assert shown == {f"<{function}>" for function in FUNCTIONS}, metric


def test_the_dashboard_shows_every_alarm() -> None:
    (alarm_widget,) = [widget for widget in dashboard()["widgets"] if widget["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(f"<{name}.Arn>" for name in ALARMS)


def test_widgets_do_not_overlap_on_the_24_column_grid() -> None:
    cells: set[tuple[int, int]] = set()
    for widget in dashboard()["widgets"]:
        assert widget["x"] + widget["width"] <= 24
        area = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not cells & area, widget["properties"].get("title")
        cells |= area


def test_every_alarm_tells_the_topic_and_treats_missing_data_as_no_failure() -> None:
    assert ALARMS
    for name, spec in ALARMS.items():
        props = spec["Properties"]
        # The notification topic, and the alarm topic of the email address when there is one.
        topics = {
            "with email": deployed(**EVERYTHING).resolve(props["AlarmActions"]),
            "without": deployed().resolve(props["AlarmActions"]),
        }
        notification, alarm = (deployed().resolve({"Ref": topic}) for topic in ("NotificationTopic", "AlarmTopic"))
        assert topics == {"with email": [notification, alarm], "without": [notification]}, name
        assert props["TreatMissingData"] == "notBreaching", name
        assert (props["ComparisonOperator"], props["Threshold"]) == ("GreaterThanOrEqualToThreshold", 1), name
        for namespace, metric, dimensions in alarm_metrics(spec):
            if namespace == NAMESPACE:
                assert metric in METRIC_NAMES, (name, metric)
                assert dimensions == [{"Name": "service", "Value": SERVICE}], name
                continue
            assert metric in AWS_METRICS[namespace], (name, metric)
            assert [dimension["Name"] for dimension in dimensions] == [dimension_of(namespace, metric)], name


def alarmed(namespace: str, metric: str) -> list[Any]:
    """The dimension values alarms watch this metric for."""
    return [
        dimension["Value"]
        for spec in ALARMS.values()
        for alarm_namespace, name, dimensions in alarm_metrics(spec)
        if (alarm_namespace, name) == (namespace, metric)
        for dimension in dimensions
    ]


@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut"])
def test_both_workflows_alarm_when_an_execution_fails_or_times_out(metric: str) -> None:
    assert sorted(alarmed("AWS/States", metric)) == sorted(f"<{name}>" for name in STATE_MACHINES)


def test_every_function_that_does_not_fail_on_purpose_alarms_on_errors() -> None:
    watched = set(alarmed("AWS/Lambda", "Errors"))
    assert watched == {f"<{name}>" for name in set(FUNCTIONS) - FAIL_ON_PURPOSE}
    (errors_alarm,) = [
        spec for spec in ALARMS.values() if "Metrics" in spec["Properties"] and alarm_metrics(spec)[0][1] == "Errors"
    ]
    # An alarm's metric math may read at most 10 metrics.
    assert len(errors_alarm["Properties"]["Metrics"]) - 1 <= 10


def test_notifications_that_cannot_be_delivered_raise_an_alarm() -> None:
    assert alarmed("AWS/SNS", "NumberOfNotificationsFailed") == [
        "<NotificationTopic.TopicName>",
        "<AlarmTopic.TopicName>",
    ]


def test_cloudwatch_may_use_the_topics_key_to_publish_alarms() -> None:
    statements = RESOURCES["NotificationKey"]["Properties"]["KeyPolicy"]["Statement"]
    (for_cloudwatch,) = [s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}]
    assert for_cloudwatch["Effect"] == "Allow"
    assert set(for_cloudwatch["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}
    # Only for this account's topics, whether or not CloudWatch names its account (tests/iam/test_key_policy.py).
    assert set(for_cloudwatch["Condition"]) == {"StringEqualsIfExists", "StringLike"}


def test_the_stack_prints_where_its_dashboard_is() -> None:
    url = TEMPLATE["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert url.startswith("https://${AWS::Region}.console.aws.amazon.com/cloudwatch/")
    assert url.endswith("#dashboards/dashboard/${Observability.Outputs.DashboardName}")
    # The nested application's output is its dashboard's name, which is the stack's name.
    name = TEMPLATE["NestedOutputs"]["Observability"]["DashboardName"]
    assert name == {"Ref": "OperationsDashboard"}
    dashboard_name = RESOURCES["OperationsDashboard"]["Properties"]["DashboardName"]
    assert deployed().resolve(dashboard_name) == "nightly"


def test_the_core_stack_holds_no_alarm_or_dashboard_of_its_own() -> None:
    core = load_template(ROOT / "template.yaml")["Resources"]
    assert not [name for name, spec in core.items() if spec["Type"].startswith("AWS::CloudWatch::")]
    assert {name for name, spec in OBSERVABILITY["Resources"].items()} == set(ALARMS) | {"OperationsDashboard"}


def test_no_alarm_is_based_on_a_search_expression() -> None:
    # An alarm watches one time series; SEARCH returns many (docs/aws-facts.md#cloudwatch-search-expressions).
    assert "SEARCH(" not in json.dumps([spec["Properties"] for spec in ALARMS.values()])


def test_the_batchs_count_of_messages_not_published_is_what_the_alarm_watches() -> None:
    # Summarize Batch publishes the batch's message; a refusal it kept, and the fallback messages'
    # own failures, are counted by one state, after which the batch goes on to its verdict.
    states = json.loads((ROOT / "statemachine" / "batch_workflow.asl.json").read_text(encoding="utf-8"))["States"]
    count = states["Count Message Not Published"]
    (datum,) = count["Parameters"]["MetricData"]
    counted = (count["Parameters"]["Namespace"], datum["MetricName"], datum["Dimensions"])
    assert counted in alarm_metrics(RESOURCES["NotificationPublishFailedAlarm"])
    (refused,) = states["Message Published?"]["Choices"]
    assert (refused["Variable"], refused["IsNull"], refused["Next"]) == (
        "$.result.notificationError",
        False,
        "Count Message Not Published",
    )
    for notify in ("Notify Without Summary", "Notify Batch Not Started"):
        assert [c["Next"] for c in states[notify]["Catch"]] == ["Count Message Not Published"]
    assert count["Next"] == "Which Verdict?"
    assert [(c["ErrorEquals"], c["Next"]) for c in count["Catch"]] == [(["States.ALL"], "Which Verdict?")]


def test_every_sync_message_that_cannot_be_published_is_counted_for_the_alarm() -> None:
    states = json.loads((ROOT / "statemachine" / "sync_workflow.asl.json").read_text(encoding="utf-8"))["States"]
    counts = {
        name: state
        for name, state in states.items()
        if str(state.get("Resource", "")).endswith(":states:::aws-sdk:cloudwatch:putMetricData")
    }
    # Report Run's refusal it kept leads to a count; so does each plain message's own failure.
    (refused,) = states["Message Published?"]["Choices"]
    assert refused["Next"] in counts
    for name, state in states.items():
        if str(state.get("Resource", "")).endswith(":states:::sns:publish"):
            assert [c["Next"] for c in state["Catch"]] == ["Count Plain Message Not Published"], name
    for name, count in counts.items():
        (datum,) = count["Parameters"]["MetricData"]
        counted = (count["Parameters"]["Namespace"], datum["MetricName"], datum["Dimensions"])
        assert counted in alarm_metrics(RESOURCES["NotificationPublishFailedAlarm"]), name
        # Counted or not, the run goes on to the verdict it would have reached.
        assert [(c["ErrorEquals"], c["Next"]) for c in count["Catch"]] == [(["States.ALL"], count["Next"])], name


def test_the_dashboard_shows_each_named_schedule_by_search_without_knowing_them() -> None:
    by_schedule = {
        name for namespace, name, dims in all_dashboard_metrics() if namespace == NAMESPACE and "Schedule" in dims
    }
    assert by_schedule == {"RunsSucceeded", "RunsFailed", "BytesTransferred", "FilesTransferred", "RunDuration"}
    for _, _, dims in all_dashboard_metrics():
        if "Schedule" in dims:
            # Every schedule the runs report, found by SEARCH: a schedule added to the file needs no deploy.
            assert dims == {"Schedule": "*", "service": "*"}
