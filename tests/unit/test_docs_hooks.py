"""The docs site's hooks (docs/_hooks/): Sphinx roles as plain code, the notebooks as pages."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def hook(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"docs_hook_{name}", ROOT / "docs/_hooks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("html", "shown"),
    [
        ("a :class:<code>Backoff</code> b", "a <code>Backoff</code> b"),
        (":meth:<code>connect</code>", "<code>connect</code>"),
        (":class:<code>~ipywebsockets.WebSocket</code>", "<code>WebSocket</code>"),
        (":class:<code>ssl.SSLContext</code>", "<code>ssl.SSLContext</code>"),
        (
            "see <code>:class:</code> and x:y:<code>z</code>",
            "see <code>:class:</code> and x:y:<code>z</code>",
        ),
    ],
)
def test_roles_render_as_plain_code(html: str, shown: str) -> None:
    assert hook("roles").on_page_content(html) == shown


def test_every_notebook_becomes_a_page() -> None:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files

    config = MkDocsConfig(config_file_path=str(ROOT / "mkdocs.yml"))
    config.load_dict({"site_dir": str(ROOT / "site"), "docs_dir": str(ROOT / "docs")})
    files = hook("notebooks").on_files(Files([]), config)
    found = {f.src_uri: Path(f.abs_src_path) for f in files}
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    assert found == {f"notebooks/{p.name}": p for p in notebooks}
