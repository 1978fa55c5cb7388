"""Sanity check of the harness itself, independent of ipywebsockets.

Proves that a notebook opens, that Run All executes every cell, that widget
labextensions load (an ``ipywidgets.IntSlider`` renders) and that kernel-side
values can be read back from a later cell, in both JupyterLab and Notebook 7.
If this fails, the problem is in the environment/harness, not in the widget.
"""

from __future__ import annotations

import pytest
from iws_e2e_harness import wait_for_cell_output

from timing import timeout_ms

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_ipywidgets_slider_renders(ui, page, notebook_runner):
    name = notebook_runner(
        [
            "import ipywidgets as w, sys\ns = w.IntSlider(value=7, min=0, max=10)\ns",
            "s.value = 9\nprint('VALUE', s.value, 'EXE', sys.executable)",
        ],
        ui=ui,
    )
    slider = page.locator(".jupyter-widgets.widget-slider").first
    slider.wait_for(state="visible", timeout=timeout_ms(20))
    m = wait_for_cell_output(page, name, 1, r"VALUE (\d+) EXE (\S+)")
    assert m.group(1) == "9"
    import sys

    assert m.group(2) == sys.executable
    # The browser view follows the kernel-side change.
    page.locator(".widget-readout", has_text="9").first.wait_for(timeout=timeout_ms(10))
