"""Keep the developer's pydcmkit settings out of tool runs (shared by the CLI and interop suites)."""

import os

import pytest


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch, tmp_path_factory):
    """No PYDCMKIT_* variables or ~/.config/pydcmkit; DCMTK peers with TCP_NODELAY.

    DCMTK 3.6.7 sets TCP_NODELAY only when asked to; without it every message of its tools waits
    for a delayed ACK (40 ms), which makes the suite slow but tests nothing.
    """
    for name in list(os.environ):
        if name.startswith("PYDCMKIT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PYDCMKIT_CONFIG_DIR", str(tmp_path_factory.mktemp("no-config")))
    monkeypatch.setenv("TCP_NODELAY", "1")
