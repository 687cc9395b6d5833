"""Error shapes for routing failures, the probes, /metrics and /openapi.json."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from starlette.routing import Route

from api.app import OVERVIEW_PATH
from tests.support.api_fakes import SAMPLE_OVERVIEW, FakeKeys, FakeOverviews, FakeReadiness, bearer, client, make_app


async def test_unknown_path_is_a_json_404() -> None:
    async with client(make_app()) as http:
        for path in ["/nope", "/api/v1/analytics", "/healthz/", f"{OVERVIEW_PATH}/"]:
            response = await http.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == "application/json"
            body = response.json()
            assert set(body) == {"error", "message"} and body["error"] == "not_found"


async def test_wrong_method_is_a_json_405_with_allow() -> None:
    async with client(make_app()) as http:
        for method in ["POST", "PUT", "DELETE", "PATCH"]:
            response = await http.request(method, OVERVIEW_PATH)
            assert response.status_code == 405
            assert response.headers["allow"] == "GET, HEAD"
            assert response.json()["error"] == "method_not_allowed"
            assert set(response.json()) == {"error", "message"}


async def test_head_answers_like_get_without_a_body() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    async with client(make_app(FakeOverviews({"acme": SAMPLE_OVERVIEW}), keys)) as http:
        response = await http.head(OVERVIEW_PATH, headers=bearer(token))
    assert response.status_code == 200 and response.content == b""


class _Broken:
    async def overview(self, account_id: str) -> dict[str, object]:
        raise RuntimeError("secret internal detail")


async def test_a_crash_is_a_json_500_without_internals() -> None:
    keys = FakeKeys()
    token = keys.issue("acme")
    async with client(make_app(_Broken(), keys)) as http:
        response = await http.get(OVERVIEW_PATH, headers=bearer(token))
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "message": "The server failed to answer this request."}
    assert "secret" not in response.text


async def test_healthz_is_alive_even_when_not_ready() -> None:
    async with client(make_app(readiness=FakeReadiness(ready=False, reason="recovering"))) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_healthz_is_503_with_the_reason_when_the_process_stopped_making_progress() -> None:
    reason = "1 partition(s) stalled: conversation-events/3 has had records waiting and none processed for 61 s"
    async with client(make_app(readiness=FakeReadiness(alive=False, alive_reason=reason))) as http:
        response = await http.get("/healthz")
    assert response.status_code == 503 and response.json() == {"error": "unhealthy", "message": reason}


async def test_readyz_reports_readiness_with_its_reason() -> None:
    readiness = FakeReadiness(ready=True, reason="caught up")
    async with client(make_app(readiness=readiness)) as http:
        ready = await http.get("/readyz")
        readiness.ready, readiness.reason = False, "table recovery: 40% of partition 2"
        not_ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "reason": "caught up"}
    assert not_ready.status_code == 503
    assert not_ready.json() == {"error": "not_ready", "message": "table recovery: 40% of partition 2"}


async def test_metrics_shows_request_latency_by_route_template_and_the_hosts_collectors() -> None:
    registry = CollectorRegistry()
    keys = FakeKeys()
    token = keys.issue("acme")
    app = make_app(FakeOverviews({"acme": SAMPLE_OVERVIEW}), keys, registry=registry)
    async with client(app) as http:
        await http.get(OVERVIEW_PATH, headers=bearer(token))
        await http.get(OVERVIEW_PATH)
        await http.get("/no/such/path/abc123")
        await http.request("BREW", "/healthz")
        response = await http.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    name = "pingback_http_request_duration_seconds"
    assert f'{name}_count{{method="GET",route="{OVERVIEW_PATH}",status="200"}} 1.0' in text
    assert f'{name}_count{{method="GET",route="{OVERVIEW_PATH}",status="401"}} 1.0' in text
    # Raw paths and odd methods never become label values.
    assert f'{name}_count{{method="GET",route="<unmatched>",status="404"}} 1.0' in text
    assert f'{name}_count{{method="OTHER",route="/healthz",status="405"}} 1.0' in text
    assert "abc123" not in text and "BREW" not in text


async def test_openapi_document_lists_exactly_the_routes() -> None:
    app = make_app()
    async with client(app) as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    routes = {route.path: route.methods for route in app.routes if isinstance(route, Route)}
    assert set(document["paths"]) == set(routes)
    for path, operations in document["paths"].items():
        # Starlette serves HEAD wherever it serves GET.
        head = {"HEAD"} if "get" in operations else set()
        assert {method.upper() for method in operations} | head == routes[path]
    overview = document["paths"][OVERVIEW_PATH]["get"]
    assert overview["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "pbk_<key_id>_<secret>",
    }
    assert set(overview["responses"]) == {"200", "401", "403", "500", "503"}
