"""Seeded toy sequence tasks with a length knob: copy or reverse a string of digits.

Every batch has one length (so no padding is needed); training mixes lengths by drawing
a new length for each batch. Token ids ``0 … n_symbols-1`` are the digits; ``BOS``
(= ``n_symbols``) starts the decoder. Shapes: ``src`` and ``tgt`` are ``(batch, length)``.

- ``copy``:    ``3 1 4 1 5 -> 3 1 4 1 5``  (output step i reads source position i: a diagonal)
- ``reverse``: ``3 1 4 1 5 -> 5 1 4 1 3``  (output step i reads position L-1-i: an anti-diagonal)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from course_utils._validate import float_array, non_negative_int, one_of, require, size
from course_utils._validate import seed as valid_seed

__all__ = ["TASKS", "SequenceTask", "expected_alignment", "source_position", "to_text"]

TASKS = ("copy", "reverse")


MAX_LENGTH = 10_000  # longer digit strings are of no use here, and would not fit in memory


def _check_task(name, argument: str = "task") -> str:
    return one_of(name, argument, TASKS)


def _positive_int(value, name: str) -> int:
    return size(value, name, MAX_LENGTH if "length" in name else 10**6)


def source_position(task: str, length: int) -> np.ndarray:
    """For each output step i, the source position whose token it must produce: ``(length,)``."""
    _check_task(task)
    length = _positive_int(length, "length")
    steps = np.arange(length)
    return steps if task == "copy" else length - 1 - steps


def expected_alignment(task: str, length: int) -> np.ndarray:
    """The ideal attention matrix ``(output steps, source positions)``: 1 where step i must look."""
    target = source_position(task, length)
    alignment = np.zeros((length, length))
    alignment[np.arange(length), target] = 1.0
    return alignment


def to_text(tokens, bos: int | None = None) -> list[str]:
    """Token ids as labels for plots: digits as ``'3'``, the start token as ``'<s>'``."""
    arr = float_array(tokens, "tokens", ndim=1)
    require(np.all(arr == np.round(arr)), "tokens must be whole-number token ids; got fractions.")
    bos = None if bos is None else non_negative_int(bos, "bos")
    return ["<s>" if bos is not None and int(t) == bos else str(int(t)) for t in arr]


@dataclass
class SequenceTask:
    """A toy task: random digit strings of length ``min_length … max_length`` and their targets.

    Batches come from the task's own generator (seeded with ``seed``), so the same task
    object yields the same batches on every machine and leaves the global RNG alone.
    """

    name: str = "reverse"
    n_symbols: int = 10
    min_length: int = 1
    max_length: int = 20
    seed: int = 0
    _gen: torch.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_task(self.name, "name")
        self.n_symbols = _positive_int(self.n_symbols, "n_symbols")
        if self.n_symbols < 2:
            raise ValueError(
                "n_symbols must be at least 2 (otherwise nothing is to be learned), "
                f"got {self.n_symbols}"
            )
        self.min_length = _positive_int(self.min_length, "min_length")
        self.max_length = _positive_int(self.max_length, "max_length")
        if self.min_length > self.max_length:
            raise ValueError(
                f"min_length={self.min_length} is larger than max_length={self.max_length}"
            )
        self.seed = valid_seed(self.seed)
        self._gen = torch.Generator().manual_seed(int(self.seed))

    @property
    def bos(self) -> int:
        """Id of the start-of-sequence token that the decoder reads at step 0."""
        return self.n_symbols

    @property
    def vocab_size(self) -> int:
        """Digits plus the start token."""
        return self.n_symbols + 1

    def reseed(self, seed: int) -> SequenceTask:
        """Restart the task's random stream (returns the task, for chaining)."""
        self._gen.manual_seed(valid_seed(seed))
        return self

    def sample_length(self) -> int:
        """A length drawn uniformly from ``min_length … max_length``."""
        return int(torch.randint(self.min_length, self.max_length + 1, (1,), generator=self._gen))

    def target_of(self, src: torch.Tensor) -> torch.Tensor:
        """The correct output for a batch of sources ``(batch, length)``."""
        return src.clone() if self.name == "copy" else src.flip(-1)

    def batch(
        self, batch_size: int, length: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(src, tgt)``, each ``(batch_size, length)``; ``length=None`` draws one at random."""
        batch_size = _positive_int(batch_size, "batch_size")
        length = self.sample_length() if length is None else _positive_int(length, "length")
        src = torch.randint(0, self.n_symbols, (batch_size, length), generator=self._gen)
        return src, self.target_of(src)

    def alignment(self, length: int) -> np.ndarray:
        """The ideal attention matrix for this task at ``length`` (see ``expected_alignment``)."""
        return expected_alignment(self.name, length)

    def describe(self, lengths: Sequence[int] = (5,)) -> str:
        """One example per length as text, e.g. ``'3 1 4 1 5 -> 5 1 4 1 3'``."""
        gen_state = self._gen.get_state()
        lines = []
        for length in lengths:
            src, tgt = self.batch(1, length)
            lines.append(f"{' '.join(to_text(src[0]))}  ->  {' '.join(to_text(tgt[0]))}")
        self._gen.set_state(gen_state)
        return "\n".join(lines)
