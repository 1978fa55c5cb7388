"""MkDocs hook: Sphinx roles in docstrings (``:class:`Backoff```) shown as plain code.

The docstrings are Google style with Sphinx cross-reference roles, which
mkdocstrings renders as text (":class:" before the name); the name alone
reads better. ``~`` (show the last part) is honoured.
"""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|data|obj):<code>~?([^<]*)</code>")


def _name(match: re.Match[str]) -> str:
    text = match.group(1)
    if match.group(0).split("<code>", 1)[1].startswith("~"):
        text = text.rsplit(".", 1)[-1]
    return f"<code>{text}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return _ROLE.sub(_name, html)
