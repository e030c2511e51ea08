"""The events' schemas the stack publishes are the ones the code emits by (`make schema` writes both)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from datasync_scheduler.workflow import events
from emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]


def test_the_stack_publishes_each_events_schema_as_the_models_define_it() -> None:
    resources = load_template(ROOT / "template.yaml")["Resources"]
    published = {
        resource["Properties"]["SchemaName"]: json.loads(resource["Properties"]["Content"])
        for resource in resources.values()
        if resource["Type"] == "AWS::EventSchemas::Schema"
    }
    assert {name.removeprefix("datasync-scheduler@") for name in published} == {
        detail_type.replace(" ", "") for detail_type in events.DETAILS
    }
    for detail_type in events.DETAILS:
        schema = published[f"datasync-scheduler@{detail_type.replace(' ', '')}"]
        assert schema == events.event_schema(detail_type), f"{detail_type}: run `make schema`"
        jsonschema.Draft4Validator.check_schema(schema)


def test_the_docs_hold_the_same_schemas() -> None:
    for name, text in events.schema_texts().items():
        assert (ROOT / "docs" / "event-schemas" / name).read_text() == text, f"{name}: run `make schema`"


def test_every_schema_is_registered_as_draft_4() -> None:
    resources = load_template(ROOT / "template.yaml")["Resources"]
    for resource in resources.values():
        if resource["Type"] == "AWS::EventSchemas::Schema":
            assert resource["Properties"]["Type"] == "JSONSchemaDraft4"
            assert json.loads(resource["Properties"]["Content"])["$schema"] == "http://json-schema.org/draft-04/schema#"
