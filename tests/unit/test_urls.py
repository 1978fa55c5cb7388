from __future__ import annotations

import pytest
from websockets.exceptions import InvalidURI

from ipywebsockets import redact
from ipywebsockets._reasons import check_url, describe_close, describe_connect_error, redact_url
from ipywebsockets.client import Backoff
from ipywebsockets.exceptions import InvalidURL


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com", "did you mean ws://example.com"),
        ("https://example.com/x", "did you mean wss://example.com/x"),
        ("ftp://x", "not a ws:// or wss:// URL"),
        ("ws://", "has no host"),
        ("ws://host:99999", "invalid port"),
    ],
)
def test_bad_urls_are_refused_with_a_hint(url: str, message: str) -> None:
    with pytest.raises(InvalidURL, match=message):
        check_url(url)


def test_invalid_url_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_url("nope")


def test_redact_url_hides_passwords_and_tokens() -> None:
    assert redact_url("wss://u:pw@h/p?token=abc&x=1") == "wss://u:***@h/p?token=***&x=1"
    assert redact_url("ws://h/?api_key=k&Signature=s") == "ws://h/?api_key=***&Signature=***"
    assert redact_url("ws://h:1/p") == "ws://h:1/p"


HEX = "0123456789abcdef0123456789abcdef"
B64 = "ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJ"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # A username given alone is a token; a password goes, its username stays.
        ("ws://TOKEN123@h/x", "ws://***@h/x"),
        ("wss://alice:pw@h:8443/x", "wss://alice:***@h:8443/x"),
        (f"wss://{B64}:x-oauth-basic@h/", "wss://***:***@h/"),
        # Secret query names, any case, with or without a value separator.
        ("ws://h/?jwt=a&API_KEY=b&apikey=c&access_token=d&key=e", None),
        ("ws://h/?ticket=a&session=b&auth=c&signature=d&X-Amz-Signature=e&sig=f", None),
        ("ws://h/?tok%65n=a&x=1", "ws://h/?tok%65n=***&x=1"),  # a percent-encoded name
        ("ws://h/p#access_token=a&state=ok", "ws://h/p#access_token=***&state=ok"),
        # Key-like path segments, query values and bare query items; words stay.
        (f"wss://api.example/v3/{HEX}", "wss://api.example/v3/***"),
        (f"wss://h/hooks/{B64}/feed", "wss://h/hooks/***/feed"),
        (f"ws://h/?x={HEX}&depth=5", "ws://h/?x=***&depth=5"),
        (f"ws://h/?{B64}", "ws://h/?***"),
        ("ws://h:1/feed/btc-usd/2024-01-15?depth=5&levels=20", None),
        ("ws://h/stream/12345678901234567890/MarketDataSubscriptionFeed", None),
        ("ws://[::1]:8765/ws", None),
    ],
)
def test_redact_url_is_generous_and_keeps_the_rest_readable(url: str, shown: str | None) -> None:
    if shown is None and "?" in url and "=" in url and "depth" not in url:
        shown = (
            url.split("?")[0]
            + "?"
            + "&".join(p.split("=")[0] + "=***" for p in url.split("?")[1].split("&"))
        )
    assert redact_url(url) == (url if shown is None else shown)


def test_users_name_more_secrets() -> None:
    assert redact_url("ws://h/?tenant=acme") == "ws://h/?tenant=acme"
    assert redact.secret_header("X-Org") is False
    try:
        redact.add_secret_names("Tenant", "x-org")
        assert redact_url("ws://h/?tenant=acme&TENANT_ID=7") == "ws://h/?tenant=***&TENANT_ID=***"
        assert redact.secret_header("X-Org") is True
        assert redact.redact_text("X-Org: acme-corp") == "X-Org: ***"
    finally:
        redact._added = ()
    with pytest.raises(ValueError, match="must not be empty"):
        redact.add_secret_names(" ")
    with pytest.raises(TypeError, match="secret names are str"):
        redact.add_secret_names(b"x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        # websockets' InvalidURI, as describe_connect_error quoted it before.
        ("invalid URL: ws://SECRET1@h/x isn't a valid URI: username provided", "SECRET1"),
        # Chromium's `new WebSocket()` failure, as the page reports it.
        (
            "Failed to construct 'WebSocket': The URL 'wss://h/x?token=SECRET2' is invalid.",
            "SECRET2",
        ),
        ("Authorization: Bearer SECRET3abc", "SECRET3abc"),
        ('{"password": "SECRET 4", "user": "bob"}', "SECRET 4"),
        ("refused: api_key=SECRET5; retry", "SECRET5"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.SECRET6sig", "SECRET6sig"),
        (f"offered ['base64url.bearer.authorization.k8s.io.{B64}', 'chat']", B64),
    ],
)
def test_redact_text_finds_secrets_in_free_text(text: str, secret: str) -> None:
    shown = redact.redact_text(text)
    assert secret not in shown and "***" in shown


@pytest.mark.parametrize(
    "text",
    [
        "the server wants credentials: pass headers=",
        "cannot connect to 127.0.0.1:9: connection refused; check the URL",
        "basic authentication required",
        "cannot write '/tmp/pytest-of-root/experiment-2024-01-15/session.jsonl': disk full",
        "Sec-WebSocket-Version: 13",
        "{'code': 1000, 'reason': 'bye'}",
        "no message within 5.0 s (status: open)",
    ],
)
def test_redact_text_leaves_prose_alone(text: str) -> None:
    assert redact.redact_text(text) == text


def test_invalid_uri_errors_are_redacted() -> None:
    url = "ws://TOKEN9@127.0.0.1:9/x?session=S3SS"
    text, retriable = describe_connect_error(InvalidURI(url, "username provided"), url, {})
    assert "TOKEN9" not in text and "S3SS" not in text and not retriable
    assert "ws://***@127.0.0.1:9/x?session=***" in text


def test_describe_close() -> None:
    assert describe_close(1001, "bye") == "1001 (going away): bye"
    assert describe_close(4000, "") == "4000 (application code)"
    assert describe_close(None, "") == "no close frame (the connection dropped)"


def test_backoff_grows_and_caps() -> None:
    backoff = Backoff(initial=0.5, factor=2, max_delay=3, jitter=0)
    assert [backoff.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 3, 3]


def test_default_backoff_retries_within_about_a_second() -> None:
    backoff = Backoff()
    assert 0.4 <= backoff.delay(1) <= 0.6
    assert backoff.delay(30) <= 30 * 1.1


def test_url_errors_do_not_show_secrets() -> None:
    with pytest.raises(InvalidURL) as info:
        check_url("https://u:pw@h/feed?token=abc")
    assert "pw" not in str(info.value) and "abc" not in str(info.value)
    assert "did you mean wss://u:***@h/feed?token=***" in str(info.value)
