"""FLOPs of a recipe, counted three ways: fvcore with this project's handles, torch's counter, a closed form.

All counts run on the meta device, so no weight memory is allocated. Up to FULL_COUNT_MAX_LAYERS
layers the whole model is counted. Deeper models are counted at 1 and 2 layers and scaled:
F(L) = F(1) + (L - 1) · (F(2) - F(1)). This is exact because every block has the same shapes and
the work outside the blocks (embedding, bias tables, final norm, head) does not depend on L; a
test holds the scaled count equal to the full count.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any, Callable

from model import DecoderConfig

from . import closed_form

FULL_COUNT_MAX_LAYERS = 12
MATMUL_OPS_NOTE = "torch.utils.flop_counter prices matrix multiplies only, so its total is its matmul figure"


def _combine(one: Any, two: Any, layers: int) -> Any:
    """Return one + (layers - 1) · (two - one), through nested dicts and Counters."""
    if isinstance(one, dict):
        keys = set(one) | set(two)
        combined = {key: _combine(one.get(key, 0), two.get(key, 0), layers) for key in keys}
        return Counter(combined) if isinstance(one, Counter) else combined
    return one + (layers - 1) * (two - one)


def by_layers(config: DecoderConfig, count: Callable[[DecoderConfig], Any]) -> tuple[Any, str]:
    """Return ``count(config)`` and the method used: the whole model, or 1 and 2 layers scaled."""
    # Layers with different attention windows are not identical blocks, so scaling would be wrong.
    if config.n_layer <= FULL_COUNT_MAX_LAYERS or len(set(config.layer_windows())) > 1:
        return count(config), f"counted on the whole {config.n_layer}-layer model (meta device)"
    one, two = count(config.replace(n_layer=1)), count(config.replace(n_layer=2))
    method = (f"counted on 1- and 2-layer models of the same widths (meta device) and scaled to "
              f"{config.n_layer} layers: F(L) = F(1) + (L-1)·(F(2) - F(1)), exact for identical blocks")
    return _combine(one, two, config.n_layer), method


def _meta_model(config: DecoderConfig):
    from model import build_model

    return build_model(config, device="meta").eval()


def _count_all(config: DecoderConfig, batch: int, seq_len: int, convention: str) -> dict:
    from . import fvcore_count, torch_count

    model = _meta_model(config)
    forward, unsupported = fvcore_count.count_forward(model, batch, seq_len, convention)
    decode, decode_unsupported = fvcore_count.count_decode(model, batch, seq_len)
    return {
        "fvcore_forward": forward,
        "fvcore_decode": decode,
        "unsupported": unsupported + decode_unsupported,
        "torch_forward": torch_count.count_forward(model, batch, seq_len, convention),
        "torch_decode": torch_count.count_decode(model, batch, seq_len),
        "torch_train": torch_count.count_train_step(model, batch, seq_len, convention),
    }


def _sum(parts: dict, key: str | None = None) -> int:
    return sum(p["matmul"] + p["other"] if key is None else p[key] for p in parts.values())


@lru_cache(maxsize=64)
def _measure_cached(config_json: str, batch: int, seq_len: int, convention: str) -> dict:
    config = DecoderConfig.from_json(config_json)
    counts, method = by_layers(config, lambda c: _count_all(c, batch, seq_len, convention))
    forward, decode = counts["fvcore_forward"], counts["fvcore_decode"]
    closed = closed_form.breakdown(config, batch, seq_len, 0, convention)
    closed_decode = closed_form.breakdown(config, batch, 1, seq_len - 1, "full")

    matmul = _sum(forward, "matmul")
    return {
        "forward": _sum(forward),
        "forward_matmul": matmul,
        "macs_forward": matmul // 2,
        "macs_note": "multiply-adds of the matrix multiplies (forward_matmul / 2); fvcore's 'flop' is one of these",
        "decode_token": _sum(decode),
        "decode_token_matmul": _sum(decode, "matmul"),
        "train_step": counts["torch_train"],
        "train_step_method": "forward + backward of a cross-entropy step, counted by torch.utils.flop_counter "
                             "(matrix multiplies only), not assumed 3x forward",
        "convention": convention,
        "convention_note": ("full: every attention call is priced for its whole query x key rectangle"
                            if convention == "full" else
                            "causal: the masked half of each prefill score square is dropped (T^2/2); "
                            "decode steps are never halved"),
        "by_component": {name: part["matmul"] + part["other"] for name, part in forward.items()},
        "by_component_matmul": {name: part["matmul"] for name, part in forward.items()},
        "counters": {
            "fvcore": {"matmul": matmul, "total": _sum(forward)},
            "torch": {"matmul": counts["torch_forward"], "total": counts["torch_forward"], "note": MATMUL_OPS_NOTE},
            "closed_form": {"matmul": _sum(closed, "matmul"), "total": _sum(closed)},
        },
        "decode_counters": {
            "fvcore": {"matmul": _sum(decode, "matmul"), "total": _sum(decode)},
            "torch": {"matmul": counts["torch_decode"], "total": counts["torch_decode"], "note": MATMUL_OPS_NOTE},
            "closed_form": {"matmul": _sum(closed_decode, "matmul"), "total": _sum(closed_decode)},
        },
        "unsupported_ops": dict(sorted(counts["unsupported"].items())),
        "method": method,
    }


def measure_flops(config: DecoderConfig, batch: int, seq_len: int, convention: str = "full") -> dict:
    """Return the ``flops`` section of a report (see explorer.measure.Report). Cached by recipe and workload."""
    return _measure_cached(config.to_json(), batch, seq_len, convention)
