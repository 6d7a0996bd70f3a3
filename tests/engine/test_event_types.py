"""Every event type is one documented dataclass that writes and reads back the same."""

from __future__ import annotations

import dataclasses
import json

import pytest

from engine.events import types as event_types
from engine.events.types import BODY_TYPES, EventBody, EventType, TaskClaimed, decode


def test_every_event_type_has_its_own_documented_class() -> None:
    assert set(BODY_TYPES) == set(EventType)
    for kind, cls in BODY_TYPES.items():
        assert cls.TYPE is kind
        own = cls.__dict__.get("__doc__") or ""
        assert own.strip() and not own.startswith(f"{cls.__name__}("), (
            f"{cls.__name__} ({kind}) needs a docstring saying what the event means"
        )


def test_subclasses_of_event_body_are_all_registered() -> None:
    found = {
        value
        for value in vars(event_types).values()
        if isinstance(value, type) and issubclass(value, EventBody) and "TYPE" in value.__dict__
    }
    assert found == set(BODY_TYPES.values())


@pytest.mark.parametrize("cls", list(BODY_TYPES.values()), ids=lambda c: c.__name__)
def test_each_type_round_trips_through_its_payload(cls: type[EventBody]) -> None:
    body = cls()
    assert decode(cls.TYPE, body.payload()) == body
    assert set(json.loads(body.payload())) == {f.name for f in dataclasses.fields(cls)}


def test_payloads_written_before_the_classes_read_back() -> None:
    # A claim as the first release logged it: no "implicit" key at all.
    old = '{"element_id": "upload", "role": "doh_it_officer"}'
    assert decode("task_claimed", old) == TaskClaimed("upload", "doh_it_officer", False)
    assert decode("task_claimed", '{"implicit": true, "extra": 1}') == TaskClaimed(implicit=True)
