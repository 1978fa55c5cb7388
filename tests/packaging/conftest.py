"""The distributions, built once per session the way a release builds them.

``python -m build`` makes the sdist from the checkout, then the wheel *from
that sdist* (in a temporary copy): the wheel's front end is therefore built by
npm from the sdist's own ``js/`` sources and lock file, which shows that the
sdist builds. Nothing is written into the checkout (``src/ipywebsockets/static``
stays as it was).

Needs node and npm (for the build, not for installing the wheel) and access to
PyPI and npm's registry (or their caches).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from timing import timeout_s

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Dists:
    """The built sdist and wheel, and how long building them took."""

    sdist: Path
    wheel: Path
    seconds: float

    def wheel_names(self) -> list[str]:
        with zipfile.ZipFile(self.wheel) as zf:
            return zf.namelist()

    def wheel_text(self, name: str) -> str:
        with zipfile.ZipFile(self.wheel) as zf:
            return zf.read(name).decode("utf-8")

    def sdist_names(self) -> list[str]:
        """Member paths relative to the sdist's top folder (``ipywebsockets-X.Y.Z/``)."""
        with tarfile.open(self.sdist) as tf:
            return [m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name]


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    out = tmp_path_factory.mktemp("dist")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=timeout_s(300),
    )
    seconds = time.monotonic() - started
    assert proc.returncode == 0, (
        f"python -m build failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    )
    sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, f"expected one sdist and one wheel in {out}"
    return Dists(sdist=sdists[0], wheel=wheels[0], seconds=seconds)
