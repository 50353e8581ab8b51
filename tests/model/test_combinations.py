"""Every position × attention × feed-forward × norm choice builds, runs forward and backward."""

import pytest
import torch

from model import build_model
from tiny_configs import FEED_FORWARDS, KV_HEADS, NORMS, POSITIONS, tiny_config


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("norm", sorted(NORMS))
@pytest.mark.parametrize("feed_forward", sorted(FEED_FORWARDS))
@pytest.mark.parametrize("attention", sorted(KV_HEADS))
@pytest.mark.parametrize("position", sorted(POSITIONS))
def test_forward_backward_finite(position, attention, feed_forward, norm, dtype):
    config = tiny_config(position, attention, feed_forward, norm)
    torch.manual_seed(0)
    model = build_model(config, dtype=dtype)
    ids = torch.randint(0, config.vocab_size, (2, 12))

    logits = model(ids)
    loss = torch.nn.functional.cross_entropy(logits.float().flatten(0, 1), ids.roll(-1, dims=1).flatten())
    loss.backward()

    assert logits.shape == (2, 12, config.vocab_size)
    assert logits.dtype == dtype
    assert torch.isfinite(logits).all()
    assert torch.isfinite(loss)
    for name, param in model.named_parameters():
        assert param.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(param.grad).all(), f"{name} has a non-finite gradient"
    # Every block's attention must receive a gradient signal, not only the head.
    assert model.blocks[0].attn.q_proj.weight.grad.abs().sum() > 0
