"""Where the analysis looks for failed files, and why it sometimes cannot."""

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from datasync_scheduler.domain.analysis import TaskFacts, detailed_report_prefix, log_group_name, plan_analysis
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.workflow.analyze_run import analyze

TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
EXECUTION = f"{TASK}/execution/exec-0123456789abcdef0"
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
GROUP_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/datasync/nightly:*"
REPORT = {
    "Destination": {"S3": {"S3BucketArn": "arn:aws:s3:::reports", "Subdirectory": "/datasync/"}},
    "OutputType": "STANDARD",
}


def execution(log_level: str = "BASIC", **fields: object) -> ExecutionSnapshot:
    return ExecutionSnapshot.from_api(
        {
            "TaskExecutionArn": EXECUTION,
            "Status": "ERROR",
            "Options": {"LogLevel": log_level},
            "StartTime": T0,
            "LaunchTime": T0 + timedelta(seconds=5),
            "EndTime": T0 + timedelta(hours=2),
            **fields,
        }
    )


def task(**fields: object) -> TaskFacts:
    return TaskFacts.from_api(
        {
            "TaskArn": TASK,
            "CloudWatchLogGroupArn": GROUP_ARN,
            "SourceLocationArn": "arn:aws:datasync:eu-west-1:123456789012:location/loc-aaa",
            "DestinationLocationArn": "arn:aws:datasync:eu-west-1:123456789012:location/loc-bbb",
            **fields,
        }
    )


def test_a_complete_task_report_is_preferred_over_the_logs() -> None:
    plan = plan_analysis(execution(TaskReportConfig=REPORT, ReportResult={"Status": "SUCCESS"}), task(), T0)
    assert (plan.source, plan.report_bucket) == ("task-report", "reports")


def test_only_this_executions_detailed_report_folder_is_read() -> None:
    plan = plan_analysis(execution(TaskReportConfig=REPORT, ReportResult={"Status": "SUCCESS"}), task(), T0)
    assert plan.report_prefix == "datasync/Detailed-Reports/task-0123456789abcdef0/exec-0123456789abcdef0/"


def test_the_report_folder_is_where_aws_s_own_code_finds_it() -> None:
    # aws-solutions/prebid-server-deployment-on-aws: Subdirectory "datasync", and for an execution of
    # task-example2 its reader lists "datasync/Detailed-Reports/task-example2/exec-example316440271f/".
    execution_arn = "arn:aws:datasync:us-west-2:111122223333:task/task-example2/execution/exec-example316440271f"
    assert detailed_report_prefix("datasync", execution_arn) == (
        "datasync/Detailed-Reports/task-example2/exec-example316440271f/"
    )
    # Without a Subdirectory the folders start at the bucket's root (the DEA sample's report key).
    task_arn = "arn:aws:datasync:us-east-1:111122223333:task/task-00000000000000000"
    execution_arn = f"{task_arn}/execution/exec-00000000000000000"
    assert detailed_report_prefix(None, execution_arn) == (
        "Detailed-Reports/task-00000000000000000/exec-00000000000000000/"
    )


def test_a_report_still_being_written_is_not_trusted() -> None:
    plan = plan_analysis(execution(TaskReportConfig=REPORT, ReportResult={"Status": "PENDING"}), task(), T0)
    assert plan.source == "logs"
    assert plan.note.startswith("the task report is not complete (status PENDING)")


def test_an_access_point_destination_is_read_through_its_arn() -> None:
    access_point = "arn:aws:s3:eu-west-1:123456789012:accesspoint/reports"
    config = {"Destination": {"S3": {"S3BucketArn": access_point}}, "OutputType": "STANDARD"}
    plan = plan_analysis(execution(TaskReportConfig=config, ReportResult={"Status": "SUCCESS"}), task(), T0)
    assert plan.report_bucket == access_point


def test_an_incomplete_task_report_falls_back_to_the_logs_and_says_so() -> None:
    plan = plan_analysis(execution(TaskReportConfig=REPORT, ReportResult={"Status": "ERROR"}), task(), T0)
    assert plan.source == "logs"
    assert plan.note.startswith("the task report is not complete (status ERROR)")


def test_basic_mode_reads_the_tasks_log_group_within_the_executions_window() -> None:
    plan = plan_analysis(execution(), task(), T0)
    assert plan.log_group == "/aws/datasync/nightly"
    assert plan.start == T0 + timedelta(seconds=5) - timedelta(minutes=1)
    assert plan.end == T0 + timedelta(hours=2, minutes=5)
    assert plan.location_ids == ()


def test_enhanced_mode_reads_the_shared_group_keeping_only_this_tasks_locations() -> None:
    plan = plan_analysis(execution(), task(TaskMode="ENHANCED"), T0)
    assert plan.log_group == "/aws/datasync"
    assert plan.location_ids == ("loc-aaa", "loc-bbb")


def test_logging_off_makes_the_analysis_unavailable_with_what_to_change() -> None:
    plan = plan_analysis(execution(log_level="OFF"), task(), T0)
    assert plan.source == "none"
    assert "LogLevel is OFF" in plan.note and "Set LogLevel to BASIC" in plan.note


def test_a_task_without_a_log_group_makes_the_analysis_unavailable() -> None:
    plan = plan_analysis(execution(), TaskFacts(task_arn=TASK), T0)
    assert plan.source == "none" and "CloudWatchLogGroupArn" in plan.note


def test_log_group_names_are_read_from_arns_with_or_without_the_wildcard() -> None:
    assert log_group_name(GROUP_ARN) == "/aws/datasync/nightly"
    assert log_group_name("arn:aws:logs:eu-west-1:123456789012:log-group:plain") == "plain"


class ReportFolder:
    """A task-report bucket holding the given detailed documents under one execution's folder."""

    def __init__(self, *documents: Any) -> None:
        self.documents = list(documents)

    def detailed_documents(self, bucket: str, prefix: str) -> Iterator[Any]:
        return iter(self.documents)

    def has_detailed(self, bucket: str, prefix: str) -> bool:
        return bool(self.documents)


class NoLogEvents:
    def __init__(self) -> None:
        self.read: list[str] = []

    def events(
        self, log_group: str, start: datetime, end: datetime, filter_pattern: str | None = None
    ) -> Iterator[tuple[str, str]]:
        self.read.append(log_group)
        return iter(())


class Discard:
    def store(self, failures: Iterable[FileFailure]) -> str | None:
        for _ in failures:
            pass
        return None


def test_a_complete_report_whose_folder_holds_no_detailed_file_sends_the_analysis_to_the_logs() -> None:
    complete = execution(TaskReportConfig=REPORT, ReportResult={"Status": "SUCCESS"})
    logs = NoLogEvents()
    result = analyze(complete, task(), logs=logs, reports=ReportFolder(), sink=Discard(), now=T0)
    assert (result["source"], logs.read) == ("logs", ["/aws/datasync/nightly"])
    assert result["note"].startswith(
        "the task report's folder datasync/Detailed-Reports/task-0123456789abcdef0/exec-0123456789abcdef0/ "
        "holds no detailed report; read from CloudWatch Logs group"
    )


def test_a_complete_report_with_its_detailed_files_is_read_and_the_logs_are_not() -> None:
    complete = execution(TaskReportConfig=REPORT, ReportResult={"Status": "SUCCESS"})
    logs = NoLogEvents()
    result = analyze(complete, task(), logs=logs, reports=ReportFolder({"Verified": []}), sink=Discard(), now=T0)
    assert (result["source"], result["available"], logs.read) == ("task-report", True, [])
