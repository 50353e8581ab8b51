"""The Quality tab: train small versions of the recipes and watch their loss and extrapolation.

Training runs on a background thread (``explorer.quality.QualityJob``) kept in the session, and
a fragment polls it every second, so the rest of the page stays usable during a run. Closing
the browser tab does not stop a run; the Stop button does.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from explorer.quality import DEFAULT_RESULTS_DIR, QualityJob, TrainSettings, summary
from explorer.quality.report import group_results, summarize_group

from .quality_charts import INCOMPLETE, extrapolation_chart, group_rows, loss_curves

JOB_KEY = "quality.job"
POLL_SECONDS = 1.0
WIDTHS = [32, 64, 128, 192, 256]


def _settings_form(workload) -> tuple[TrainSettings, int]:
    defaults = TrainSettings()
    cols = st.columns(5)
    steps = cols[0].number_input("Steps", 1, 100_000, defaults.steps, key="q.steps", help="Optimizer steps per run.")
    seq_len = cols[1].number_input("Trained length (bytes)", 8, 4096, defaults.seq_len, key="q.seq_len",
                                   help="Validation is also scored at 2x and 4x this length.")
    seeds = cols[2].number_input("Seeds", 1, 10, 2, key="q.seeds", help="Seeds 0..K-1 per recipe; spread is their sample std.")
    d_model = cols[3].selectbox("Width d_model", WIDTHS, index=WIDTHS.index(defaults.d_model), key="q.d_model",
                                help="Each recipe is scaled to this width with its components kept.")
    n_layer = cols[4].number_input("Layers", 1, 24, defaults.n_layer, key="q.n_layer")
    device = "cuda" if str(getattr(workload, "device", "cpu")).startswith("cuda") else "cpu"
    settings = TrainSettings(steps=int(steps), seq_len=int(seq_len), d_model=int(d_model), n_layer=int(n_layer),
                             eval_interval=max(1, min(defaults.eval_interval, int(steps))), device=device)
    return settings, int(seeds)


def _controls(recipes, slots, workload, results_dir) -> None:
    labels = {slot: f"{slot + 1}. {recipe.name}" for slot, recipe in zip(slots, recipes)}
    # The options are slot indices, not labels or positions among the valid recipes, so a rename
    # keeps a recipe picked and a recipe that turns invalid does not shift the others' picks.
    if st.session_state.get("q.labels") != labels and "q.recipes" in st.session_state:
        # Setting the value again makes the browser redraw the picked tags with the new labels.
        st.session_state["q.recipes"] = [slot for slot in st.session_state["q.recipes"] if slot in labels]
    st.session_state["q.labels"] = labels
    picked = st.multiselect("Recipes to train", slots, default=slots, format_func=labels.__getitem__,
                            key="q.recipes")
    settings, seeds = _settings_form(workload)
    st.caption(f"Byte-level model (vocabulary 256) on the Python standard library's sources, AdamW, warm-up then "
               f"cosine schedule, gradient clipping at {settings.grad_clip}. Runs on {settings.device}. "
               f"Saved results with the same recipe, settings and seed are reused; they live in {results_dir}.")

    # Callbacks run before the script, so the buttons below are drawn with the job's new state.
    def start() -> None:
        chosen = [recipes[slots.index(slot)] for slot in picked]
        st.session_state[JOB_KEY] = QualityJob(chosen, settings, list(range(seeds)), results_dir).start()

    def stop() -> None:
        st.session_state[JOB_KEY].stop()

    job: QualityJob | None = st.session_state.get(JOB_KEY)
    running = job is not None and job.running
    left, right = st.columns([1, 1])
    left.button("Start training", disabled=running or not picked, key="q.start", type="primary", on_click=start)
    right.button("Stop", disabled=not running, key="q.stop", on_click=stop)


def _finished_groups(state: dict) -> list[dict]:
    results = [run["result"] for run in state["runs"] if run["result"] and run["result"]["status"] == "complete"]
    return [summarize_group(runs) for runs in group_results(results)]


def _show_job(job: QualityJob) -> None:
    state = job.snapshot()
    share = state["done_steps"] / max(1, state["total_steps"])
    status = state["status"]
    st.progress(min(1.0, share), text=f"{status}: {state['done_steps']:,} of {state['total_steps']:,} steps")
    if status == "failed":
        st.error(f"Training failed: {state['error']}")
    if status == "stopped":
        st.warning(f"Stopped by the user. The run in progress is marked \"{INCOMPLETE}\"; it is saved but "
                   "neither reused nor summarized.")

    runs = [run for run in state["runs"] if run["train"]]
    if runs:
        st.plotly_chart(loss_curves(runs), key="q.curves")
    groups = _finished_groups(state)
    if groups:
        st.plotly_chart(extrapolation_chart(groups), key="q.extrapolation")
        st.dataframe(group_rows(groups), hide_index=True)


def render(recipes: list, workload, results_dir: str | Path | None = None, slots: list[int] | None = None) -> None:
    """Draw the Quality tab for ``recipes``, which sit in the page's recipe ``slots`` (0, 1, … when None).

    ``workload`` supplies the device.
    """
    results_dir = Path(results_dir or DEFAULT_RESULTS_DIR)
    slots = list(range(len(recipes))) if slots is None else list(slots)
    if len(slots) != len(recipes):
        raise ValueError(f"invalid slots {slots}: expected one slot per recipe, got {len(slots)} for {len(recipes)}")
    st.subheader("Quality lab")
    st.caption("Trains small versions of the recipes and measures validation loss (nats per byte) at the trained "
               "length and at 2x and 4x it. The numbers describe these small models on this data, not the "
               "full-size recipes.")
    _controls(recipes, slots, workload, results_dir)

    job: QualityJob | None = st.session_state.get(JOB_KEY)
    if job is not None:
        polling = job.running

        @st.fragment(run_every=POLL_SECONDS if polling else None)
        def live() -> None:
            _show_job(job)
            if polling and not job.running:
                st.rerun()  # the job ended: redraw the page once so the buttons and polling reset

        live()

    with st.expander("All saved results"):
        saved = summary(results_dir)["groups"]
        if not saved:
            st.info(f"No finished runs in {results_dir} yet.")
        else:
            st.plotly_chart(extrapolation_chart(saved), key="q.saved_extrapolation")
            st.dataframe(group_rows(saved), hide_index=True)
