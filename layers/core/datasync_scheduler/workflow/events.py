"""The events the scheduler puts on EventBridge: a run's and a batch's start and end.

Other systems follow runs and batches through these, without touching this stack: a rule on the
bus (the stack's `EventBusName`, the account's default bus unless set) with the source
`datasync-scheduler` and the detail types below. A batch started by a named schedule is that
schedule's firing: its events carry `schedule` and `scheduledTime`.

Each detail is a pydantic model; its JSON Schema (Draft 4, as the EventBridge Schema Registry takes
it: docs/aws-facts.md#eventbridge-schema-registry) is published in the stack and written to
`docs/event-schemas/` by `make schema`. Every detail is bounded: untrusted text (task names,
DataSync's error texts, verdict reasons) is made one line and cut to a known length, and the
failures carry counts by category, never file names, so an entry stays far below PutEvents' 256 KB
(docs/aws-facts.md#eventbridge-putevents).

Emitting is best effort and happens after the run's or batch's message is published: a bus that
refuses the event is logged and never changes the verdict or loses the message.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from datasync_scheduler.domain.run_result import iso
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.messages import console_links
from datasync_scheduler.ports import EventBusPort, EventEntry, NotEmitted

_logger = logging.getLogger(__name__)

SOURCE: Final = "datasync-scheduler"
RUN_STARTED: Final = "Sync Run Started"
RUN_ENDED: Final = "Sync Run Ended"
BATCH_STARTED: Final = "Batch Started"
BATCH_ENDED: Final = "Batch Ended"

# What PutEvents takes in one entry (Time, Source, DetailType, Detail and Resources, in UTF-8
# bytes): docs/aws-facts.md#eventbridge-putevents.
ENTRY_MAX_BYTES: Final = 256 * 1024
# The bounds of untrusted text in a detail.
TEXT_MAX: Final = 1024
NAME_MAX: Final = 256


def bounded(text: str | None, limit: int = TEXT_MAX) -> str | None:
    """Untrusted text as one visible line, cut to `limit` characters (an ellipsis says so)."""
    if text is None:
        return None
    line = one_line(text)
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Detail(BaseModel):
    """camelCase on the bus; a detail never carries a field its schema does not declare."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Verdict(Detail):
    status: Literal["SUCCEEDED", "FAILED"]
    error: str = Field(max_length=NAME_MAX, description="The verdict's error name; empty when it succeeded.")
    reason: str = Field(max_length=TEXT_MAX, description="Why, in one line (untrusted text made visible).")


class Counters(Detail):
    """DataSync's counters of the run's last task execution (null where DataSync gave none)."""

    estimated_files: int | None = None
    estimated_bytes: int | None = None
    files_transferred: int | None = None
    bytes_transferred: int | None = None
    bytes_written: int | None = None
    files_verified: int | None = None
    files_skipped: int | None = None
    files_deleted: int | None = None


class Failures(Detail):
    """The failed files of the run's latest analysed attempt, counted; the names are in the report."""

    total: int | None = Field(description="Failed files found; null when they could not be read.")
    by_category: dict[str, int] = Field(description="Failed files by category (checksum, access_denied, ...).")
    report: str | None = Field(description="The failure report's S3 location (s3://bucket/key), when written.")


class Links(Detail):
    """Where a person looks next, in the AWS console."""

    workflow_execution: str | None = None
    datasync_task: str | None = None


class Firing(Detail):
    schedule: str = Field(max_length=NAME_MAX, description="The named schedule that fired.")
    scheduled_time: str | None = Field(default=None, description="The firing's scheduled time (ISO 8601).")


class RunStarted(Detail):
    """A run (one SyncWorkflow execution) accepted its request and is about to start the task."""

    workflow_execution: str
    task_arn: str
    started_at: str
    includes: str | None = Field(default=None, max_length=TEXT_MAX)
    excludes: str | None = Field(default=None, max_length=TEXT_MAX)
    firing: Firing | None = None


class RunEnded(Detail):
    """A run ended: its verdict, counters, failures by category and links."""

    workflow_execution: str | None
    task_arn: str | None
    task_name: str | None = Field(default=None, max_length=NAME_MAX)
    execution_arn: str | None = Field(description="The run's last DataSync task execution.")
    verdict: Verdict
    started_at: str | None = Field(
        default=None, description="When the run began (ISO 8601); null for a rejected request."
    )
    ended_at: str = Field(description="When the run was reported (ISO 8601).")
    attempts: int
    counters: Counters
    failures: Failures | None
    links: Links
    firing: Firing | None = None
    message_id: str | None = Field(default=None, description="SNS's MessageId of the run's message, when sent.")


class BatchStarted(Detail):
    """A batch (one BatchWorkflow execution) was validated: how many runs it starts, and its firing."""

    batch_execution: str
    tasks: int
    max_concurrency: int
    firing: Firing | None = None


class BatchEnded(Detail):
    """A batch ended: its verdict and how many of its runs ended how."""

    batch_execution: str
    verdict: Verdict
    tasks: int
    succeeded: int
    failed: int
    firing: Firing | None = None
    links: Links
    message_id: str | None = None


DETAILS: Final[dict[str, type[Detail]]] = {
    RUN_STARTED: RunStarted,
    RUN_ENDED: RunEnded,
    BATCH_STARTED: BatchStarted,
    BATCH_ENDED: BatchEnded,
}


# --- Building the details from what the steps already have -----------------------------------


def firing_of(firing: Any) -> Firing | None:
    """The firing of a sync request or batch (domain.schedules.Firing), as the events tell it."""
    if firing is None:
        return None
    scheduled = firing.scheduled_time
    return Firing(schedule=firing.schedule, scheduled_time=iso(scheduled) if scheduled else None)


def run_ended(
    result: Mapping[str, Any],
    *,
    message_id: str | None,
    firing: Firing | None,
    started_at: str | None = None,
    ended_at: str,
) -> RunEnded:
    """The run's end, from its run result (`RunResult.to_dict()` plus Report Run's fields)."""
    verdict = result.get("verdict") or {}
    workflow_execution = result.get("workflowExecution")
    task_arn = result.get("taskArn")
    counters = {k: v for k, v in (result.get("counters") or {}).items() if k in _COUNTER_FIELDS}
    return RunEnded(
        workflow_execution=workflow_execution,
        task_arn=task_arn,
        task_name=bounded(result.get("taskName"), NAME_MAX),
        execution_arn=result.get("executionArn"),
        verdict=Verdict(
            status="SUCCEEDED" if verdict.get("status") == "SUCCEEDED" else "FAILED",
            error=bounded(str(verdict.get("error") or ""), NAME_MAX) or "",
            reason=bounded(str(verdict.get("reason") or ""), TEXT_MAX) or "",
        ),
        started_at=started_at,
        ended_at=ended_at,
        attempts=len(result.get("attempts") or []),
        counters=Counters.model_validate(counters),
        failures=_failures(result.get("failures")),
        links=Links(
            workflow_execution=console_links.state_machine_execution(workflow_execution)
            if workflow_execution
            else None,
            datasync_task=console_links.datasync_task(task_arn) if task_arn else None,
        ),
        firing=firing,
        message_id=message_id,
    )


_COUNTER_FIELDS = frozenset(to_camel(name) for name in Counters.model_fields)


def _failures(summary: Any) -> Failures | None:
    if not isinstance(summary, Mapping):
        return None
    report = summary.get("report")
    location = None
    if isinstance(report, Mapping) and report.get("bucket") and report.get("key"):
        location = f"s3://{report['bucket']}/{report['key']}"
    elif isinstance(report, str):
        location = report
    by_category = summary.get("byCategory") or {}
    return Failures(
        total=summary.get("totalFailures") if summary.get("available", True) else None,
        by_category={str(k)[:NAME_MAX]: int(v) for k, v in by_category.items() if isinstance(v, int)},
        report=bounded(location, TEXT_MAX),
    )


def batch_ended(
    *,
    batch_execution: str,
    status: str,
    error: str,
    reason: str,
    counts: Mapping[str, int],
    firing: Firing | None,
    message_id: str | None,
) -> BatchEnded:
    return BatchEnded(
        batch_execution=batch_execution,
        verdict=Verdict(
            status="SUCCEEDED" if status == "SUCCEEDED" else "FAILED",
            error=bounded(error, NAME_MAX) or "",
            reason=bounded(reason, TEXT_MAX) or "",
        ),
        tasks=counts.get("tasks", 0),
        succeeded=counts.get("succeeded", 0),
        failed=counts.get("failed", 0),
        firing=firing,
        links=Links(workflow_execution=console_links.state_machine_execution(batch_execution)),
        message_id=message_id,
    )


# --- Putting them on the bus --------------------------------------------------------------------


def entry(detail: Detail, *, resources: list[str]) -> EventEntry:
    """One PutEvents entry; raises ValueError when it would exceed what PutEvents takes."""
    detail_type = next(name for name, model in DETAILS.items() if isinstance(detail, model))
    text = json.dumps(detail.model_dump(mode="json", by_alias=True), separators=(",", ":"), ensure_ascii=False)
    kept = [arn for arn in resources if arn]
    size = len(SOURCE.encode()) + len(detail_type.encode()) + len(text.encode()) + sum(len(r.encode()) for r in kept)
    if size > ENTRY_MAX_BYTES:  # bounded by construction; checked so a change that breaks it says so
        raise ValueError(f"the {detail_type} event is {size} bytes; PutEvents takes at most {ENTRY_MAX_BYTES}")
    return EventEntry(source=SOURCE, detail_type=detail_type, detail=text, resources=tuple(kept))


def emit(bus: EventBusPort, detail: Detail, *, resources: list[str]) -> str | None:
    """Puts the event on the bus; returns why it was not emitted, or None. Never raises: a run's
    verdict and message never depend on its event."""
    try:
        bus.put(entry(detail, resources=resources))
    except NotEmitted as error:
        _logger.exception("The event was not emitted; the run or batch goes on")
        return str(error)
    except Exception as error:  # an event is never worth a run: whatever failed is logged
        _logger.exception("The event was not emitted; the run or batch goes on")
        return f"{type(error).__name__}: {error}"
    return None


# --- Their schemas ----------------------------------------------------------------------------


def draft4(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The model's JSON Schema in Draft 4, as the Schema Registry's `JSONSchemaDraft4` type takes it:
    pydantic writes Draft 2020-12 (`$defs`, `const`); Draft 4 names them `definitions` and `enum`."""
    schema = model.model_json_schema(by_alias=True, ref_template="#/definitions/{model}")
    definitions = schema.pop("$defs", {})
    converted: dict[str, Any] = _draft4_values(schema)
    body: dict[str, Any] = {"$schema": "http://json-schema.org/draft-04/schema#", "title": title, **converted}
    if definitions:
        body["definitions"] = _draft4_values(definitions)
    return body


def _draft4_values(node: Any) -> Any:
    if isinstance(node, dict):
        # pydantic's field titles only restate the field's name.
        out = {key: _draft4_values(value) for key, value in node.items() if key != "title"}
        if "const" in out:
            out["enum"] = [out.pop("const")]
        variants = out.get("anyOf")
        if isinstance(variants, list) and {"type": "null"} in variants and len(variants) == 2:
            other = next(variant for variant in variants if variant != {"type": "null"})
            if set(other) == {"type"} and isinstance(other["type"], str):
                # `X or null`, as Draft 4 writes it.
                out.pop("anyOf")
                out["type"] = [other["type"], "null"]
        return out
    if isinstance(node, list):
        return [_draft4_values(value) for value in node]
    return node


def event_schema(detail_type: str) -> dict[str, Any]:
    """The whole event as EventBridge delivers it, its `detail` the detail type's schema."""
    detail = draft4(DETAILS[detail_type], detail_type)
    definitions = detail.pop("definitions", {})
    detail.pop("$schema")
    schema: dict[str, Any] = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": detail_type,
        "type": "object",
        "required": ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"],
        "properties": {
            "version": {"type": "string"},
            "id": {"type": "string"},
            "detail-type": {"type": "string", "enum": [detail_type]},
            "source": {"type": "string", "enum": [SOURCE]},
            "account": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "region": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "string"}},
            "detail": detail,
        },
    }
    if definitions:
        schema["definitions"] = definitions
    return schema


def schema_file_name(detail_type: str) -> str:
    return detail_type.lower().replace(" ", "-") + ".json"


def schema_texts() -> dict[str, str]:
    """Each event's schema as `make schema` writes it to docs/event-schemas/ and the stack publishes it."""
    return {schema_file_name(name): json.dumps(event_schema(name), indent=2, sort_keys=True) + "\n" for name in DETAILS}


_MARK = re.compile(
    r"^(?P<indent> *)# event-schema: (?P<name>\S+)\n(?P=indent)Content: [|>]-?\n(?:(?P=indent)  .*\n|\n)*", re.M
)


def with_schemas(template: str) -> str:
    """The template with each `# event-schema: <file>` Content written from the models."""
    texts = schema_texts()

    def content(match: re.Match[str]) -> str:
        indent, name = match["indent"], match["name"]
        # One line in the template (its size counts against CloudFormation's limit); pretty in docs/.
        compact = json.dumps(json.loads(texts[name]), sort_keys=True, separators=(",", ":"))
        body = f"{indent}  {compact}\n"
        return f"{indent}# event-schema: {name}\n{indent}Content: |\n{body}\n"

    return _MARK.sub(content, template)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    folder, template = Path(sys.argv[1]), Path(sys.argv[2])
    for name, text in schema_texts().items():
        (folder / name).write_text(text)
    template.write_text(with_schemas(template.read_text()))
