"""The front-end bundles built from js/ (``static/``), found in one place.

A source checkout without a JS build still imports: the view then says how
to build the front end instead of failing.

They are handed to anywidget as text, not as paths: for a path, anywidget
watches the file and connects every new widget to its change signal with a
strong reference, so no widget would ever be freed (1,000 sockets opened and
closed kept 1,000 widgets alive). Rebuild the JS, then restart the kernel.
"""

from __future__ import annotations

import pathlib

__all__ = ["css", "esm"]

_STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"


def _text(path: pathlib.Path) -> str:
    # Multi-line, so that anywidget never takes it for a file name.
    text = path.read_text(encoding="utf-8")
    return text if "\n" in text else text + "\n"


def esm(name: str) -> str:
    """The ES module ``static/<name>.js``, or a stand-in that says it is not built."""
    path = _STATIC / f"{name}.js"
    if path.exists():
        return _text(path)
    return (
        "export default { render({ el }) { el.textContent = "
        f'"ipywebsockets: the front end ({name}.js) is not built; run `make js` or '
        '`pip install .` (needs node and npm)"; } };'
    )


def css(name: str) -> str:
    """The stylesheet ``static/<name>.css``, or none."""
    path = _STATIC / f"{name}.css"
    return _text(path) if path.exists() else ""
