"""The real window under a real X server (Xvfb), not only offscreen: open it, run textbook, close it,
and check the program ends with its compute process (issue 16). CI installs xvfb (.ci/run); a machine
without xvfb-run skips, unless METATTN_REQUIRE_XVFB=1 (set by CI) makes that a failure."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.app.test_quit import check_quit, driver, gui_env, run_and_quit

XVFB_RUN = shutil.which("xvfb-run")


def test_window_under_xvfb_runs_textbook_and_closes():
    if XVFB_RUN is None:
        if os.environ.get("METATTN_REQUIRE_XVFB") == "1":
            pytest.fail("xvfb-run is not installed (apt-get install xvfb)")
        pytest.skip("xvfb-run is not installed (apt-get install xvfb); the offscreen quit tests still run")
    env = gui_env(platform="xcb")
    command = [XVFB_RUN, "-a", "-s", "-screen 0 1600x1000x24",
               *driver("--when", "results", "--how", "close", gui=("--model", "textbook", "--run"))]
    outcome = run_and_quit(command, env)
    assert any(line.startswith("RESULTS ") and int(line.split()[1]) > 100 for line in outcome["lines"]), \
        "\n".join(outcome["lines"][-30:])
    check_quit(outcome)
