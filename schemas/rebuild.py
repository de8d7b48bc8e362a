"""An event rebuilt from its canonical bytes without validating it again.

Only for bytes that `canonical_bytes` made from an event this deployment's own code validated:
the tracker validates a large batch in a worker process (services/tracker/parse_pool.py) and gets
back each event's canonical bytes, which are cheap to send; `rebuild` turns them into the same
event (equal, field for field: tests/unit/schemas/test_rebuild.py) at a fraction of the cost of
validating, and nothing else may call it with bytes from outside.

The converters come from the models' own field types (UUIDs, dates, date-times, tuples and nested
models; every other field is stored as JSON gives it), so a field added to a model is covered."""

from __future__ import annotations

import datetime as dt
import types
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Union, cast, get_args, get_origin

import orjson
from pydantic import BaseModel

from schemas.events import EVENT_MODELS, Event

Convert = Callable[[Any], Any]


def rebuild(canonical: bytes) -> Event:
    """The event whose canonical bytes these are (see the module's warning)."""
    fields = orjson.loads(canonical)
    return cast("Event", _BY_TYPE[fields["type"]](fields))


def _bare(annotation: Any) -> Any:
    """The type under `Annotated[...]` and `X | None`."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members = [member for member in get_args(annotation) if member is not type(None)]
        if len(members) != 1:
            raise TypeError(f"no rebuild for a union of several types: {annotation}")
        return _bare(members[0])
    return annotation


def _converter(annotation: Any) -> Convert | None:
    kind = _bare(annotation)
    if kind is uuid.UUID:
        return uuid.UUID
    if kind is dt.datetime:
        return dt.datetime.fromisoformat
    if kind is dt.date:
        return dt.date.fromisoformat
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return _builder(kind)
    if get_origin(kind) is tuple:
        item = _converter(get_args(kind)[0])
        if item is None:
            return tuple
        return lambda values: tuple(item(value) for value in values)
    return None


def _builder(model: type[BaseModel]) -> Callable[[dict[str, Any]], BaseModel]:
    """What `model_construct` does, for one model's known fields, with each value converted."""
    converters = {name: _converter(info.annotation) for name, info in model.model_fields.items()}
    defaults = {
        name: info.get_default(call_default_factory=True)
        for name, info in model.model_fields.items()
        if not info.is_required()
    }
    new, assign = object.__new__, object.__setattr__

    def build(fields: dict[str, Any]) -> BaseModel:
        values = dict(defaults)
        for name, value in fields.items():
            convert = converters[name]
            values[name] = value if convert is None else convert(value)
        built = new(model)
        assign(built, "__dict__", values)
        assign(built, "__pydantic_fields_set__", set(fields))
        assign(built, "__pydantic_extra__", None)
        assign(built, "__pydantic_private__", None)
        return built

    return build


_BY_TYPE = {kind: _builder(model) for kind, model in EVENT_MODELS.items()}
