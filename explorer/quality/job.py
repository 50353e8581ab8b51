"""Running a plan of (recipe, seed) runs: reuse saved results, train the rest, report progress.

``run_or_reuse`` does one run. ``QualityJob`` does a whole plan on a background thread and keeps
a snapshot that a UI can poll. Its ``stop`` ends the current run after the current step, and
that run is saved with status "stopped" and labelled incomplete.
"""

from __future__ import annotations

import copy
import logging
import threading
from pathlib import Path

from model import DecoderConfig

from .data import Corpus, load_corpus
from .results import DEFAULT_RESULTS_DIR, find_result, result_key, save_result
from .scale import scale_recipe
from .train import StepCallback, TrainSettings, train_run

log = logging.getLogger(__name__)


def run_or_reuse(config: DecoderConfig, settings: TrainSettings, seed: int, corpus: Corpus,
                 results_dir: str | Path = DEFAULT_RESULTS_DIR, on_step: StepCallback | None = None,
                 stop: threading.Event | None = None, reuse: bool = True) -> tuple[dict, bool]:
    """Return the result of ``config`` (scaled by ``settings``) for ``seed``, and whether it was loaded."""
    scaled = scale_recipe(config, settings.seq_len, settings.d_model, settings.n_layer)
    key = result_key(scaled.to_dict(), settings.to_dict(), seed, corpus.fingerprint)
    if reuse:
        found = find_result(results_dir, key)
        if found is not None:
            return found, True
    result = train_run(scaled, settings, seed, corpus, on_step=on_step, stop=stop)
    result["key"] = key
    result["source_recipe"] = config.name
    save_result(result, results_dir)
    return result, False


class QualityJob:
    """A plan of runs executed on a daemon thread; ``snapshot()`` returns a copy safe to read anywhere."""

    def __init__(self, recipes: list[DecoderConfig], settings: TrainSettings, seeds: list[int],
                 results_dir: str | Path = DEFAULT_RESULTS_DIR, corpus_path: str | Path | None = None):
        if not recipes:
            raise ValueError("invalid recipes: pick at least one recipe to train")
        if not seeds:
            raise ValueError("invalid seeds: expected at least one seed")
        self.recipes, self.settings, self.seeds = recipes, settings, seeds
        self.results_dir, self.corpus_path = results_dir, corpus_path
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = {
            "status": "idle",  # idle, loading, running, complete, stopped, failed
            "error": None,
            "total_steps": len(recipes) * len(seeds) * settings.steps,
            "done_steps": 0,
            "runs": [{"recipe": r.name, "seed": s, "status": "pending", "train": [], "validation": [], "result": None}
                     for r in recipes for s in seeds],
        }

    def start(self) -> "QualityJob":
        self._thread = threading.Thread(target=self._run_all, name="quality-job", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self) -> dict:
        with self._lock:
            return copy.deepcopy(self._state)

    def _set(self, **changes) -> None:
        with self._lock:
            self._state.update(changes)

    def _run_all(self) -> None:
        try:
            self._set(status="loading")
            corpus = load_corpus(self.corpus_path)
            self._set(status="running")
            for index, (recipe, seed) in enumerate((r, s) for r in self.recipes for s in self.seeds):
                if self._stop.is_set():
                    break
                self._run_one(index, recipe, seed, corpus)
            self._set(status="stopped" if self._stop.is_set() else "complete")
        except Exception as err:  # the thread must report every failure to the page, not die silently
            log.exception("quality job failed")
            self._set(status="failed", error=f"{type(err).__name__}: {err}")

    def _run_one(self, index: int, recipe: DecoderConfig, seed: int, corpus: Corpus) -> None:
        with self._lock:
            run = self._state["runs"][index]
            run["status"] = "running"
            base_steps = self._state["done_steps"]

        def on_step(step: int, total: int, train_loss: float, val_loss: float | None) -> None:
            with self._lock:
                run["train"].append([step, train_loss])
                if val_loss is not None:
                    run["validation"].append([step, val_loss])
                self._state["done_steps"] = base_steps + step

        result, reused = run_or_reuse(recipe, self.settings, seed, corpus, self.results_dir,
                                      on_step=on_step, stop=self._stop)
        with self._lock:
            run["status"] = "reused" if reused else result["status"]
            run["result"] = result
            run["train"] = result["curves"]["train"]
            run["validation"] = [[step, loss] for step, _, loss in result["curves"]["validation"]]
            self._state["done_steps"] = base_steps + (self.settings.steps if reused else result["steps_done"])
