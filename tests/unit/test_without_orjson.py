"""The JSON paths run with orjson (a test extra) and, here, without it: both must agree."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ipywebsockets.message as message

HERE = Path(__file__).parent
JSON_TESTS = [
    "test_message.py",
    "test_properties.py",
    "test_rows.py",
    "test_values_latest.py",
    "test_tables.py",
    "test_graphql_codec.py",
    "test_socketio_codec.py",
    "test_mqtt_codec.py",
    "test_stomp_codec.py",
    "test_stomp_properties.py",
]


def test_orjson_is_in_use_here() -> None:
    assert message._orjson is not None, "install the test extras: orjson is one of them"


def test_the_json_paths_pass_without_orjson() -> None:
    env = {**os.environ, "IPYWEBSOCKETS_NO_ORJSON": "1"}
    check = (
        "import ipywebsockets.message as m, ipywebsockets.protocols.base as b; "
        "assert m._orjson is None and b._orjson is None"
    )
    subprocess.run([sys.executable, "-c", check], env=env, check=True)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *JSON_TESTS],
        cwd=HERE,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
