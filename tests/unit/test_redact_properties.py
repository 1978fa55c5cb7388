"""Redaction, property-based: no generated secret survives a text that leaves the kernel.

Secrets are generated with an upper-case letter and a digit, so that no
readable part of a text (lower-case hosts, words, numbers) can contain one by
chance; what surrounds them is generated too. Every way out is tried: URLs,
free text around them, handshake heads, log records and the stream's
``error`` (the synced, saved trait).
"""

from __future__ import annotations

import logging
import re
import string

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ipywebsockets import redact
from ipywebsockets._jupyter.stream import Stream
from ipywebsockets.teaching._base import redact_head

SAFE = string.ascii_letters + string.digits + "-._~"


def _mixed(text: str) -> bool:
    return any(c.isupper() for c in text) and any(c.isdigit() for c in text)


# A secret as it may appear in a query, a userinfo or a header: any URL-safe text.
secrets = st.text(SAFE, min_size=8, max_size=40).filter(_mixed)
# A secret in a path has no name to give it away: it is key-like (docs/secrets.md).
hex_keys = st.text("0123456789abcdef", min_size=16, max_size=64).filter(
    lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t)
)
b64_keys = st.text(string.ascii_letters + string.digits + "-_", min_size=24, max_size=64).filter(
    # The documented rule: a run of 8 or more between separators mixing letters and digits
    # ("0000000000000000000000-A" is no key: its runs are digits alone and one letter).
    lambda t: (
        _mixed(t)
        and any(
            len(run) >= 8 and any(c.isalpha() for c in run) and any(c.isdigit() for c in run)
            for run in re.split(r"[-_]", t)
        )
    )
)
path_keys = st.one_of(hex_keys.map(str.upper).filter(_mixed), b64_keys)
# Query/fragment names: a secret word, in any case, maybe inside a longer name.
secret_names = st.tuples(
    st.sampled_from(["", "x_", "X-Amz-", "my"]),
    st.sampled_from(redact.SECRET_WORDS),
    st.sampled_from(["", "_id", "Value", "2"]),
    st.booleans(),
).map(lambda p: (p[0] + p[1] + p[2]).upper() if p[3] else p[0] + p[1] + p[2])

hosts = st.lists(st.text(string.ascii_lowercase, min_size=1, max_size=10), min_size=1, max_size=3)
words = st.one_of(
    st.text(string.ascii_lowercase, min_size=1, max_size=30),
    st.integers(0, 10**20).map(str),
)
segments = st.lists(words, min_size=1, max_size=4).map("-".join)
paths = st.lists(segments, max_size=4).map(lambda s: "/" + "/".join(s))
plain_queries = st.lists(
    st.tuples(st.sampled_from(["depth", "symbol", "levels", "limit", "channel"]), words),
    max_size=3,
).map(lambda items: "&".join(f"{k}={v}" for k, v in items))


@st.composite
def base_urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["ws", "wss", "http", "https"]))
    host = ".".join(draw(hosts))
    port = draw(st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}")))
    return f"{scheme}://{host}{port}"


@st.composite
def urls_with_secret(draw: st.DrawFn) -> tuple[str, str]:
    """A URL that carries one generated secret somewhere, and the secret."""
    base, path, query = draw(base_urls()), draw(paths), draw(plain_queries)
    scheme, rest = base.split("://")
    where = draw(st.sampled_from(["user", "password", "query", "fragment", "path"]))
    if where == "path":
        secret = draw(path_keys)
        cut = draw(st.integers(0, path.count("/")))
        parts = path.split("/")
        path = "/".join([*parts[: cut + 1], secret, *parts[cut + 1 :]])
        return f"{base}{path}" + (f"?{query}" if query else ""), secret
    secret = draw(secrets)
    if where == "user":
        return f"{scheme}://{secret}@{rest}{path}", secret
    if where == "password":
        return f"{scheme}://{draw(st.sampled_from(['bob', 'u']))}:{secret}@{rest}{path}", secret
    pair = f"{draw(secret_names)}={secret}"
    items = [p for p in query.split("&") if p]
    items.insert(draw(st.integers(0, len(items))), pair)
    if where == "query":
        return f"{base}{path}?{'&'.join(items)}", secret
    return f"{base}{path}?{query}#{'&'.join(items)}", secret


prose = st.sampled_from(
    [
        "invalid URL: {} isn't a valid URI: username provided without password",
        "Failed to construct 'WebSocket': The URL '{}' is invalid.",
        "cannot connect to {}; check the URL",
        "see <{}>, then retry",
        "({}).",
        "{}",
    ]
)


@settings(max_examples=300, deadline=None)
@given(urls_with_secret(), prose)
@example(("ws://TOKEN123@h/x", "TOKEN123"), "{}")
def test_no_secret_survives_a_url_or_the_text_around_it(
    found: tuple[str, str], sentence: str
) -> None:
    url, secret = found
    assert secret not in redact.redact_url(url)
    assert secret not in redact.redact_text(sentence.format(url))


@settings(max_examples=200, deadline=None)
@given(secrets, secret_names, st.sampled_from(["{}={}", '"{}": "{}"', "'{}': '{}'", "{}= {}"]))
def test_no_secret_survives_a_named_value_in_free_text(secret: str, name: str, form: str) -> None:
    text = "the server said " + form.format(name, secret) + ", retry later"
    shown = redact.redact_text(text)
    assert secret not in shown
    assert shown.startswith("the server said ") and shown.endswith(", retry later")


@settings(max_examples=200, deadline=None)
@given(
    secrets,
    urls_with_secret(),
    st.sampled_from(
        [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "X-Api-Key",
            "X-Auth-Token",
            "Sec-WebSocket-Protocol",
            "X-Session-Id",
        ]
    ),
    st.sampled_from(["{}", "Bearer {}", "Basic {}", "chat, {}", "a={}; b=1"]),
)
def test_no_secret_survives_a_handshake_head(
    secret: str, found: tuple[str, str], header: str, form: str
) -> None:
    url, in_url = found
    target = url.split("://", 1)[1]
    target = target[target.index("/") :] if "/" in target else "/"
    head = (
        f"GET {target} HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
        f"{header}: {form.format(secret)}\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    ).encode("latin-1")
    first, headers, body, names = redact_head(head)
    shown = repr((first, headers, body))
    assert secret not in shown and header in names
    if in_url in target and "@" not in url.split("/")[2]:  # userinfo is not in a request line
        assert in_url not in shown
    # The nonce the Accept check explains is public by design, and stays.
    assert ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="] in headers


@settings(max_examples=100, deadline=None)
@given(secrets, urls_with_secret())
def test_no_secret_survives_a_log_record(secret: str, found: tuple[str, str]) -> None:
    url, in_url = found
    records = [
        logging.LogRecord("ipywebsockets.wire", 10, __file__, 1, "> %s: %s", args, None)
        for args in (("Authorization", f"Bearer {secret}"), ("Sec-WebSocket-Protocol", secret))
    ]
    records.append(logging.LogRecord("w", 10, __file__, 1, "connect to %s", (url,), None))
    for record in records:
        assert redact.RedactingFilter().filter(record)
    shown = " ".join(r.getMessage() for r in records)
    assert secret not in shown and in_url not in shown


@settings(max_examples=100, deadline=None)
@given(urls_with_secret(), prose)
def test_no_secret_reaches_the_error_trait(found: tuple[str, str], sentence: str) -> None:
    url, secret = found
    stream = Stream("ws://h", history=10, view_rows=10, callback_queue=10)
    stream.on_status("reconnecting", sentence.format(url))
    assert secret not in stream.state["error"]
    stream.on_lost(1, sentence.format(url))
    assert secret not in stream.state["error"]
    stream.on_close(1006, f"bye {url}", sentence.format(url))
    assert secret not in stream.state["error"] and secret not in stream.state["close_reason"]


@settings(max_examples=300, deadline=None)
@given(base_urls(), paths, plain_queries)
def test_normal_urls_stay_readable(base: str, path: str, query: str) -> None:
    url = base + path + (f"?{query}" if query else "")
    assert redact.redact_url(url) == url
    assert redact.redact_text(f"cannot connect to {url}: refused") == (
        f"cannot connect to {url}: refused"
    )
