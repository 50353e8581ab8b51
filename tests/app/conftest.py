"""Helpers for the AppTest tests: small recipes, so each run measures in a fraction of a second."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from model import DecoderConfig

APP = str(Path(__file__).resolve().parents[2] / "app.py")
TIMEOUT = 180  # seconds per run; the first run of a process also imports torch and fvcore


def small(preset: str, **changes) -> dict:
    """A preset shrunk to two narrow layers, keeping every component choice."""
    size = {"n_layer": 2, "d_model": 64, "n_head": 4, "vocab_size": 512, "max_seq_len": 256}
    config = DecoderConfig.from_preset(preset).replace(**size, **changes)
    if config.d_ff is not None:
        config = config.replace(d_ff=128)
    return config.to_dict()


def small_app(count: int = 2) -> AppTest:
    """An AppTest whose slots start from shrunk gpt2-small and llama-style-124m recipes."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["recipes"] = [small("gpt2-small", n_kv_head=4), small("llama-style-124m", n_kv_head=2),
                                   small("gpt2-small", n_kv_head=4), small("llama-style-124m", n_kv_head=2)]
    for slot, preset in enumerate(["gpt2-small", "llama-style-124m", "gpt2-small", "llama-style-124m"]):
        at.session_state[f"r{slot}.preset"] = preset
    at.session_state["w.seq_len"] = 128
    at.session_state["w.count"] = count
    return at.run()


@pytest.fixture
def downloads(monkeypatch) -> list[tuple[str | None, bytes]]:
    """Record (file name, bytes) of every file the app hands to Streamlit's media storage."""
    saved: list[tuple[str | None, bytes]] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, bytes):  # a str is a path to a file on disk, which this app never sends
            saved.append((filename, path_or_data))
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return saved


def page_errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def metric(at: AppTest, label: str) -> list[str]:
    """Values of the metric cards with ``label``, one per recipe in page order."""
    return [m.value for m in at.metric if m.label == label]
