"""Regenerate the presets of real models from their Hugging Face config.json files.

Each preset is the import of one file in tests/data/hf_configs through explorer.hf_import, so
a preset and `python -m explorer import-hf FILE` always agree. Run from the repository root:

    .venv/bin/python scripts/make_presets.py          # rewrite presets/<name>.json
    .venv/bin/python scripts/make_presets.py --check  # exit 1 if any preset differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explorer.hf_import import load_hf_file  # noqa: E402
from model.config import PRESET_DIR  # noqa: E402

CONFIG_DIR = ROOT / "tests" / "data" / "hf_configs"

# preset name: (config file, family, model and checkpoint the config.json belongs to)
PRESETS: dict[str, tuple[str, str, str]] = {
    "gpt2-small": ("gpt2.json", "GPT-2", "GPT-2 small (124M), checkpoint openai-community/gpt2"),
    "gpt2-medium": ("gpt2-medium.json", "GPT-2", "GPT-2 medium (355M), checkpoint openai-community/gpt2-medium"),
    "gpt2-large": ("gpt2-large.json", "GPT-2", "GPT-2 large (774M), checkpoint openai-community/gpt2-large"),
    "gpt2-xl": ("gpt2-xl.json", "GPT-2", "GPT-2 XL (1.5B), checkpoint openai-community/gpt2-xl"),
    "gpt-neo-125m": ("gpt-neo-125m.json", "GPT-Neo", "GPT-Neo 125M, checkpoint EleutherAI/gpt-neo-125m"),
    "opt-125m": ("opt-125m.json", "OPT", "OPT-125M, checkpoint facebook/opt-125m"),
    "pythia-160m": ("pythia-160m.json", "GPT-NeoX", "Pythia-160M, checkpoint EleutherAI/pythia-160m"),
    "llama-2-7b": ("llama-2-7b.json", "Llama", "Llama 2 7B, checkpoint meta-llama/Llama-2-7b-hf"),
    "llama-3-8b": ("llama-3-8b.json", "Llama", "Llama 3 8B, checkpoint meta-llama/Meta-Llama-3-8B"),
    "llama-3.1-405b": ("llama-3.1-405b.json", "Llama", "Llama 3.1 405B, checkpoint meta-llama/Llama-3.1-405B"),
    "mistral-7b": ("mistral-7b-v0.1.json", "Mistral", "Mistral 7B v0.1, checkpoint mistralai/Mistral-7B-v0.1"),
    "tinyllama-1.1b": ("tinyllama-1.1b-chat-v1.0.json", "Llama",
                       "TinyLlama 1.1B, checkpoint TinyLlama/TinyLlama-1.1B-Chat-v1.0 (same architecture as the base model)"),
    "qwen2-0.5b": ("qwen2-0.5b.json", "Qwen2", "Qwen2 0.5B, checkpoint Qwen/Qwen2-0.5B"),
    "qwen2.5-7b": ("qwen2.5-7b.json", "Qwen2", "Qwen2.5 7B, checkpoint Qwen/Qwen2.5-7B"),
    "phi-2": ("phi-2.json", "Phi", "Phi-2 (2.7B), checkpoint microsoft/phi-2"),
    "falcon-7b": ("falcon-7b.json", "Falcon", "Falcon 7B, checkpoint tiiuae/falcon-7b"),
    "gemma-2b": ("gemma-2b.json", "Gemma", "Gemma 2B, checkpoint google/gemma-2b"),
    "smollm-135m": ("smollm-135m.json", "Llama", "SmolLM 135M, checkpoint HuggingFaceTB/SmolLM-135M"),
}


def render(name: str) -> str:
    """Return the preset JSON that the import of the preset's config.json gives."""
    filename, family, source = PRESETS[name]
    description = f"{source}; imported from its config.json (tests/data/hf_configs/{filename})."
    config = load_hf_file(CONFIG_DIR / filename, name=name, description=description)
    return config.replace(family=family).to_json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report presets that differ instead of writing them")
    args = parser.parse_args(argv)
    stale = []
    for name in PRESETS:
        path = PRESET_DIR / f"{name}.json"
        text = render(name)
        if args.check:
            if not path.is_file() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if stale:
        print(f"presets differ from their config.json import: {', '.join(stale)}; run scripts/make_presets.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
