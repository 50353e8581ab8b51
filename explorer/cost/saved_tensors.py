"""Measure the activation memory of a training step: the bytes autograd saves for backward.

A real forward pass and loss run under ``torch.autograd.graph.saved_tensors_hooks``. Each saved
storage is recorded once, so the input that three projections save counts once. Parameters are
left out because they are counted as weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from model import DecoderConfig, build_model


def saved_activation_bytes(config: DecoderConfig, batch: int, seq_len: int,
                           dtype: torch.dtype = torch.float32, device: str = "cpu", seed: int = 0) -> int:
    """Return the bytes of the distinct storages saved for backward by one training forward and loss."""
    torch.manual_seed(seed)
    model = build_model(config, device=device, dtype=dtype)
    model.train()
    parameter_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in parameter_storages:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    ids = torch.randint(0, config.vocab_size, (batch, seq_len), device=device)
    targets = torch.roll(ids, shifts=-1, dims=1)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        logits = model(ids)
        loss = F.cross_entropy(logits.float().flatten(0, 1), targets.flatten())
    del loss
    return sum(saved.values())
