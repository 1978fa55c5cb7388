"""The one redaction every text leaving the kernel goes through.

Pure: no I/O, no threads. What leaves the kernel: synced traits (saved with
the notebook), exception messages, log records of the kit's connections and
the teaching views. Each of them passes a URL through :func:`redact_url`,
free text (an exception's message, an error the browser reports) through
:func:`redact_text` and handshake headers through :func:`secret_header`.

Redacted, as ``***`` (docs/secrets.md):

- a URL's password, and a username given alone (``ws://TOKEN@host``) or that
  looks like a key;
- the value of every query or fragment parameter whose name contains a
  secret word (:data:`SECRET_WORDS`, any case, or one added with
  :func:`add_secret_names`), and any key-like value;
- key-like path segments: 16 or more hex digits mixing digits and letters
  (``/v3/0f3a...``), or 24 or more characters of base64/base64url mixing
  letters and digits, or upper and lower case (words, slugs and numbers stay
  readable);
- in free text, besides the URLs in it: ``Bearer``/``Basic`` credentials,
  JSON Web Tokens and ``name=value`` or ``name: value`` where the name
  contains a secret word;
- the value of secret headers (:func:`secret_header`).

>>> redact_url("wss://feed.example/v3/0123456789abcdef0123456789abcdef?jwt=e30&depth=5")
'wss://feed.example/v3/***?jwt=***&depth=5'
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

__all__ = [
    "MASK",
    "PUBLIC_HEADERS",
    "SECRET_HEADERS",
    "SECRET_WORDS",
    "RedactingFilter",
    "add_secret_names",
    "looks_like_key",
    "redact_text",
    "redact_url",
    "secret_header",
    "secret_name",
    "secret_names",
    "wire_logger",
]

MASK = "***"

# A parameter or header whose name contains one of these (any case) carries a secret.
SECRET_WORDS: tuple[str, ...] = (
    "token",
    "password",
    "passwd",
    "secret",
    "jwt",
    "api_key",
    "apikey",
    "api-key",
    "access_token",
    "key",
    "ticket",
    "session",
    "auth",
    "signature",
    "sig",
    "credential",
    "cookie",
)
# Headers whose values are secrets however they are named: the subprotocol
# list carries tokens for some APIs (e.g. Kubernetes' bearer subprotocol).
SECRET_HEADERS: frozenset[str] = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "sec-websocket-protocol"}
)
# The protocol's own nonces: public by design, and the Handshake view explains them.
PUBLIC_HEADERS = frozenset({"sec-websocket-key", "sec-websocket-accept"})

_added: tuple[str, ...] = ()  # names added by add_secret_names(), lowercase


def add_secret_names(*names: str) -> tuple[str, ...]:
    """Name more secrets: query/fragment parameters and headers whose name contains one.

    Case-insensitive, for the whole process (every socket and view), from the
    next text redacted on. ``iws.add_secret_names("tenant", "X-Org")`` redacts
    ``?tenant=acme`` and an ``X-Org`` header. Returns every name added so far.

    Raises:
        TypeError, ValueError: a name that is not a non-empty str.
    """
    global _added
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"secret names are str, got {type(name).__name__}: {name!r}")
        if not name.strip():
            raise ValueError("a secret name must not be empty: it would match every name")
    _added = tuple(dict.fromkeys((*_added, *(n.strip().lower() for n in names))))
    return _added


def secret_names() -> tuple[str, ...]:
    """Every word a secret name contains: :data:`SECRET_WORDS` and the names added."""
    return SECRET_WORDS + _added


def secret_name(name: str) -> bool:
    """Whether a query/fragment parameter or ``name=value`` pair named ``name`` is a secret."""
    low = unquote(name).strip().lower()
    return bool(low) and any(word in low for word in secret_names())


def secret_header(name: str) -> bool:
    """Whether header ``name``'s value is a secret (``Sec-WebSocket-Key``/``-Accept`` are not)."""
    low = name.strip().lower()
    if low in PUBLIC_HEADERS:
        return False
    return low in SECRET_HEADERS or secret_name(low)


_HEX = re.compile(r"[0-9a-fA-F]{16,}")
_B64 = re.compile(r"[A-Za-z0-9_\-+/.~=%]{24,}")
_PIECES = re.compile(r"[-_.~+/=%]+")


def looks_like_key(text: str) -> bool:
    """Whether ``text`` (a path segment, a value, a word) looks like a random key, not a word.

    Keys: 16 or more hex digits mixing digits and letters, or 24 or more
    base64/base64url characters with a random-looking run of 8 or more
    between separators (letters mixed with digits, or 30-70 % capitals). Words,
    slugs (``results-2024-01-15``), CamelCase names and numbers are not keys.
    """
    if _HEX.fullmatch(text):
        return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)
    if not _B64.fullmatch(text):
        return False
    return any(_random_piece(piece) for piece in _PIECES.split(text))


def _random_piece(piece: str) -> bool:
    if len(piece) < 8:
        return False
    letters = sum(c.isalpha() for c in piece)
    if letters and letters < len(piece):
        return True  # letters mixed with digits
    # Random letters are about half upper case; CamelCase words have one capital a word.
    upper = sum(c.isupper() for c in piece) / len(piece)
    return 0.3 <= upper <= 0.7


def _redact_pairs(text: str) -> str:
    """A query string or fragment with secret and key-like values masked."""
    items = []
    for item in re.split(r"([&;])", text):
        if item in ("&", ";"):
            items.append(item)
            continue
        name, sep, value = item.partition("=")
        if sep and value and (secret_name(name) or _key_value(value)):
            value = MASK
        elif not sep and _key_value(name):
            name = MASK
        items.append(f"{name}{sep}{value}")
    return "".join(items)


def _key_value(value: str) -> bool:
    return looks_like_key(value) or looks_like_key(unquote(value))


def _redact_path(path: str) -> str:
    return "/".join(MASK if _key_value(seg) else seg for seg in path.split("/"))


def redact_url(url: str) -> str:
    """``url`` with its secrets replaced by ``***`` (see the module docs); never raises.

    Host and port stay as they are, and so does everything that does not look
    like a secret: ``ws://h:1/feed?depth=5`` comes back unchanged.
    """
    if not isinstance(url, str):  # not a URL at all: check_url says what is wrong with it
        return f"<{type(url).__name__}>"
    scheme, sep, rest = url.partition("://")
    if not sep:
        return _redact_path(url)
    cut = len(rest)
    for mark in "/?#":
        at = rest.find(mark)
        if at != -1:
            cut = min(cut, at)
    netloc, rest = rest[:cut], rest[cut:]
    rest, hash_, fragment = rest.partition("#")
    path, question, query = rest.partition("?")
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user, colon, _password = userinfo.partition(":")
        if not colon or looks_like_key(user) or secret_name(user):
            user = MASK  # a username given alone is a token (ws://TOKEN@host)
        netloc = f"{user}:{MASK}@{host}" if colon else f"{user}@{host}"
    out = f"{scheme}://{netloc}{_redact_path(path)}"
    if question:
        out += "?" + _redact_pairs(query)
    if hash_:
        out += "#" + _redact_pairs(fragment)
    return out


_URL = re.compile(r"(?i)\b(?:wss?|https?)://[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}"
_BEARER = re.compile(r"(?i)\b(bearer|basic|digest)(\s+)([A-Za-z0-9_\-+/.~=%]{8,})")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*")
# name=value, Header-Name: value, "name": "value" (a JSON text, a dict's repr).
_PAIR = re.compile(
    r"(?P<q>[\"']?)(?P<name>[A-Za-z0-9_.\-]+)(?P=q)(?P<sep>[ \t]*[=:][ \t]*)"
    r"(?:(?P<open>[\"'])(?P<quoted>[^\"'\r\n]*)|(?P<value>[^\s&;,\"'<>)\]}]+))"
)
_WORD = re.compile(r"[A-Za-z0-9_\-+~=%]{16,}")


def redact_text(text: str) -> str:
    """Free text (an exception's message, a browser's error) with every secret in it masked.

    URLs in it go through :func:`redact_url`. Elsewhere, ``Bearer``/``Basic``
    credentials, JSON Web Tokens, key-like words (as in :func:`looks_like_key`)
    and the values of secret names (``token=...``, ``"password": "..."``,
    ``Authorization: ...``) become ``***``. The rest reads as it was.
    """
    if not text:
        return text
    out = []
    last = 0
    for match in _URL.finditer(text):
        out.append(_redact_prose(text[last : match.start()]))
        url, tail = match.group(0), ""
        while url and url[-1] in _TRAILING:
            url, tail = url[:-1], url[-1] + tail
        out.append(redact_url(url))
        last = match.end() - len(tail)
    out.append(_redact_prose(text[last:]))
    return "".join(out)


def _redact_prose(text: str) -> str:
    if not text:
        return text
    text = _BEARER.sub(_bearer_match, text)
    text = _JWT.sub(MASK, text)
    text = _PAIR.sub(_pair_match, text)
    return _WORD.sub(lambda m: MASK if looks_like_key(m.group(0)) else m.group(0), text)


def _bearer_match(match: re.Match[str]) -> str:
    scheme, value = match.group(1), match.group(3)
    if scheme.lower() != "bearer" and value.isalpha() and value.islower():
        return match.group(0)  # "basic authentication": prose, not a credential
    return f"{scheme}{match.group(2)}{MASK}"


def _pair_match(match: re.Match[str]) -> str:
    name, quote, sep = match.group("name"), match.group("q"), match.group("sep")
    value = match.group("quoted") if match.group("open") else match.group("value")
    head = f"{quote}{name}{quote}{sep}{match.group('open') or ''}"
    if value and value != MASK and _secret_pair(name, quote, sep):
        return head + MASK
    # Not a secret: the value may hold one ("refused: api_key=...").
    return head + _PAIR.sub(_pair_match, value or "")


def _secret_pair(name: str, quote: str, sep: str) -> bool:
    if "=" in sep or quote:
        return secret_name(name)  # token=..., "password": ...
    # Name: value in prose ("credentials: pass headers=") is a sentence unless the name
    # is a header's: a known secret header, one added, or a dashed name (X-Api-Key).
    low = name.lower()
    if low in PUBLIC_HEADERS:
        return False
    return low in SECRET_HEADERS or low in _added or ("-" in low and secret_name(low))


class RedactingFilter(logging.Filter):
    """A logging filter that redacts each record's message (:func:`redact_text`).

    Attached to :func:`wire_logger`; attach it to any logger or handler of
    your own the same way (``handler.addFilter(RedactingFilter())``).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and str(record.msg).endswith("%s: %s"):
            # websockets logs each handshake header as ("> %s: %s", name, value).
            name = str(args[0])
            if secret_header(name):
                message = str(record.msg) % (name, MASK)
        record.msg, record.args = redact_text(message), None
        return True


_WIRE = "ipywebsockets.wire"


def wire_logger() -> logging.Logger:
    """The logger the kit's connections and demo servers log to (websockets' records).

    Its records are redacted before any handler sees them. Enable them with
    ``logging.getLogger("ipywebsockets.wire").setLevel(logging.DEBUG)`` (and a handler).
    """
    logger = logging.getLogger(_WIRE)
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger
