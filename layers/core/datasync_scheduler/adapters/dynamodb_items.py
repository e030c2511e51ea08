"""DynamoDB items in and out of their wire form, by boto3's own serialiser.

The adapters keep the low-level client (its errors, `ReturnValuesOnConditionCheckFailure`'s item and
the state machine's DynamoDB integrations all speak the wire form) and let boto3 do the marshalling:
`str` is `S`, `int` is `N`, a `set` of `str` is `SS`, a `dict` is `M`; read back, a number is a
`Decimal` and a string set a `set` (boto3.dynamodb.types).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values (or an item, or `ExpressionAttributeValues`) in DynamoDB's wire form."""
    return {name: _serializer.serialize(value) for name, value in values.items()}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item (or a response's `Attributes`) as Python values."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def whole(value: Any) -> int:
    """A number attribute as read back (a `Decimal`) as the `int` this code stores."""
    if not isinstance(value, Decimal | int):
        raise TypeError(f"not a number attribute: {value!r}")
    return int(value)
