"""pytest fixtures of the soak/fault/security tests (see harness.py)."""
import os

import pytest

import harness


@pytest.fixture
def ws():
    if not harness.KTAGD or not os.access(harness.KTAGD, os.X_OK):
        pytest.skip("$KTAGD does not name the ktagd binary")
    w = harness.Workspace()
    try:
        yield w
    finally:
        w.close()
