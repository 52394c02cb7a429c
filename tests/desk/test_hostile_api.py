"""Random JSON bodies to every API action, and hostile path segments: a 4xx with a reason,
never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from route.casebook import case_id_for
from socialcare.desk.routes.cases import CASE_ACTIONS
from tests.test_hostile_input import HOSTILE_TEXT, JSON_VALUES

BODIES = st.one_of(
    JSON_VALUES,
    st.dictionaries(
        st.sampled_from(["text", "to", "until", "field", "value", "queue", "note", "x"]),
        st.one_of(HOSTILE_TEXT, JSON_VALUES),
        max_size=4,
    ),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    action=st.sampled_from([*CASE_ACTIONS, "bogus"]),
    body=BODIES,
    case=st.one_of(st.just(case_id_for("x", "hot")), HOSTILE_TEXT.filter(bool)),
)
def test_api_actions_never_fail_with_500(app, token, action, body, case):
    client = _client(app, token)
    segment = quote(case.encode("utf-8", "surrogatepass"), safe="")
    response = client.post(
        f"/api/cases/{segment}/{action}",
        content=_json(body),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code < 500, (action, body, response.text)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES)
def test_rule_and_report_endpoints_never_fail_with_500(app, token, body):
    client = _client(app, token, "ada")
    for path in ("/api/rules/validate", "/api/rules/publish", "/api/claim-next"):
        response = client.post(
            path, content=_json(body), headers={"Content-Type": "application/json"}
        )
        assert response.status_code < 500, (path, body, response.text)
    params = body if isinstance(body, dict) else {}
    query = "&".join(
        f"{quote(str(k).encode('utf-8', 'surrogatepass'))}="
        f"{quote(str(v)[:30].encode('utf-8', 'surrogatepass'))}"
        for k, v in params.items()
    )
    assert client.get(f"/api/reports?{query}").status_code < 500


def _json(body) -> bytes:
    """JSON as a hostile client may send it: lone surrogates as \\u escapes, NaN included."""
    return json.dumps(body, default=str).encode()


_CLIENTS: dict = {}


def _client(app, token, name: str = "ana") -> TestClient:
    key = (id(app), name)
    if key not in _CLIENTS:
        _CLIENTS[key] = TestClient(app, headers={"Authorization": f"Bearer {token(name)}"})
    return _CLIENTS[key]
