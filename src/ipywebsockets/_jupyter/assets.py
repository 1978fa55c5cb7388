"""The front-end bundles built from js/ (``static/``), found in one place.

A source checkout without a JS build still imports: the view then says how
to build the front end instead of failing.
"""

from __future__ import annotations

import pathlib

__all__ = ["css", "esm"]

_STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"


def esm(name: str) -> str | pathlib.Path:
    """The ES module ``static/<name>.js``, or a stand-in that says it is not built."""
    path = _STATIC / f"{name}.js"
    if path.exists():
        return path
    return (
        "export default { render({ el }) { el.textContent = "
        f'"ipywebsockets: the front end ({name}.js) is not built; run `make` or '
        '`pip install .` (needs node and npm)"; } };'
    )


def css(name: str) -> str | pathlib.Path:
    """The stylesheet ``static/<name>.css``, or none."""
    path = _STATIC / f"{name}.css"
    return path if path.exists() else ""
