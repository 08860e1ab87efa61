"""Pre-train notebook 08's tiny BERT for longer than the notebook can, and save its weights.

Usage:
  python tools/make_bert_checkpoint.py                  write course_utils/data/tiny_bert.pt
  python tools/make_bert_checkpoint.py --check          re-make it, compare (about 2 min)
  python tools/make_bert_checkpoint.py --quick-check    the recipe's first 100 steps against
                                                        the losses recorded below (seconds; CI)
  python tools/make_bert_checkpoint.py --seed 7 --trace 500 1000 2000 [--post-ln]
        print the noun-topic accuracy at those steps; writes nothing
  python tools/make_bert_checkpoint.py --seeds 5971 7216 … [--device cuda] [--jobs 8]
        run the whole recipe for each seed and print notebook 08's pre-training measures
        (word class, exact word, noun topic, against the best possible) as JSON lines

The notebook pre-trains the same model live for a few hundred steps, then loads this file
(with ``torch.load(..., weights_only=True)``). The model's architecture is ``TinyBert``'s
defaults; the training settings are the ones below.

The bytes written do not depend on the output's file name (``torch.save`` to a path would
name the archive's folder after it), so the same seed, torch version and CPU give the same file.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from course_utils import seed_everything
from course_utils.bert import TinyBert, Tokenizer, fill_mask, masked_guesses, pretrain
from course_utils.corpus import NOUNS, TOPICS, blank_posteriors, load_corpus, word_classes

SHIPPED = Path(__file__).resolve().parents[1] / "course_utils/data/tiny_bert.pt"

# The recipe of the shipped checkpoint (its architecture: TinyBert's defaults).
SEED, STEPS, BATCH_SIZE, LR = 0, 5000, 64, 3e-3

# The recipe's mean loss over steps 1-10, 11-25, 26-50 and 51-100 (seed 0, one CPU thread,
# torch 2.13.0+cpu, x86-64). --quick-check re-runs those 100 steps: a change to the tokenizer,
# the masking, the model, its initialisation or the loop moves these by far more than 1e-3.
QUICK_STEPS = 100
QUICK_LOSSES = [5.0686, 4.1385, 3.1681, 2.5756]


def checkpoint_bytes(state: dict[str, torch.Tensor]) -> bytes:
    """The state dict as ``torch.save`` writes it, independent of any file name."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu().clone() for k, v in state.items()}, buffer)
    return buffer.getvalue()


def quick_losses(losses: list[float]) -> list[float]:
    """Mean loss over steps 1-10, 11-25, 26-50, 51-100: the --quick-check fingerprint."""
    cuts = ((0, 10), (10, 25), (25, 50), (50, 100))
    return [round(sum(losses[a:b]) / (b - a), 4) for a, b in cuts]


def measures(model: TinyBert, tok: Tokenizer, held_out: list[str]) -> dict[str, float]:
    """Notebook 08's three top-1 measures on every held-out blank, and the best possible."""
    model = model.cpu().eval()
    posteriors = blank_posteriors(held_out)
    hidden, guesses = masked_guesses(model, tok, held_out)
    assert hidden == [h for h, _ in posteriors]
    classes = {w: word_classes(w) for w in tok.vocab[tok.n_special :]}
    topic_of = {n: t for t in TOPICS for n in NOUNS[t]}
    noun_blanks = [(h, g) for h, g in zip(hidden, guesses, strict=True) if h in topic_of]
    out = {
        "word class": sum(
            bool(classes.get(g, set()) & classes[h]) for h, g in zip(hidden, guesses, strict=True)
        )
        / len(hidden),
        "exact word": sum(h == g for h, g in zip(hidden, guesses, strict=True)) / len(hidden),
        "noun topic": sum(topic_of.get(g) == topic_of[h] for h, g in noun_blanks)
        / len(noun_blanks),
    }
    best_exact = sum(max(d.values()) for _, d in posteriors) / len(posteriors)
    best_topic = [
        max(sum(p for w, p in d.items() if topic_of.get(w) == t) for t in TOPICS)
        for h, d in posteriors
        if h in topic_of
    ]
    out["best exact word"] = best_exact
    out["best noun topic"] = sum(best_topic) / len(best_topic)
    probe = [
        fill_mask(model, tok, f"{'an' if n[0] in 'aeiou' else 'a'} {n} is a kind of [MASK]", 1)[0][
            0
        ]
        == t
        for t in TOPICS
        for n in NOUNS[t]
    ]
    out["kind-of probe"] = sum(probe) / len(probe)
    return out


def run_recipe(
    seed: int, steps: int, post_ln: bool = False, device: str = "cpu", trace: tuple[int, ...] = ()
) -> tuple[TinyBert, list[float], list[str]]:
    """Pre-train a TinyBert with the recipe.

    Print the noun-topic accuracy at the ``trace`` steps.
    """
    seed_everything(seed)  # also fixes torch to one thread
    train, held_out = load_corpus()
    tok = Tokenizer(train)
    model = TinyBert(len(tok), norm_first=not post_ln).to(device)
    nouns = {n for t in TOPICS for n in NOUNS[t]}

    def at_step(step: int) -> None:
        if step in trace:
            probe = TinyBert(len(tok), norm_first=not post_ln)
            probe.load_state_dict({k: v.cpu() for k, v in model.state_dict().items()})
            hidden, guesses = masked_guesses(probe, tok, held_out[:400], only=nouns)
            topic = {n: t for t in TOPICS for n in NOUNS[t]}
            acc = sum(topic.get(g) == topic[h] for h, g in zip(hidden, guesses, strict=True))
            print(
                f"seed {seed} step {step}: noun-topic accuracy {acc / len(hidden):.2f}", flush=True
            )

    losses = pretrain(
        model,
        tok,
        train,
        steps=steps,
        batch_size=BATCH_SIZE,
        lr=LR,
        seed=seed,
        after_step=at_step if trace else None,
    )
    return model.cpu(), losses, held_out


def one_seed(job: tuple[int, int, bool, str]) -> dict:
    """The recipe under one seed, and the notebook's measures (for --seeds)."""
    seed, steps, post_ln, device = job
    start = time.perf_counter()
    model, losses, held_out = run_recipe(seed, steps, post_ln, device)
    tok = Tokenizer(load_corpus()[0])
    return {
        "seed": seed,
        "steps": steps,
        "post_ln": post_ln,
        "device": device,
        "seconds": round(time.perf_counter() - start, 1),
        "final loss": round(sum(losses[-50:]) / len(losses[-50:]), 3),
        **{k: round(v, 4) for k, v in measures(model, tok, held_out).items()},
    }


def main() -> int:
    """Pre-train with the checkpoint's settings and write (or check) the state dict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write: compare the freshly trained weights with --out",
    )
    parser.add_argument(
        "--quick-check",
        action="store_true",
        help=f"run the recipe's first {QUICK_STEPS} steps and compare their "
        "losses with the recorded ones (a few seconds)",
    )
    parser.add_argument(
        "--trace",
        type=int,
        nargs="+",
        metavar="STEP",
        help="print the noun-topic accuracy on the noun blanks of the first 400 held-out "
        "sentences at these steps (the data README's table); writes nothing",
    )
    parser.add_argument(
        "--post-ln",
        action="store_true",
        help="with --trace/--seeds: BERT's post-LN blocks, not the course's pre-LN",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        metavar="SEED",
        help="run the recipe for each seed; print the notebook's measures",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="with --seeds or --trace: cpu or cuda (cuda: not bit-equal to the CPU run)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="with --seeds: processes at once")
    args = parser.parse_args()
    if args.post_ln and not (args.trace or args.seeds):
        parser.error("--post-ln is an experiment: use it with --trace or --seeds")

    if args.quick_check:
        start = time.perf_counter()
        _, losses, _ = run_recipe(SEED, QUICK_STEPS)
        got = quick_losses(losses)
        # OneCycleLR depends on the total number of steps: the quick run has its own schedule.
        ok = all(abs(a - b) < 1e-3 for a, b in zip(got, QUICK_LOSSES, strict=True))
        print(
            f"recipe's first {QUICK_STEPS} steps: mean losses {got} "
            f"(recorded {QUICK_LOSSES}) in {time.perf_counter() - start:.1f} s: "
            + ("same recipe" if ok else "CHANGED")
        )
        return 0 if ok else 1

    if args.seeds:
        jobs = [(s, args.steps, args.post_ln, args.device) for s in args.seeds]
        if args.jobs == 1:  # in this process: nothing to pickle
            for job in jobs:
                print(json.dumps(one_seed(job)), flush=True)
            return 0

        # Several seeds at once: one process of this tool per seed (a worker pool would have to
        # pickle the job, and its workers lost sight of one_seed after their first job).
        def run_one(job: tuple) -> str:
            cmd = [
                sys.executable,
                __file__,
                "--seeds",
                str(job[0]),
                "--steps",
                str(job[1]),
                "--device",
                job[3],
            ] + (["--post-ln"] if job[2] else [])
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout

        with ThreadPoolExecutor(args.jobs) as pool:
            for out in pool.map(run_one, jobs):
                print(out, end="", flush=True)
        return 0

    start = time.perf_counter()
    model, losses, _ = run_recipe(
        args.seed, args.steps, args.post_ln, args.device, trace=tuple(args.trace or ())
    )
    print(
        f"{args.steps} steps in {time.perf_counter() - start:.0f} s; "
        f"loss {sum(losses[:20]) / 20:.2f} -> {sum(losses[-20:]) / 20:.2f}"
    )
    if args.trace:
        return 0
    data = checkpoint_bytes(model.state_dict())
    if args.check:
        shipped = torch.load(args.out, weights_only=True)
        fresh = model.state_dict()
        same_tensors = shipped.keys() == fresh.keys() and all(
            torch.equal(shipped[k], fresh[k]) for k in fresh
        )
        same_bytes = args.out.read_bytes() == data
        print(f"same tensors as {args.out}: {same_tensors}; same bytes: {same_bytes}")
        return 0 if same_tensors else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
