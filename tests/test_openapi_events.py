"""The OpenAPI document's event schemas accept every valid sample of each type, and refuse broken ones."""

from __future__ import annotations

from typing import Any

import jsonschema
import orjson
import pytest

from api.openapi import openapi_document
from tests.support.records import AGENT, ASSIGNED, CREATED, DROP, LABELS, MESSAGE, RATED, STATUS, record

_DOCUMENT = openapi_document(reports=True, ingest=True, agents=True)


def _validator() -> jsonschema.Draft202012Validator:
    schema = {"$ref": "#/components/schemas/Event", "components": _DOCUMENT["components"]}
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.mark.parametrize(
    "value",
    [
        record(CREATED),
        record(CREATED, inbox_id="web"),
        record(MESSAGE),
        record(STATUS),
        record(RATED),
        record(AGENT),
        record(ASSIGNED),
        record(ASSIGNED, agent_id=DROP),
        record(ASSIGNED, team_id=None),
        record(LABELS),
        record(LABELS, labels=[]),
    ],
)
def test_valid_events_match_their_schema(value: bytes) -> None:
    _validator().validate(orjson.loads(value))


@pytest.mark.parametrize(
    "doc",
    [
        orjson.loads(record(LABELS, labels=["ok", ""])),
        orjson.loads(record(LABELS, labels="vip")),
        orjson.loads(record(ASSIGNED, team_id="")),
        orjson.loads(record(CREATED, inbox_id="")),
        {**orjson.loads(record(CREATED)), "type": "conversation.deleted"},
    ],
)
def test_broken_events_do_not_match(doc: dict[str, Any]) -> None:
    assert not _validator().is_valid(doc)
