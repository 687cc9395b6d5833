"""The OpenAPI of `GET /api/v1/analytics/agents`, with schemas derived from `analytics.agents_now`."""

from __future__ import annotations

from typing import Any

import msgspec

from analytics.agents_now import AgentNow, AgentsNow
from api.agents import AGENTS_PATH

JsonObject = dict[str, Any]
_REF = "#/components/schemas/{name}"


def agents_schemas() -> JsonObject:
    _, components = msgspec.json.schema_components([AgentsNow, AgentNow], ref_template=_REF)
    return components


def agents_path(no_store: JsonObject, responses: dict[str, JsonObject]) -> JsonObject:
    """The path item; `responses` are the shared 401/503/500 references."""
    return {
        AGENTS_PATH: {
            "get": {
                "summary": "The agents live or away now, and since when (the wallboard's team panel)",
                "description": "Status and name as SPEC §2 defines them; `since` is when the status now in force "
                "began (a repeated change to the same status starts nothing new). Ordered by name, then agent_id. "
                "How each agent's day went is `getReport` with `breakdown=agent`.",
                "operationId": "getAgentsNow",
                "security": [{"bearer": []}],
                "responses": {
                    "200": {
                        "description": "The agents on duty now.",
                        "headers": no_store,
                        "content": {"application/json": {"schema": {"$ref": _REF.format(name="AgentsNow")}}},
                    },
                    **responses,
                },
            }
        }
    }
