"""Pre-train notebook 08's tiny BERT for longer than the notebook can, and save its weights.

Usage: python tools/make_bert_checkpoint.py [--seed 0] [--steps 5000] [--out course_utils/data/tiny_bert.pt]
The notebook pre-trains the same model live for a few hundred steps, then loads this file
(with ``torch.load(..., weights_only=True)``). Takes a few minutes on one CPU thread.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from course_utils import seed_everything
from course_utils.bert import CHECKPOINT_CONFIG, TinyBert, Tokenizer, fill_mask, pretrain
from course_utils.corpus import NOUNS, TOPICS, load_corpus


def main() -> None:
    """Pre-train with the checkpoint's settings and write the state dict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=CHECKPOINT_CONFIG["steps"])
    parser.add_argument("--out", type=Path,
                        default=Path(__file__).resolve().parents[1] / "course_utils/data/tiny_bert.pt")
    args = parser.parse_args()
    seed_everything(args.seed)
    train, _ = load_corpus()
    tok = Tokenizer(train)
    model = TinyBert(len(tok), **CHECKPOINT_CONFIG["model"])
    start = time.perf_counter()
    losses = pretrain(model, tok, train, steps=args.steps, seed=args.seed, **CHECKPOINT_CONFIG["train"])
    print(f"{args.steps} steps in {time.perf_counter() - start:.0f} s; "
          f"loss {sum(losses[:20]) / 20:.2f} -> {sum(losses[-20:]) / 20:.2f}")
    topic_probe = sum(
        fill_mask(model, tok, f"{'an' if n[0] in 'aeiou' else 'a'} {n} is a kind of [MASK]", 1)[0][0] == t
        for t in TOPICS for n in NOUNS[t]) / sum(len(v) for v in NOUNS.values())
    print(f"'X is a kind of [MASK]' answered with X's topic for {topic_probe:.0%} of the nouns")
    torch.save({k: v.clone() for k, v in model.state_dict().items()}, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
