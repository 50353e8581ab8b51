"""Recipe validation, the JSON round trip and derived values."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import DecoderConfig, build_model, list_presets
from model.config import BIAS_DEFAULTS, FEED_FORWARD_KINDS, NORM_KINDS, POSITION_KINDS
from tiny_configs import tiny_config


def tiny_recipe(**changes) -> dict:
    return {**tiny_config().to_dict(), **changes}


# Each case: the recipe changes, and the field the error message must name.
BAD_RECIPES = [
    ({"n_head": 12, "d_model": 768, "n_kv_head": 5}, "n_kv_head"),
    ({"d_model": 100, "n_head": 12}, "n_head"),
    ({"n_kv_head": 8}, "n_kv_head"),
    ({"position": {"kind": "fourier"}}, "position.kind"),
    ({"feed_forward": {"kind": "swish"}}, "feed_forward.kind"),
    ({"norm": {"kind": "batchnorm"}}, "norm.kind"),
    ({"position": {"kind": "relative", "num_buckets": 32, "max_distance": 16}}, "position.max_distance"),
    ({"position": {"kind": "relative", "num_buckets": 32, "max_distance": 15}}, "position.max_distance"),
    ({"position": {"kind": "rope", "fraction": 0.5}, "head_dim": 10}, "position"),
    ({"position": {"kind": "xpos"}, "head_dim": 7, "d_model": 28}, "position"),
    ({"position": {"kind": "rope", "fraction": 1.5}}, "position.fraction"),
    ({"position": {"kind": "rope", "fraction": 0.0}}, "position.fraction"),
    ({"position": {"kind": "rope", "theta": -1.0}}, "position.theta"),
    ({"position": {"kind": [], "theta": 1.0}}, "position.kind"),
    ({"position": {"kind": "rope", "scaling": {"type": []}}}, "position.scaling"),
    ({"position": {"kind": "sinusoidal"}, "d_model": 33, "n_head": 3, "n_kv_head": 3}, "d_model"),
    ({"vocab_size": 0}, "vocab_size"),
    ({"max_seq_len": -1}, "max_seq_len"),
    ({"n_layer": 0}, "n_layer"),
    ({"d_model": 0}, "d_model"),
    ({"n_head": 0}, "n_head"),
    ({"n_kv_head": 0}, "n_kv_head"),
    ({"head_dim": 0}, "head_dim"),
    ({"d_ff": -4}, "d_ff"),
    ({"norm": {"kind": "rmsnorm", "eps": 0.0}}, "norm.eps"),
    ({"dropout": 1.0}, "dropout"),
    ({"dropout": -0.1}, "dropout"),
    ({"colour": "blue"}, "colour"),
    ({"position": {"kind": "rope", "base": 10000}}, "position.base"),
    ({"norm": {"kind": "rmsnorm", "bias": False}}, "norm.bias"),
    ({"bias": {"qkv": True, "k": True}}, "bias.k"),
    ({"d_model": "32"}, "d_model"),
    ({"d_model": 32.0}, "d_model"),
    ({"n_layer": True}, "n_layer"),
    ({"tie_embeddings": "yes"}, "tie_embeddings"),
    ({"norm": {"kind": "rmsnorm", "eps": "1e-5"}}, "norm.eps"),
    ({"bias": {"qkv": 1}}, "bias.qkv"),
    ({"bias": ["qkv"]}, "bias"),
    ({"position": 5}, "position"),
    ({"feed_forward": {"kind": "gelu", "approximate": "fast"}}, "feed_forward.approximate"),
    ({"feed_forward": {"kind": "swiglu", "multiple_of": 0}}, "feed_forward.multiple_of"),
    ({"vocab_size": 2**60}, "vocab_size"),
    ({"d_model": 2**40, "n_head": 1, "n_kv_head": 1}, "d_model"),
    ({"d_ff": 2**62}, "d_ff"),
    ({"n_layer": 10**9}, "n_layer"),
    ({"schema": "decoder-recipe/2"}, "schema"),
    ({"name": ""}, "name"),
    ({"shared_block_norm": True}, "shared_block_norm"),
    ({"feed_forward": {"kind": "swiglu", "multiplier": 1e-300}}, "feed_forward.multiplier"),
    ({"position": {"kind": "learned", "offset": 2**60}}, "position.offset"),
    ({"position": {"kind": "rope", "scaling": {"type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                               "high_freq_factor": 4.0, "original_max_seq_len": 10**30}}},
     "position.scaling.original_max_seq_len"),
]


@pytest.mark.parametrize("changes, field", BAD_RECIPES, ids=[f for _, f in BAD_RECIPES])
def test_bad_recipe_names_field(changes, field):
    with pytest.raises(ValueError) as error:
        DecoderConfig.from_dict(tiny_recipe(**changes))
    assert f"{field}=" in str(error.value)


def test_huge_value_shortened_in_error():
    with pytest.raises(ValueError) as error:
        DecoderConfig.from_dict(tiny_recipe(n_layer=10**400))
    message = str(error.value)
    assert message.startswith("invalid n_layer=1000000000")
    assert "… (401 characters)" in message
    assert len(message) < 200
    assert message.endswith(": expected at most 10000 layers")


def test_gqa_error_names_allowed_values():
    with pytest.raises(ValueError, match="n_kv_head=5") as error:
        DecoderConfig.from_dict(tiny_recipe(n_head=12, d_model=768, n_kv_head=5))
    assert "n_head=12" in str(error.value)


def test_head_dim_allows_indivisible_d_model():
    config = DecoderConfig.from_dict(tiny_recipe(d_model=100, n_head=12, n_kv_head=12, head_dim=8))
    assert config.resolved_head_dim == 8
    build_model(config, device="meta")


def test_recipe_is_not_a_mapping():
    with pytest.raises(ValueError, match="recipe"):
        DecoderConfig.from_dict(["gpt2"])


def test_invalid_json_raises_value_error():
    with pytest.raises(ValueError, match="line 1"):
        DecoderConfig.from_json("{not json")


def test_deeply_nested_json_raises_value_error():
    with pytest.raises(ValueError, match="nested"):
        DecoderConfig.from_json("[" * 100_000)


def test_unknown_preset_lists_available():
    with pytest.raises(ValueError, match="gpt2-small"):
        DecoderConfig.from_preset("gpt5")


# JSON round trip and derived values --------------------------------------------------------

@pytest.mark.parametrize("name", list_presets())
def test_json_round_trip_byte_stable(name):
    config = DecoderConfig.from_preset(name)
    text = config.to_json()

    again = DecoderConfig.from_json(text)
    assert again == config
    assert again.to_json() == text
    assert text.encode() == (DecoderConfig.from_preset(name).to_json()).encode()


def test_resolved_dict_fills_derived_values():
    config = DecoderConfig(d_model=4096, n_head=32, d_ff=None, feed_forward={"kind": "swiglu", "multiple_of": 256})
    plain, resolved = config.to_dict(), config.to_dict(resolve=True)

    assert plain["head_dim"] is None
    assert plain["d_ff"] is None
    assert resolved["head_dim"] == 128
    assert resolved["d_ff"] == 11008
    assert DecoderConfig.from_dict(resolved).resolved_d_ff == 11008


def test_resolved_gpt2_widths():
    resolved = DecoderConfig(d_model=768, n_head=12, feed_forward={"kind": "gelu"}).to_dict(resolve=True)
    assert (resolved["head_dim"], resolved["d_ff"]) == (64, 3072)


def test_attention_kind_from_kv_heads():
    assert tiny_config(attention="MHA").attention_kind == "MHA"
    assert tiny_config(attention="GQA").attention_kind == "GQA"
    assert tiny_config(attention="MQA").attention_kind == "MQA"


def test_to_dict_is_a_copy():
    config = tiny_config()
    config.to_dict()["position"]["kind"] = "alibi"
    assert config.position["kind"] == "rope"


# Random recipes ---------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 200), st.integers(-2**40, 2**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.sampled_from(["learned", "sinusoidal", "relative", "alibi", "rope", "xpos", "gelu", "swiglu",
                     "geglu", "relu", "sigmoid", "layernorm", "rmsnorm", "none", "tanh"]),
)
# Object keys: random text, or names that nested settings use, so nested objects get past the key check.
json_keys = st.one_of(st.text(max_size=8), st.sampled_from(["kind", "type", "factor", "low_freq_factor",
                                                           "high_freq_factor", "original_max_seq_len"]))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(json_keys, inner, max_size=4)), max_leaves=8)

TOP_KEYS = sorted(tiny_config().to_dict())

def settings_of(kinds: dict) -> list[str]:
    return sorted({"kind"} | {key for defaults in kinds.values() for key in defaults})


# Read from the schema tables, so settings added later are mutated too.
NESTED_KEYS = {
    "position": settings_of(POSITION_KINDS),
    "feed_forward": settings_of(FEED_FORWARD_KINDS),
    "norm": settings_of(NORM_KINDS),
    "bias": sorted(BIAS_DEFAULTS),
}

MUTABLE_PATHS = ([(key,) for key in TOP_KEYS + ["unknown"]]
                 + [(key, sub_key) for key, sub_keys in NESTED_KEYS.items() for sub_key in sub_keys + ["unknown"]])


@st.composite
def mutated_recipes(draw):
    """Draw a valid tiny recipe and change one to four of its fields, top level or nested."""
    recipe = tiny_config(
        draw(st.sampled_from(["learned", "sinusoidal", "relative", "alibi", "rope", "xpos"])),
        draw(st.sampled_from(["MHA", "GQA", "MQA"])),
        draw(st.sampled_from(["gelu", "swiglu", "sigmoid"])),
        draw(st.sampled_from(["layernorm", "rmsnorm"])),
    ).to_dict()
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(MUTABLE_PATHS))
        if len(path) == 2 and isinstance(recipe.get(path[0]), dict):
            recipe[path[0]] = {**recipe[path[0]], path[1]: draw(json_values)}
        else:
            recipe[path[0]] = draw(json_values)
    if draw(st.booleans()):
        recipe.pop(draw(st.sampled_from(TOP_KEYS)), None)
    return recipe


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_recipes())
def test_random_recipes_raise_only_value_error(recipe):
    try:
        config = DecoderConfig.from_dict(recipe)
    except ValueError:
        return
    # Every recipe that validates must build. The meta device allocates no weight memory, so
    # only sizes that no tensor can hold, which validation rejects, could fail here.
    build_model(config, device="meta")
    assert DecoderConfig.from_json(config.to_json()) == config


def test_build_model_rejects_preset_name():
    with pytest.raises(TypeError, match="DecoderConfig.from_preset"):
        build_model("gpt2-small", device="meta")
