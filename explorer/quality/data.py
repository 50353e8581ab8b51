"""The byte-level training corpus: the standard library's Python sources, or a user's text file.

Bytes are the tokens (vocabulary 256), so no tokenizer or download is needed. Every choice that
shapes the data is fixed: the file list is sorted, and a file goes to validation when the SHA-256
of its relative path falls in the first tenth of the hash range. The same Python installation
therefore always yields the same corpus, and the fingerprint names it in saved results.
"""

from __future__ import annotations

import hashlib
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import torch

VOCAB_SIZE = 256
# Folders of the standard library left out: test suites and vendored packages are not the
# library's own prose and code, and site-packages changes with every install.
EXCLUDED_DIRS = frozenset({"test", "tests", "idle_test", "site-packages", "dist-packages", "__pycache__"})
VALIDATION_SHARE = 0.1
# A user corpus must fill the validation windows at 4x a reasonable trained length.
MIN_CORPUS_BYTES = 64 * 1024
MAX_CORPUS_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Corpus:
    """Training and validation bytes as uint8 tensors, with a name and a content fingerprint."""

    name: str
    train: torch.Tensor
    validation: torch.Tensor
    fingerprint: str
    files: int

    def describe(self) -> dict:
        return {"name": self.name, "fingerprint": self.fingerprint, "files": self.files,
                "train_bytes": int(self.train.numel()), "validation_bytes": int(self.validation.numel())}


def is_validation(key: str) -> bool:
    """Assign a file (or chunk) to validation by the hash of its name, which never changes."""
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:4], "big") < VALIDATION_SHARE * 2**32


def stdlib_files(root: Path | None = None) -> tuple[Path, list[Path]]:
    """Return the standard library folder and its .py files, sorted by relative path."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    files = [p for p in root.rglob("*.py")
             if not EXCLUDED_DIRS.intersection(p.relative_to(root).parts[:-1]) and p.is_file()]
    return root, sorted(files, key=lambda p: p.relative_to(root).as_posix())


def _to_tensor(chunks: list[bytes]) -> torch.Tensor:
    data = b"".join(chunks)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.zeros(0, dtype=torch.uint8)


def _build(name: str, parts: list[tuple[str, bytes]]) -> Corpus:
    train, validation = [], []
    fingerprint = hashlib.sha256()
    for key, data in parts:
        (validation if is_validation(key) else train).append(data)
        fingerprint.update(key.encode() + b"\0" + hashlib.sha256(data).digest())
    return Corpus(name, _to_tensor(train), _to_tensor(validation), fingerprint.hexdigest()[:16], len(parts))


def load_stdlib_corpus(root: Path | None = None) -> Corpus:
    """Read the standard library's .py files as bytes and split them into train and validation."""
    root, files = stdlib_files(root)
    if not files:
        raise ValueError(f"invalid corpus: no .py files under the standard library folder {root}")
    parts = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in files]
    return _build(f"python{sysconfig.get_python_version()}-stdlib", parts)


def load_text_corpus(path: str | Path, chunk_bytes: int = 64 * 1024) -> Corpus:
    """Read one text file as bytes; its 64 KiB chunks go to train or validation by the hash rule.

    Raises ValueError naming the path when the file is missing, unreadable, not UTF-8 text, or
    outside the allowed size.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"invalid --corpus {str(path)!r}: file not found")
    size = path.stat().st_size
    if size < MIN_CORPUS_BYTES or size > MAX_CORPUS_BYTES:
        raise ValueError(f"invalid --corpus {str(path)!r}: {size:,} bytes; expected a text file of "
                         f"{MIN_CORPUS_BYTES:,} to {MAX_CORPUS_BYTES:,} bytes")
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ValueError(f"invalid --corpus {str(path)!r}: cannot be read ({err.strerror})") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"invalid --corpus {str(path)!r}: not UTF-8 text (byte {err.start}); "
                         "convert it to UTF-8 or pick a text file") from None
    parts = [(f"chunk-{i:08d}", data[lo:lo + chunk_bytes]) for i, lo in enumerate(range(0, len(data), chunk_bytes))]
    corpus = _build(path.name, parts)
    if corpus.validation.numel() == 0 or corpus.train.numel() == 0:
        # Very small files may hash every chunk to one side; fall back to the last tenth.
        cut = int(len(data) * (1 - VALIDATION_SHARE))
        corpus = Corpus(path.name, _to_tensor([data[:cut]]), _to_tensor([data[cut:]]), corpus.fingerprint, corpus.files)
    return corpus


_STDLIB_CACHE: dict[str, Corpus] = {}


def load_corpus(path: str | Path | None = None) -> Corpus:
    """Return the user's text corpus at ``path``, or the standard library corpus (cached) when None."""
    if path is not None:
        return load_text_corpus(path)
    if "stdlib" not in _STDLIB_CACHE:
        _STDLIB_CACHE["stdlib"] = load_stdlib_corpus()
    return _STDLIB_CACHE["stdlib"]


def sample_batch(tokens: torch.Tensor, batch_size: int, seq_len: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``batch_size`` random windows of ``seq_len + 1`` bytes; return inputs and next-byte targets."""
    starts = torch.randint(0, tokens.numel() - seq_len - 1, (batch_size,), generator=generator)
    windows = torch.stack([tokens[s: s + seq_len + 1] for s in starts.tolist()]).long()
    return windows[:, :-1], windows[:, 1:]
