from __future__ import annotations

import pytest

from ipywebsockets._reasons import check_url, describe_close, redact_url
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
