"""Pre-train notebook 08's tiny BERT for longer than the notebook can, and save its weights.

Usage: python tools/make_bert_checkpoint.py [--seed 0] [--steps 5000] [--out course_utils/data/tiny_bert.pt]
       python tools/make_bert_checkpoint.py --check   (re-make it and compare with the shipped file)
       python tools/make_bert_checkpoint.py --seed 7 --trace 500 1000 2000 [--post-ln]
             (print the noun-topic accuracy at those steps; writes nothing)
The notebook pre-trains the same model live for a few hundred steps, then loads this file
(with ``torch.load(..., weights_only=True)``). About two minutes on one CPU thread.

The bytes written do not depend on the output's file name (``torch.save`` to a path would
name the archive's folder after it), so the same seed, torch version and CPU give the same file.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

import torch

from course_utils import seed_everything
from course_utils.bert import (
    CHECKPOINT_CONFIG,
    TinyBert,
    Tokenizer,
    fill_mask,
    masked_guesses,
    pretrain,
)
from course_utils.corpus import NOUNS, TOPICS, load_corpus, topic_of

SHIPPED = Path(__file__).resolve().parents[1] / "course_utils/data/tiny_bert.pt"


def checkpoint_bytes(state: dict[str, torch.Tensor]) -> bytes:
    """The state dict as ``torch.save`` writes it, independent of any file name."""
    buffer = io.BytesIO()
    torch.save({k: v.clone() for k, v in state.items()}, buffer)
    return buffer.getvalue()


def main() -> int:
    """Pre-train with the checkpoint's settings and write (or --check) the state dict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=CHECKPOINT_CONFIG["steps"])
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument("--check", action="store_true",
                        help="do not write: compare the freshly trained weights with --out")
    parser.add_argument("--trace", type=int, nargs="+", metavar="STEP",
                        help="print the noun-topic accuracy on 400 held-out sentences at these "
                             "steps (notebook 08's measure); writes nothing")
    parser.add_argument("--post-ln", action="store_true",
                        help="with --trace: BERT's post-LN blocks instead of the course's pre-LN")
    args = parser.parse_args()
    if args.post_ln and not args.trace:
        parser.error("--post-ln is an experiment: use it with --trace (the shipped model is pre-LN)")
    seed_everything(args.seed)  # also fixes torch to one thread
    train, held_out = load_corpus()
    tok = Tokenizer(train)
    model = TinyBert(len(tok), **{**CHECKPOINT_CONFIG["model"], "norm_first": not args.post_ln})
    nouns = {n for t in TOPICS for n in NOUNS[t]}

    def trace(step: int) -> None:
        """At the --trace steps, print how often a masked noun's top guess has its topic."""
        if step in (args.trace or ()):
            hidden, guesses = masked_guesses(model, tok, held_out[:400], only=nouns)
            accuracy = sum(g in nouns and topic_of(g) == topic_of(h) for h, g in zip(hidden, guesses, strict=True))
            print(f"step {step}: noun-topic accuracy {accuracy / len(hidden):.2f}", flush=True)
            model.train()

    start = time.perf_counter()
    losses = pretrain(model, tok, train, steps=args.steps, seed=args.seed, after_step=trace,
                      **CHECKPOINT_CONFIG["train"])
    print(f"{args.steps} steps in {time.perf_counter() - start:.0f} s; "
          f"loss {sum(losses[:20]) / 20:.2f} -> {sum(losses[-20:]) / 20:.2f}")
    topic_probe = sum(
        fill_mask(model, tok, f"{'an' if n[0] in 'aeiou' else 'a'} {n} is a kind of [MASK]", 1)[0][0] == t
        for t in TOPICS for n in NOUNS[t]) / sum(len(v) for v in NOUNS.values())
    print(f"'X is a kind of [MASK]' answered with X's topic for {topic_probe:.0%} of the nouns")
    if args.trace:
        return 0
    data = checkpoint_bytes(model.state_dict())
    if args.check:
        shipped = torch.load(args.out, weights_only=True)
        fresh = model.state_dict()
        same_tensors = shipped.keys() == fresh.keys() and all(torch.equal(shipped[k], fresh[k]) for k in fresh)
        same_bytes = args.out.read_bytes() == data
        print(f"same tensors as {args.out}: {same_tensors}; same bytes: {same_bytes}")
        return 0 if same_tensors else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
