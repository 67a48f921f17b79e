"""Shared fixtures: the real bundled cobra models, loaded once per session."""

from __future__ import annotations

import os
import tempfile

# Keep tests off the user's real cache and settings; set before any project import.
os.environ.setdefault("METATTN_CACHE_DIR", tempfile.mkdtemp(prefix="metattn-test-cache-"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("METATTN_DATA_DIR", tempfile.mkdtemp(prefix="metattn-test-data-"))  # autosave, unpacked models

import gc  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    """The window turns Python's automatic cycle collection off (app.worker.collect_garbage_on_gui_thread)
    and collects from a Qt timer, which only fires while a test runs an event loop; collect after
    every test, on this (the main) thread, by the same generation thresholds as the automatic
    collector (a full collection after every test would add minutes to the run)."""
    yield
    if not gc.isenabled():
        from app.worker import run_garbage_collector

        run_garbage_collector()


@pytest.fixture(scope="session")
def textbook():
    from core.models import load_model

    return load_model("textbook").model


@pytest.fixture(scope="session")
def ijo1366():
    from core.models import load_model

    return load_model("iJO1366").model


@pytest.fixture(scope="session")
def textbook_graph(textbook):
    from core.graph import build_graph

    return build_graph(textbook)
