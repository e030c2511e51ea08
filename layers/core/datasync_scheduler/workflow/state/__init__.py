"""The JSON that travels between the workflows' states, as typed models: one module per workflow."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import BaseModel


def schema_text(title: str, models: Mapping[str, type[BaseModel]]) -> str:
    """The JSON Schema of a workflow's state and of each step's input, as `make schema` writes it."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "$defs": {name: model.model_json_schema(by_alias=True) for name, model in models.items()},
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
