"""Secret redaction: headers, JSON and form bodies, free text, URLs, and the secrets a Redactor is told about."""

from __future__ import annotations

import base64
import json

import httpx

from harness.report import REDACTED, Redactor, redact_data, redact_headers, redact_text, redact_url

TOKEN_RESPONSE = {
    "access_token": "at-0123456789abcdef",
    "refresh_token": "rt-fedcba9876543210",
    "token_type": "Bearer",
    "expires_in": 3600,
    "scope": "crmoffice offline_access",
}
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjcm0ifQ.c2lnbmF0dXJlLXBhcnQ_-x"


def test_bearer_header_keeps_its_scheme_and_hides_the_token() -> None:
    headers = redact_headers({"Authorization": "Bearer at-0123456789abcdef", "Accept": "application/json"})
    assert headers == {"Authorization": f"Bearer {REDACTED}", "Accept": "application/json"}


def test_basic_cookie_and_secret_named_headers_are_hidden() -> None:
    basic = base64.b64encode(b"client-id:client-secret-value").decode()
    raw = httpx.Headers(
        [
            ("Authorization", f"Basic {basic}"),
            ("Proxy-Authorization", "opaque"),
            ("Set-Cookie", "session=abc"),
            ("X-Api-Key", "k-123"),
            ("X-Refresh-Token", "rt"),
            ("Content-Type", "application/json"),
        ]
    )
    assert redact_headers(raw) == {
        "Authorization": f"Basic {REDACTED}",
        "Proxy-Authorization": REDACTED,
        "Set-Cookie": REDACTED,
        "X-Api-Key": REDACTED,
        "X-Refresh-Token": REDACTED,
        "Content-Type": "application/json",
    }


def test_www_authenticate_parameters_are_not_taken_for_a_token() -> None:
    challenge = 'Bearer realm="crmoffice", error="invalid_token"'
    assert redact_headers({"WWW-Authenticate": challenge}) == {"WWW-Authenticate": challenge}


def test_token_response_hides_tokens_and_keeps_the_rest() -> None:
    text = redact_text(json.dumps(TOKEN_RESPONSE), content_type="application/json; charset=utf-8")
    assert json.loads(text) == {**TOKEN_RESPONSE, "access_token": REDACTED, "refresh_token": REDACTED}
    assert text.startswith('{\n  "access_token"'), text


def test_json_is_recognised_without_a_content_type() -> None:
    assert json.loads(redact_text('{"client_secret": "s3cr3t!", "n": 1}')) == {"client_secret": REDACTED, "n": 1}


def test_form_body_hides_the_secret_and_keeps_the_grant_type() -> None:
    form = "client_secret=s3cr3t%2Bvalue&grant_type=client_credentials&client_id=crm"
    text = redact_text(form, content_type="application/x-www-form-urlencoded")
    assert text == f"client_secret={REDACTED}&grant_type=client_credentials&client_id=crm"


def test_jwt_and_credentials_in_free_text_are_hidden() -> None:
    basic = base64.b64encode(b"id:secret").decode()
    text = redact_text(f"got {JWT} then sent Authorization: Bearer opaque-42 and Basic {basic}; Basic checks passed")
    assert (
        text == f"got {REDACTED} then sent Authorization: Bearer {REDACTED} and Basic {REDACTED}; Basic checks passed"
    )


def test_secret_keys_in_free_text_and_malformed_json_are_hidden() -> None:
    text = redact_text('password: hunter2, then {"refresh_token": "rt-cut-off', content_type="application/json")
    assert text == f'password: {REDACTED}, then {{"refresh_token": "{REDACTED}"'


def test_explicit_secrets_are_hidden_wherever_they_appear() -> None:
    secret = "pa$$ w/rd+42"
    text = redact_text(
        f'{{"detail": "echoed {secret}"}} and https://crm.test/x?q=pa%24%24%20w%2Frd%2B42&p=pa%24%24+w%2Frd%2B42',
        secrets=[secret, "abc"],
    )
    assert text == f'{{"detail": "echoed {REDACTED}"}} and https://crm.test/x?q={REDACTED}&p={REDACTED}'
    assert redact_text("abc is too short to hide", secrets=["abc"]) == "abc is too short to hide"


def test_url_query_parameters_and_password_are_hidden() -> None:
    url = "https://user:pw@bc.test/api?access_token=at-1&$top=5&client%5Fsecret=s#id_token=x"
    assert (
        redact_url(url)
        == f"https://user:{REDACTED}@bc.test/api?access_token={REDACTED}&$top=5&client%5Fsecret={REDACTED}#id_token={REDACTED}"
    )
    assert redact_url(httpx.URL("https://bc.test/api", params={"page": 2})) == "https://bc.test/api?page=2"


def test_redact_data_copies_nested_values() -> None:
    data = {"grant": {"Client-Secret": "s", "refresh_token": None}, "items": [{"apiKey": "k", "id": 7}, JWT]}
    assert redact_data(data) == {
        "grant": {"Client-Secret": REDACTED, "refresh_token": None},
        "items": [{"apiKey": REDACTED, "id": 7}, REDACTED],
    }
    assert data["grant"] == {"Client-Secret": "s", "refresh_token": None}


def test_redactor_applies_the_secrets_it_was_given() -> None:
    redactor = Redactor(["tenant-secret-1"])
    redactor.add("at-issued-later")
    assert redactor.text("tenant-secret-1 / at-issued-later") == f"{REDACTED} / {REDACTED}"
    assert redactor.url("https://crm.test/hooks/at-issued-later") == f"https://crm.test/hooks/{REDACTED}"
    assert redactor.headers({"X-Echo": "tenant-secret-1"}) == {"X-Echo": REDACTED}
    assert redactor.data({"note": "tenant-secret-1"}) == {"note": REDACTED}
    assert "tenant-secret-1" not in repr(redactor)
