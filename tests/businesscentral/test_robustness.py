"""Whatever a client sends, the Business Central fake answers like Business Central: never a traceback, never a 500."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.businesscentral.fake import BusinessCentralFake
from harness.fakes import FakeTransport, IdSource

FAKE = BusinessCentralFake(ids=IdSource(99))
HTTP = httpx.Client(
    base_url="http://businesscentral.test",
    transport=FakeTransport(FAKE),
    headers={"Authorization": f"Bearer {FAKE.token}"},
)
API = FAKE.api_path()
COMPANY = f"{API}/companies({FAKE.company_id})"

segments = st.sampled_from(
    ["customers", "contacts", "companies", "$batch", "(", ")", "''", "vendors", "%20", "x" * 300, "..", "$metadata"]
)
paths = st.one_of(
    st.lists(segments, min_size=1, max_size=4).map(lambda parts: f"{COMPANY}/" + "/".join(parts)),
    st.builds(lambda key: f"{COMPANY}/contacts({key})", st.text(max_size=40)),
    st.builds(lambda tail: f"{API}/{tail}", st.text(max_size=30)),
    st.text(max_size=40).map(lambda text: "/" + text),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=20), inner, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "displayName",
        "phoneNumber",
        "mobilePhoneNumber",
        "type",
        "number",
        "email",
        "id",
        "companyNumber",
        "blocked",
        "creditLimit",
        "privacyBlocked",
        "lastModifiedDateTime",
        "@odata.etag",
        "bogus",
    ]
)
bodies = st.one_of(
    st.dictionaries(field_names, json_values, max_size=6).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=60),
    st.builds(
        lambda ops: json.dumps({"requests": ops}),
        st.lists(
            st.dictionaries(st.sampled_from(["id", "method", "url", "headers", "body"]), json_values, max_size=5),
            max_size=4,
        ),
    ),
)
queries = st.dictionaries(
    st.sampled_from(["$filter", "$select", "$orderby", "$top", "$skip", "$skiptoken", "$count", "$expand", "$x"]),
    st.text(max_size=50),
    max_size=3,
)
headers = st.dictionaries(
    st.sampled_from(["If-Match", "Prefer", "Isolation"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
    max_size=2,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT"]),
    path=paths,
    body=bodies,
    query=queries,
    extra=headers,
)
def test_any_request_gets_a_vendor_answer(
    method: str, path: str, body: str, query: dict[str, str], extra: dict[str, str]
) -> None:
    try:
        request = HTTP.build_request(
            method, path, content=body.encode(), params=query, headers={"Content-Type": "application/json", **extra}
        )
    except (httpx.InvalidURL, UnicodeEncodeError):
        return  # not a request a client could send
    response = HTTP.send(request)
    assert response.status_code < 500, f"{method} {path} {query} {body!r} -> {response.status_code} {response.text}"
    assert FAKE.internal_errors == [], FAKE.internal_errors
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message"}, response.text
        assert "  CorrelationId:  " in error["message"], response.text
    if response.status_code == 200 and path.endswith("$batch"):
        for answer in response.json()["responses"]:
            assert answer["status"] < 500, answer
