"""Parity with transformers: parameter counts on meta, and logits with the same weights."""

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

from explorer.hf_weights import convert_state_dict, load_hf_weights
from model import DecoderConfig, build_model

TOLERANCE = 1e-4  # max abs difference of float32 logits on CPU


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def hf_on_meta(model_class, hf_config):
    with torch.device("meta"):
        return model_class(hf_config)


def gpt2_hf_config(**sizes) -> GPT2Config:
    return GPT2Config(bos_token_id=None, eos_token_id=None, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, **sizes)


def llama_hf_config(**sizes) -> LlamaConfig:
    return LlamaConfig(bos_token_id=None, eos_token_id=None, pad_token_id=None, **sizes)


def recipe_for_gpt2(hf: GPT2Config) -> DecoderConfig:
    return DecoderConfig(
        name="hf-gpt2", vocab_size=hf.vocab_size, max_seq_len=hf.n_positions, n_layer=hf.n_layer,
        d_model=hf.n_embd, n_head=hf.n_head, position={"kind": "learned"},
        feed_forward={"kind": "gelu", "approximate": "tanh"},  # HF's "gelu_new"
        norm={"kind": "layernorm", "eps": hf.layer_norm_epsilon},
        bias={"qkv": True, "attn_out": True, "mlp": True}, tie_embeddings=True)


def recipe_for_llama(hf: LlamaConfig) -> DecoderConfig:
    return DecoderConfig(
        name="hf-llama", vocab_size=hf.vocab_size, max_seq_len=hf.max_position_embeddings,
        n_layer=hf.num_hidden_layers, d_model=hf.hidden_size, n_head=hf.num_attention_heads,
        n_kv_head=hf.num_key_value_heads, d_ff=hf.intermediate_size,
        position={"kind": "rope", "theta": hf.rope_parameters["rope_theta"]},
        feed_forward={"kind": "swiglu"}, norm={"kind": "rmsnorm", "eps": hf.rms_norm_eps},
        tie_embeddings=hf.tie_word_embeddings)


# Parameter counts -------------------------------------------------------------------------

PRESET_HF_CONFIGS = {
    "gpt2-small": (GPT2LMHeadModel, lambda: gpt2_hf_config()),
    "gpt2-medium": (GPT2LMHeadModel, lambda: gpt2_hf_config(n_embd=1024, n_layer=24, n_head=16)),
    "llama-2-7b": (LlamaForCausalLM, lambda: llama_hf_config(
        vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
        num_attention_heads=32, num_key_value_heads=32, tie_word_embeddings=False)),
    "tinyllama-1.1b": (LlamaForCausalLM, lambda: llama_hf_config(
        vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
        num_attention_heads=32, num_key_value_heads=4, tie_word_embeddings=False)),
    "llama-style-124m": (LlamaForCausalLM, lambda: llama_hf_config(
        vocab_size=50257, hidden_size=768, intermediate_size=2432, num_hidden_layers=12,
        num_attention_heads=12, num_key_value_heads=4, tie_word_embeddings=True)),
}


@pytest.mark.parametrize("name", sorted(PRESET_HF_CONFIGS))
def test_preset_count_equals_transformers(name):
    model_class, make_config = PRESET_HF_CONFIGS[name]
    ours = build_model(DecoderConfig.from_preset(name), device="meta")
    assert count(ours) == count(hf_on_meta(model_class, make_config()))


def test_gpt2_medium_count():
    # 354,823,168 as transformers 5.25 counts GPT2LMHeadModel(n_embd=1024, n_layer=24, n_head=16).
    assert count(build_model(DecoderConfig.from_preset("gpt2-medium"), device="meta")) == 354_823_168


# Logits with copied weights ---------------------------------------------------------------

def perturbed(hf_model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Add noise to every HF weight, so zero biases and unit norm weights are not all alike."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in hf_model.parameters():
            param.add_(torch.randn(param.shape, generator=generator) * 0.1)
    return hf_model.eval()


def assert_same_logits(ours, hf_model, vocab_size: int):
    ids = torch.randint(0, vocab_size, (2, 24), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        expected = hf_model(ids).logits
        actual = ours(ids)
    assert actual.shape == expected.shape
    assert (actual - expected).abs().max() <= TOLERANCE
    # The logits vary across positions, so matching them is not a trivial agreement.
    assert expected.std() > 0.1


@pytest.mark.parametrize("attn_implementation", ["eager", "sdpa"])
def test_gpt2_logits_match(attn_implementation):
    torch.manual_seed(0)
    hf_config = gpt2_hf_config(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=4)
    hf_config._attn_implementation = attn_implementation
    hf_model = perturbed(GPT2LMHeadModel(hf_config))
    ours = build_model(recipe_for_gpt2(hf_config)).eval()

    load_hf_weights(ours, hf_model)

    assert_same_logits(ours, hf_model, hf_config.vocab_size)


@pytest.mark.parametrize("attn_implementation", ["eager", "sdpa"])
@pytest.mark.parametrize("kv_heads, tied", [(4, False), (2, False), (1, True), (2, True)],
                         ids=["MHA-untied", "GQA-untied", "MQA-tied", "GQA-tied"])
def test_llama_logits_match(kv_heads, tied, attn_implementation):
    torch.manual_seed(0)
    hf_config = llama_hf_config(vocab_size=101, hidden_size=32, intermediate_size=80, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=kv_heads, rms_norm_eps=1e-5,
                                max_position_embeddings=64, tie_word_embeddings=tied, rope_theta=500000.0)
    hf_config._attn_implementation = attn_implementation
    hf_model = perturbed(LlamaForCausalLM(hf_config))
    ours = build_model(recipe_for_llama(hf_config)).eval()

    load_hf_weights(ours, hf_model)

    assert (ours.head.weight is ours.embedding.weight) == tied
    assert_same_logits(ours, hf_model, hf_config.vocab_size)


def test_llama_cached_decode_matches_hf():
    hf_config = llama_hf_config(vocab_size=101, hidden_size=32, intermediate_size=80, num_hidden_layers=2,
                                num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
                                max_position_embeddings=64, tie_word_embeddings=False)
    hf_model = perturbed(LlamaForCausalLM(hf_config))
    ours = build_model(recipe_for_llama(hf_config)).eval()
    load_hf_weights(ours, hf_model)
    ids = torch.randint(0, 101, (1, 12), generator=torch.Generator().manual_seed(4))

    with torch.no_grad():
        expected = hf_model(ids).logits
        cache = ours.new_cache(1, 12)
        ours(ids[:, :8], cache=cache)
        steps = [ours(ids[:, i:i + 1], cache=cache) for i in range(8, 12)]

    assert (torch.cat(steps, dim=1) - expected[:, 8:]).abs().max() <= TOLERANCE


def test_mismatched_config_is_rejected():
    hf_model = GPT2LMHeadModel(gpt2_hf_config(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=4))
    recipe = recipe_for_gpt2(hf_model.config)

    with pytest.raises(ValueError, match="transformer.h.2"):
        load_hf_weights(build_model(recipe.replace(n_layer=3)), hf_model)
    with pytest.raises(ValueError, match="transformer.h.1"):
        load_hf_weights(build_model(recipe.replace(n_layer=1)), hf_model)
    with pytest.raises(RuntimeError, match="size mismatch"):
        load_hf_weights(build_model(recipe.replace(d_ff=64)), hf_model)


def test_untied_hf_into_tied_recipe_is_rejected():
    hf_config = llama_hf_config(vocab_size=101, hidden_size=32, intermediate_size=80, num_hidden_layers=1,
                                num_attention_heads=4, num_key_value_heads=2, tie_word_embeddings=False)
    hf_model = LlamaForCausalLM(hf_config)
    tied = build_model(recipe_for_llama(hf_config).replace(tie_embeddings=True))
    with pytest.raises(ValueError, match="tie_embeddings"):
        load_hf_weights(tied, hf_model)


def test_unknown_model_type_raises():
    with pytest.raises(ValueError, match="model_type='mamba'"):
        convert_state_dict("mamba", {}, recipe_for_gpt2(gpt2_hf_config()))
