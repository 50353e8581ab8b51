"""What it takes to train and to serve a recipe: memory per GPU, sharding, compute and roofline bounds.

Every figure is an estimate from formulas over the recipe. The tests check the activation
formula against the tensors autograd really saves (``saved_tensors``). The peaks of the machine
at hand are measured by ``explorer.peak``.
"""

from .activations import BACKENDS, RECOMPUTE_MODES, activation_memory, layer_activations
from .compute import CHINCHILLA_TOKENS_PER_PARAMETER, DEFAULT_MFU, training_compute
from .optimizers import OPTIMIZERS, get_optimizer
from .report import ServingSetup, cost_report, roofline_rows
from .serving import SERVE_DTYPES, decode_point, largest_batch, measured_phase, prefill_point
from .training import ZERO_STAGES, TrainingSetup, smallest_gpu_count, training_memory

__all__ = [
    "BACKENDS", "CHINCHILLA_TOKENS_PER_PARAMETER", "DEFAULT_MFU", "OPTIMIZERS", "RECOMPUTE_MODES", "SERVE_DTYPES",
    "ServingSetup", "TrainingSetup", "ZERO_STAGES", "activation_memory", "cost_report", "decode_point",
    "get_optimizer", "largest_batch", "layer_activations", "measured_phase", "prefill_point", "roofline_rows",
    "smallest_gpu_count", "training_compute", "training_memory",
]
