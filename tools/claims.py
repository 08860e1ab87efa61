"""The course's claims ledger: run the notebooks under many seeds, tabulate every claim.

    python tools/claims.py run --seeds 5971 7216 … [--only 06 …] [--jobs 2]
    python tools/claims.py report          # writes docs/claims.md and docs/claims.png
    python tools/claims.py --check         # claim ids in the notebooks == those in the ledger

``run`` executes a temporary copy of each notebook per seed (plus the default seed, whose
values are the ones stored in the notebooks) with ``COURSE_SEED`` and ``COURSE_CLAIMS_FILE``
set, so every ``claim(...)`` appends a JSON line to ``build/claims/<NN>-<seed>.jsonl``. A
failed claim is recorded and the notebook goes on (``COURSE_CLAIMS_KEEP_GOING``), so one
failure does not hide the claims after it; any other error is reported with its cell.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import tokenize
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
STORE = ROOT / "build" / "claims"
LEDGER = ROOT / "docs" / "claims.md"
FIGURE = ROOT / "docs" / "claims.png"
CLAIM_CALL = re.compile(r"""(?<![\w.])claim\(\s*(?:id\s*=\s*)?["']([^"']+)["']""")
ID_LITERAL = re.compile(r"""["'](\d\d\.[a-z0-9]+(?:-[a-z0-9]+)*)["']""")
LEDGER_ID = re.compile(r"^\|\s*`([^`]+)`\s*\|", re.MULTILINE)
DEFAULT_SEED = 0  # course_utils.reproducibility.DEFAULT_SEED (not imported: no torch here)


# --- finding claims in the notebooks ------------------------------------------------------------


def notebook_paths(only: list[str] | None = None) -> list[Path]:
    """The course notebooks (NN_*.ipynb), optionally only those numbered in ``only``."""
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {o.zfill(2) for o in only}
        paths = [p for p in paths if p.name[:2] in wanted]
    return paths


def _without_comments(source: str) -> str:
    """A cell's code with its comments removed (an id in a comment is not a claim)."""
    lines = ["" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
    code = "\n".join(lines) + "\n"
    try:
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(code).readline)
            if t.type != tokenize.COMMENT
        ]
        return tokenize.untokenize(tokens)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return re.sub(r"#[^\n\"']*$", "", code, flags=re.MULTILINE)


def ids_in_notebooks(paths: list[Path] | None = None) -> dict[str, list[str]]:
    """Claim id → the notebooks whose code cells call ``claim("<id>", …)``."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in notebook_paths() if paths is None else paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") != "code":
                continue
            source = _without_comments("".join(cell.get("source", [])))
            ids = set(CLAIM_CALL.findall(source))
            if ids or re.search(r"(?<![\w.])claim\(", source):  # also ids a loop passes on
                ids |= set(ID_LITERAL.findall(source))
            for cid in sorted(ids):
                found[cid].append(path.name)
    return dict(found)


def code_hash(path: Path) -> str:
    """A fingerprint of a notebook's code cells: a ledger run is stale when it changes."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n# ---\n".join(
        "".join(c.get("source", [])) for c in nb.get("cells", []) if c.get("cell_type") == "code"
    )
    return hashlib.sha256(code.encode("utf-8")).hexdigest()[:16]


def ids_in_ledger(path: Path | None = None) -> list[str]:
    """The claim ids listed in the ledger's table (first column, in backticks)."""
    return LEDGER_ID.findall((path or LEDGER).read_text(encoding="utf-8"))


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def check(ledger: Path | None = None) -> int:
    """0 when every claim in the notebooks is in the ledger and vice versa; else a clear diff."""
    ledger = ledger or LEDGER
    if not ledger.exists():
        print(f"{_rel(ledger)} does not exist yet: run `make claims` to create it.")
        return 1
    in_notebooks = ids_in_notebooks()
    in_ledger = ids_in_ledger(ledger)
    problems = []
    twice = {cid: nbs for cid, nbs in in_notebooks.items() if len(nbs) > 1}
    for cid, nbs in sorted(twice.items()):
        problems.append(f"  claim id {cid!r} is used {len(nbs)} times ({', '.join(sorted(nbs))})")
    for cid, nbs in sorted(in_notebooks.items()):
        if cid[:2] != nbs[0][:2]:
            problems.append(f"  claim id {cid!r} is in {nbs[0]}: its number should be {nbs[0][:2]}")
    missing = sorted(set(in_notebooks) - set(in_ledger))
    stale = sorted(set(in_ledger) - set(in_notebooks))
    if missing:
        problems.append("  in the notebooks but not in the ledger:")
        problems += [f"    + {cid}  ({in_notebooks[cid][0]})" for cid in missing]
    if stale:
        problems.append("  in the ledger but in no notebook:")
        problems += [f"    - {cid}" for cid in stale]
    if problems:
        print(f"The claims ledger {_rel(ledger)} is not current:")
        print("\n".join(problems))
        print('Regenerate it: make claims SEEDS="…" (20 seeds chosen afresh), then commit it.')
        return 1
    print(f"claims ledger current: {len(in_ledger)} claims in {_rel(ledger)}")
    return 0


# --- running ------------------------------------------------------------------------------------


def record_path(nb: Path, seed: int) -> Path:
    return STORE / f"{nb.name[:2]}-{seed}.jsonl"


def _failing_cell(nb) -> str:
    """'cell 12 (`claim("06.x", …`): AssertionError: …' for the first cell with an error."""
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")[:60]
                return f"cell {index} (`{first}`): {out.get('ename')}: {out.get('evalue')}"[:300]
    return ""


def run_one(path: Path, seed: int, timeout: int) -> dict:
    """Execute a copy of one notebook with ``seed``; its claims go to build/claims/."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    out = record_path(path, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    fingerprint = code_hash(path)
    out.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copy(path, copy)
        nb = nbformat.read(copy, as_version=4)
        env = {
            **os.environ,
            "COURSE_SEED": str(seed),
            "COURSE_CLAIMS_FILE": str(out),
            "COURSE_CLAIMS_KEEP_GOING": "1",
            "COURSE_PROGRESS_FILE": str(Path(tmp) / "progress.json"),  # never the home dir
            "MPLBACKEND": "Agg",
        }
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": tmp}}
        )
        start = time.perf_counter()
        error = ""
        try:
            client.execute(env=env)
        except CellExecutionError:
            error = _failing_cell(nb) or "a cell failed"
        except (CellTimeoutError, DeadKernelError, RuntimeError) as exc:
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
        seconds = time.perf_counter() - start
    meta = {
        "notebook": path.name,
        "seed": seed,
        "ok": not error,
        "error": error,
        "seconds": round(seconds, 1),
        "code_hash": fingerprint,
        "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    out.with_suffix(".meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


def run(seeds: list[int], only: list[str] | None, jobs: int, timeout: int) -> int:
    """Run every (notebook, seed) pair, two at a time by default; print one line per run."""
    paths = notebook_paths(only)
    if not paths:
        print(f"no notebook matches --only {' '.join(only or [])}")
        return 2
    all_seeds = [DEFAULT_SEED] + [s for s in seeds if s != DEFAULT_SEED]
    pairs = [(p, s) for s in all_seeds for p in paths]
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    failures = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_one, p, s, timeout) for p, s in pairs]
        for future in futures:
            meta = future.result()
            claims = _load(record_path(NOTEBOOKS / meta["notebook"], meta["seed"]))
            failed = [r["id"] for r in claims if not r.get("passed")]
            status = "ok  " if meta["ok"] and not failed else "FAIL"
            failures += status == "FAIL"
            detail = meta["error"] or (f"failed claims: {', '.join(failed)}" if failed else "")
            print(
                f"COURSE_SEED={meta['seed']:<6} {meta['notebook']:<34} {status} "
                f"{meta['seconds']:6.1f} s  {len(claims):3d} claims  {detail}",
                flush=True,
            )
    wall = time.perf_counter() - t0
    session = {
        "seeds": [s for s in seeds if s != DEFAULT_SEED],
        "default_seed": DEFAULT_SEED,
        "notebooks": [p.name for p in paths],
        "jobs": jobs,
        "cores": os.cpu_count(),
        "started": started.isoformat(timespec="seconds"),
        "wall_s": round(wall, 1),
    }
    STORE.mkdir(parents=True, exist_ok=True)
    previous = _sessions()
    (STORE / "sessions.json").write_text(
        json.dumps(previous + [session], indent=1), encoding="utf-8"
    )
    print(
        f"{len(pairs) - failures} runs passed, {failures} failed; wall time {wall:.0f} s "
        f"({jobs} at a time on {os.cpu_count()} cores)"
    )
    return 1 if failures else 0


# --- the report ---------------------------------------------------------------------------------


def _load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _sessions() -> list[dict]:
    path = STORE / "sessions.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _fmt(value: float | None, fmt: str | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    try:
        return (fmt or "{:.3g}").format(value)
    except (ValueError, TypeError):
        return f"{value:.3g}"


def _worst(entry: dict) -> float | None:
    """The value that decides a claim: the one nearest its bound (for sequences)."""
    values = entry.get("values") or []
    if not values:
        return None
    bound = entry.get("bound") or {}
    lo, hi = bound.get("at_least"), bound.get("at_most")
    if lo is not None and hi is None:
        return min(values)
    if hi is not None and lo is None:
        return max(values)
    if lo is not None and hi is not None:
        return min(values, key=lambda v: min(v - lo, hi - v))
    return values[0] if len(values) == 1 else None


def _bound_text(entry: dict) -> str:
    if entry.get("kind") == "holds":
        return "holds"
    bound = entry.get("bound") or {}
    lo, hi = bound.get("at_least"), bound.get("at_most")
    if lo is not None and hi is not None:
        return f"{lo:g} ≤ · ≤ {hi:g}"
    return f"≥ {lo:g}" if lo is not None else f"≤ {hi:g}"


def collect(seeds: list[int]) -> dict[str, dict]:
    """Per claim id: its sentence, bound, record at the default seed and at each ledger seed."""
    claims: dict[str, dict] = {}
    notebooks = {p.name[:2]: p.name for p in notebook_paths()}
    for seed in [DEFAULT_SEED, *seeds]:
        for nb_number in notebooks:
            for entry in _load(STORE / f"{nb_number}-{seed}.jsonl"):
                info = claims.setdefault(entry["id"], {"entry": entry, "by_seed": {}})
                info["by_seed"].setdefault(seed, entry)  # a cell run twice counts once
                if seed == DEFAULT_SEED:
                    info["entry"] = entry
    return claims


def _metas(seeds: list[int]) -> list[dict]:
    """The run records (notebook, seed, seconds, code fingerprint) for these seeds and seed 0."""
    metas = []
    for meta_path in sorted(STORE.glob("*.meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta["seed"] in seeds or meta["seed"] == DEFAULT_SEED:
            metas.append(meta)
    return metas


def _ran(seeds: list[int]) -> dict[str, list[int]]:
    """Per notebook number: the ledger seeds for which it was run."""
    ran: dict[str, list[int]] = defaultdict(list)
    for meta in _metas(seeds):
        if meta["seed"] in seeds:
            ran[meta["notebook"][:2]].append(meta["seed"])
    return ran


def _timing(sessions: list[dict], metas: list[dict], seeds: list[int]) -> str:
    """Wall time of the runs behind the table: per notebook, the latest run that covered it."""
    latest: dict[str, int] = {}
    for index, sess in enumerate(sessions):
        if set(seeds) <= set(sess["seeds"]) | {DEFAULT_SEED}:
            for name in sess["notebooks"]:
                latest[name] = index
    used = [sessions[i] for i in sorted(set(latest.values()))]
    if not used:
        return "wall time: no single run covered all these seeds"
    wall = sum(sess["wall_s"] for sess in used)
    summed = sum(m["seconds"] for m in metas)
    per_nb: dict[str, list[float]] = defaultdict(list)
    for m in metas:
        per_nb[m["notebook"][:2]].append(m["seconds"])
    means = ", ".join(f"{nb} {sum(v) / len(v):.0f} s" for nb, v in sorted(per_nb.items()))
    how = f"{used[-1]['jobs']} at a time on {used[-1]['cores']} cores"
    runs = "one run" if len(used) == 1 else f"{len(used)} runs (one or more notebooks each)"
    return (
        f"**wall time** {wall:.0f} s ({wall / 60:.1f} min) in {runs} of `tools/claims.py run`, "
        f"{how}; the {len(metas)} notebook executions add up to {summed:.0f} s. Mean seconds "
        f"per execution: {means}"
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def report(seeds: list[int] | None = None) -> int:
    """Write docs/claims.md and docs/claims.png from the records in build/claims/."""
    sessions = _sessions()
    if not sessions:
        print("no runs recorded in build/claims/: run `tools/claims.py run --seeds …` first")
        return 1
    if seeds is None:
        seeds = sessions[-1]["seeds"]
    seeds = [s for s in seeds if s != DEFAULT_SEED]
    claims = collect(seeds)
    ran = _ran(seeds)
    metas = _metas(seeds)
    in_notebooks = ids_in_notebooks()
    stale_ids = sorted(set(claims) - set(in_notebooks)) if in_notebooks else []
    for cid in stale_ids:  # recorded by an older version of a notebook: not a claim any more
        del claims[cid]
    unrecorded = sorted(set(in_notebooks) - set(claims))
    current = {p.name: code_hash(p) for p in notebook_paths()}
    changed = sorted(
        {m["notebook"] for m in metas if current.get(m["notebook"]) != m.get("code_hash")}
    )
    rows, margins, failures = [], [], []
    n_full = 0
    for cid in sorted(claims, key=lambda c: (c[:2], c)):
        info = claims[cid]
        entry = info["entry"]
        fmt = entry.get("fmt")
        by_seed = {s: e for s, e in info["by_seed"].items() if s in seeds}
        runs = sorted(ran.get(cid[:2], []))
        passes = sum(1 for s in runs if s in by_seed and by_seed[s].get("passed"))
        n_full += passes == len(runs) == len(seeds)
        worst = [_worst(e) for e in by_seed.values()]
        worst = [w for w in worst if w is not None]
        spread = f"{_fmt(min(worst), fmt)} – {_fmt(max(worst), fmt)}" if worst else "—"
        seed_margins = [e.get("margin") for e in by_seed.values()]
        numeric = [m for m in seed_margins if m is not None]
        missing = [s for s in runs if s not in by_seed]
        smallest = "—" if not numeric else f"{min(numeric):+.0%}"
        if missing:
            smallest += f" ({len(missing)} runs did not reach it)"
        stored = info["by_seed"].get(DEFAULT_SEED)
        stored_value = _fmt(_worst(stored), fmt) if stored else "not run"
        if stored and not stored.get("passed"):
            stored_value += " ✘"
        rows.append(
            f"| `{cid}` | {cid[:2]} | {_escape(entry['sentence'])} | {_bound_text(entry)} | "
            f"{stored_value} | {spread} | {passes}/{len(runs) or len(seeds)} | {smallest} |"
        )
        margins.append((cid, numeric, entry.get("kind") == "holds", passes, len(runs)))
        bad = [s for s in runs if s not in by_seed or not by_seed[s].get("passed")]
        if bad:
            failures.append(
                f"- `{cid}`: fails for seed{'s' if len(bad) > 1 else ''} "
                + ", ".join(
                    f"{s} ({_fmt(_worst(by_seed[s]), fmt) if s in by_seed else 'not reached'})"
                    for s in bad
                )
            )
    for cid in unrecorded:
        rows.append(
            f"| `{cid}` | {cid[:2]} | (not reached in any recorded run) | | | | 0/{len(seeds)} | |"
        )

    last_date = max(m.get("finished", sessions[-1]["started"]) for m in metas) if metas else ""
    total_claims = len(claims) + len(unrecorded)
    holds_only = sum(1 for m in margins if m[2])
    alt = (
        f"Smallest margin over {_plural(len(seeds), 'seed')} for each of "
        f"{len(margins) - holds_only} claims with a bound; "
        f"{sum(1 for m in margins if m[1] and min(m[1]) < 0)} fall below zero "
        f"(fail for some seed); {holds_only} yes/no claims have no margin and are not drawn."
    )
    _figure(margins, len(seeds), FIGURE)
    lines = [
        "# The claims ledger",
        "",
        "Every empirical conclusion the course draws is a named claim in its notebook: "
        "`claim(id, sentence, value, at_least=…/at_most=…)` asserts it and prints that it held. "
        "This page shows each claim re-measured under many seeds: what the course proves, and "
        "how surely. It is generated by `make claims` (`tools/claims.py`); do not edit it by "
        "hand. `make test` checks that the claim ids here are exactly those in the notebooks.",
        "",
        f"- **Seeds** ({len(seeds)}, chosen afresh for this ledger): "
        + " ".join(str(s) for s in seeds),
        f"- **Value at the stored seed**: the notebooks' own run (COURSE_SEED unset, seed "
        f"{DEFAULT_SEED}), i.e. the numbers stored in the notebooks; ✘ marks a failure.",
        "- **min – max**: over the ledger seeds, of the value nearest the bound (for a claim "
        "about several values, the worst of them).",
        "- **Smallest margin**: how far the worst value was from the bound, as a fraction of the "
        "bound (absolute when the bound is 0), over all seeds; negative means it failed. "
        "Claims stated as `holds` (orderings, yes/no) have no margin.",
        f"- **Date**: {last_date[:10]}; {_timing(sessions, metas, seeds)}.",
        f"- **{total_claims} claims**; {n_full} pass {len(seeds)}/{len(seeds)}.",
        "",
        "Demonstrations are not claims: a cell that shows something true by construction "
        "(weights sum to one, two implementations agree) uses `demo(...)`. It is checked and "
        "printed like a claim but cannot fail for another seed, so it is not counted here.",
        "",
        f"![{alt}](claims.png)",
        "",
        "| claim | nb | sentence | bound | value at the stored seed | min – max over seeds "
        "| passes | smallest margin |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    if failures:
        lines += ["## Claims that failed for some seed", "", *failures, ""]
    notes = []
    if changed:
        notes.append(
            "- ⚠ The code of "
            + ", ".join(changed)
            + " changed after its runs: re-run "
            + " ".join(f"`make claims ONLY={name[:2]}`" for name in changed)
            + "."
        )
    if stale_ids:
        notes.append(
            "- Records of ids no longer in any notebook were left out: "
            + ", ".join(f"`{c}`" for c in stale_ids)
            + "."
        )
    if notes:
        lines += ["## Notes on this ledger", "", *notes, ""]
        for note in notes:
            print(note.lstrip("- "), file=sys.stderr)
    LEDGER.parent.mkdir(parents=True, exist_ok=True)
    LEDGER.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {_rel(LEDGER)} ({total_claims} claims) and {_rel(FIGURE)}")
    return 0


def _figure(margins: list[tuple], n_seeds: int, path: Path) -> None:
    """One row per claim with a margin: every seed's margin as a dot, the smallest as a bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    drawn = [m for m in margins if m[1]]
    height = max(2.5, 0.22 * len(drawn) + 1.2)
    fig, ax = plt.subplots(figsize=(10, height), dpi=100)
    cap = 2.0  # margins above +200 % are drawn at the edge: room that large is plenty
    lowest = min((min(m[1]) for m in drawn), default=0.0)
    left = max(-1.05, min(-0.25, lowest - 0.1))  # show the failing side, as far as needed
    right_column = blended_transform_factory(ax.transAxes, ax.transData)
    for row, (_, values, _, passes, runs) in enumerate(drawn):
        shown = [max(min(v, cap), left) for v in values]
        colour = "#0072B2" if min(values) >= 0 and passes == runs else "#D55E00"
        ax.barh(row, min(shown), color=colour, alpha=0.35, height=0.7)
        ax.scatter(shown, [row] * len(shown), s=9, color=colour, zorder=3)
        smallest = min(values)
        label = "> +1000%" if smallest > 10 else f"{smallest:+.0%}"
        if passes != runs:
            label += f" ({passes}/{runs} pass)"
        ax.text(1.01, row, label, transform=right_column, va="center", fontsize=8)
    ax.axvline(0, color="black", linewidth=1)
    ax.axvspan(left, 0, color="#D55E00", alpha=0.08, linewidth=0)
    ax.set_yticks(range(len(drawn)), [m[0] for m in drawn], fontsize=8)
    ax.set_ylim(len(drawn) - 0.5, -0.5)  # first claim on top, no empty rows
    ax.set_xlim(left, cap + 0.05)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(
        f"margin (fraction of the bound; bar and right-hand number = smallest over {n_seeds} "
        f"seeds, dots = each seed; drawn up to {cap:.0%})",
        fontsize=9,
    )
    failing = sum(1 for m in drawn if min(m[1]) < 0 or m[3] < m[4])
    ax.set_title(
        f"Every claim's margin under {_plural(n_seeds, 'seed')}: "
        + ("all hold" if not failing else f"{failing} fail for some seed (orange)"),
        fontsize=11,
    )
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--check":
        argv = ["check", *argv[1:]]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run notebooks under seeds, store their claims")
    p_run.add_argument("--seeds", nargs="+", type=int, required=True)
    p_run.add_argument("--only", nargs="+", help="notebook numbers, e.g. --only 02 06")
    p_run.add_argument("--jobs", type=int, default=2)
    p_run.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    p_report = sub.add_parser("report", help="write docs/claims.md and docs/claims.png")
    p_report.add_argument("--seeds", nargs="+", type=int, help="default: those of the runs")
    sub.add_parser("check", help="the claim ids in the notebooks equal those in the ledger")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.seeds, args.only, args.jobs, args.timeout)
    if args.command == "report":
        return report(args.seeds)
    return check()


if __name__ == "__main__":
    sys.exit(main())
