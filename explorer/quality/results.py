"""Saved results: one JSON file per run, found again by the hash of what determines its numbers.

The key covers the scaled recipe, the training settings, the seed and the corpus fingerprint.
A finished run with the same key is loaded instead of trained again. Versions of Python and
torch are stored in each file but are not part of the key.
NOTE: a result trained under another torch version is still reused; delete the folder to retrain.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .train import RESULT_SCHEMA

DEFAULT_RESULTS_DIR = Path(__file__).resolve().parents[2] / "results" / "quality"
REQUIRED_KEYS = ("schema", "status", "recipe", "settings", "seed", "corpus", "curves", "extrapolation", "key")


def result_key(recipe: dict, settings: dict, seed: int, corpus_fingerprint: str) -> str:
    """Return a 16-hex-digit hash of everything that fixes a run's losses."""
    payload = json.dumps({"recipe": recipe, "settings": settings, "seed": seed, "corpus": corpus_fingerprint},
                         sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def result_path(results_dir: str | Path, result: dict) -> Path:
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in result["recipe"]["name"])
    return Path(results_dir) / f"{name}-seed{result['seed']}-{result['key']}.json"


def save_result(result: dict, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    """Write ``result`` as JSON (through a temporary file, so a reader never sees half a file)."""
    path = result_path(results_dir, result)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    os.replace(temporary, path)
    return path


def load_result(path: str | Path) -> dict:
    """Read one result file; raise ValueError naming the file when it is not a quality result."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"invalid result file {str(path)!r}: {err}") from None
    if not isinstance(data, dict) or data.get("schema") != RESULT_SCHEMA:
        raise ValueError(f"invalid result file {str(path)!r}: expected schema {RESULT_SCHEMA!r}")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise ValueError(f"invalid result file {str(path)!r}: missing {', '.join(missing)}")
    return data


def load_results(results_dir: str | Path = DEFAULT_RESULTS_DIR, include_stopped: bool = False) -> list[dict]:
    """Return every result in ``results_dir``, oldest first; files that fail to parse are skipped."""
    results = []
    for path in sorted(Path(results_dir).glob("*.json")):
        try:
            result = load_result(path)
        except ValueError:
            continue
        if include_stopped or result["status"] == "complete":
            results.append(result)
    return sorted(results, key=lambda r: r.get("created", ""))


def find_result(results_dir: str | Path, key: str) -> dict | None:
    """Return the finished result with ``key``, or None when that run has not completed before."""
    for path in Path(results_dir).glob(f"*-{key}.json"):
        try:
            result = load_result(path)
        except ValueError:
            continue
        if result["key"] == key and result["status"] == "complete":
            return result
    return None
