"""The shipped front end loads nothing from the network.

anywidget hands our bundle (``_esm``) to the page as text and imports it from a
``blob:`` URL; VS Code and Colab fetch anywidget's own front end from a CDN,
but ours must not need one (offline machines, locked-down hubs, strict CSPs).
A ``blob:`` module cannot resolve relative or bare specifiers either, so the
bundle must be self-contained: no ``import``/``export ... from`` of any module,
no ``import()``, and no CDN host anywhere in the JS or CSS.

The checker is tested on minified snippets first, so that a clean result on
the real bundle means something.
"""

from __future__ import annotations

import re

import pytest

from conftest import Dists

pytestmark = pytest.mark.packaging

_SPEC = r"""(?P<q>["'`])(?P<spec>[^"'`]*)(?P=q)"""
# import x from"s"; import{a as b}from"s"; import*as m from"s"; import"s"; export*from"s"
_STATIC = re.compile(
    r"(?<![\w$.])(?:import|export)\s*(?:[\w$*{][^;\"'`]*?(?<![\w$])from\s*)?" + _SPEC
)
_DYNAMIC = re.compile(r"(?<![\w$.])import\s*\(")
_CDN_HOSTS = (
    "esm.sh",
    "esm.run",
    "cdn.jsdelivr.net",
    "unpkg.com",
    "cdn.skypack.dev",
    "jspm.io",
    "cdnjs.cloudflare.com",
)
_CSS_REMOTE = re.compile(r"@import|url\(\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)


def js_problems(source: str) -> list[str]:
    """What in ``source`` (an ES module, minified or not) would load code from elsewhere."""
    problems = []
    for m in _STATIC.finditer(source):
        spec = m.group("spec")
        kind = "a URL" if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", spec, re.I) else "a module"
        problems.append(f"static import of {kind}: {source[m.start() : m.end()][:120]!r}")
    for m in _DYNAMIC.finditer(source):
        problems.append(f"dynamic import(): {source[m.start() : m.start() + 120]!r}")
    problems += [f"names the CDN host {host}" for host in _CDN_HOSTS if host in source]
    return problems


def css_problems(source: str) -> list[str]:
    """What in a stylesheet would fetch from elsewhere (``@import``, remote ``url()``)."""
    problems = [f"{source[m.start() : m.start() + 120]!r}" for m in _CSS_REMOTE.finditer(source)]
    return problems + [f"names the CDN host {host}" for host in _CDN_HOSTS if host in source]


@pytest.mark.parametrize(
    "snippet",
    [
        'import{a as b}from"https://esm.sh/uplot@1.6.32";b();',
        "import uPlot from 'https://cdn.jsdelivr.net/npm/uplot/+esm'",
        'import*as m from"https://unpkg.com/x?module"',
        'import"https://example.org/side-effect.js";',
        'export*from"https://esm.sh/x";',
        'export{a}from"//cdn.example.org/x.js";',
        'let m=await import("https://esm.sh/x");',
        "const load=u=>import(u);",
        'import{x}from"./chunk-ABC.js";',
        'import React from "react";',
    ],
)
def test_the_checker_finds_code_loaded_from_elsewhere(snippet: str) -> None:
    assert js_problems(snippet), f"the checker missed {snippet!r}"


@pytest.mark.parametrize(
    "snippet",
    [
        'el.textContent="Open JupyterLab from a local address (http://127.0.0.1)";',
        'var ie="http://www.w3.org/2000/svg";function R(e){return document.createElementNS(ie,e)}',
        "export default{initialize:a,render:b};",
        "export{c as default};",
        "const u=import.meta.url;x.important=1;y.import_rows(2);",
        'throw new Error("cannot import this file from the page")',
    ],
)
def test_the_checker_lets_plain_code_and_text_through(snippet: str) -> None:
    assert js_problems(snippet) == []


def test_the_css_checker() -> None:
    assert css_problems('@import url("https://fonts.googleapis.com/css2?family=X");')
    assert css_problems(".a{background:url(//cdn.example.org/a.png)}")
    assert (
        css_problems(
            ".a{color:var(--jp-ui-font-color1)}.b{background:url(data:image/png;base64,AA)}"
        )
        == []
    )


def test_shipped_front_end_loads_nothing_from_elsewhere(dists: Dists) -> None:
    names = [n for n in dists.wheel_names() if n.startswith("ipywebsockets/static/")]
    scripts = [n for n in names if n.endswith(".js")]
    sheets = [n for n in names if n.endswith(".css")]
    assert scripts and sheets, f"no built front end in the wheel: {names}"
    problems = {n: js_problems(dists.wheel_text(n)) for n in scripts}
    problems |= {n: css_problems(dists.wheel_text(n)) for n in sheets}
    found = {n: p for n, p in problems.items() if p}
    assert not found, f"the shipped front end would load code or styles from elsewhere: {found}"
