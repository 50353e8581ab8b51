"""The quality lab: train small versions of recipes on bytes and compare loss and length extrapolation.

Imports model/ and torch, never Streamlit.
"""

from .data import Corpus, load_corpus
from .job import QualityJob, run_or_reuse
from .report import summary
from .results import DEFAULT_RESULTS_DIR, load_results
from .scale import scale_recipe
from .train import TrainSettings, train_run

__all__ = ["Corpus", "DEFAULT_RESULTS_DIR", "QualityJob", "TrainSettings", "load_corpus", "load_results",
           "run_or_reuse", "scale_recipe", "summary", "train_run"]
