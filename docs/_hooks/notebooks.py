"""MkDocs hook: the notebooks in notebooks/ become pages of the site.

mkdocs-jupyter renders only files inside docs/; the notebooks stay where the
suite executes them, and are added here as if they were in docs/notebooks/.
They are rendered as saved, never executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files: Files, config: Any) -> Files:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        # src_dir is the repository, so the page's source path is notebooks/NAME.ipynb:
        # mkdocs-jupyter reads the file through abs_src_path, which needs a src_dir.
        files.append(
            File(
                f"notebooks/{path.name}",
                src_dir=str(ROOT),
                dest_dir=config["site_dir"],
                use_directory_urls=config["use_directory_urls"],
            )
        )
    return files
