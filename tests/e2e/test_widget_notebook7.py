"""Smoke test: the ticker notebook in Notebook 7."""

from __future__ import annotations

import pytest
from iws_e2e_harness import TICKER_CELLS, assert_ticker_live, wait_open

pytestmark = pytest.mark.e2e


def test_ticker_in_notebook7(page, notebook_runner):
    name = notebook_runner(TICKER_CELLS, ui="notebook")
    wait_open(page, name)
    assert_ticker_live(page)
