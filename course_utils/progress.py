"""Your progress through the course, kept in one small JSON file on your own machine.

Checkers (when an exercise passes or fails) and predictions (when you lock in a guess) call
``record(kind, notebook, item, **data)``. Nothing is ever sent anywhere. The file is
``$COURSE_PROGRESS_FILE`` when that is set, else ``~/.attention-course/progress.json``.

    python -m course_utils.progress show    # the course map: per notebook, what you have done
    python -m course_utils.progress where   # where the file is
    python -m course_utils.progress reset   # start again (the old file is kept beside it)

Recording never interrupts a lesson: a missing file is created, an empty one is treated as
new, a corrupt one is renamed aside (``progress.json.corrupt-<time>``, nothing is lost) and
a fresh one started, and a file or folder that cannot be written gives one warning while
the records stay in memory for the session. Two notebooks writing at once lose nothing: each
write holds a lock and replaces the file atomically. In a normal run it prints nothing.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import stat
import sys
import tempfile
import warnings
from collections import defaultdict
from pathlib import Path

try:  # Linux, macOS, Colab
    import fcntl
except ImportError:  # Windows
    fcntl = None
try:
    import msvcrt
except ImportError:
    msvcrt = None

ENV_VAR = "COURSE_PROGRESS_FILE"
DEFAULT_PATH = Path("~/.attention-course/progress.json")
VERSION = 1
EXERCISE = "exercise"  # data: passed=bool (a checker's verdict)
PREDICTION = "prediction"  # data: guess=…, right=bool or None
EXERCISE_KINDS = {EXERCISE, "check", "checker"}

__all__ = ["record", "records", "summary", "path", "reset", "ProgressWarning"]

_memory: dict[str, list[dict]] = defaultdict(list)  # per file: records not written yet
_warned: set[str] = set()


class ProgressWarning(UserWarning):
    """Something is wrong with the progress file; the lesson itself is unaffected."""


def path() -> Path:
    """The progress file: ``$COURSE_PROGRESS_FILE`` or ``~/.attention-course/progress.json``."""
    raw = os.environ.get(ENV_VAR, "").strip()
    return Path(raw).expanduser() if raw else DEFAULT_PATH.expanduser()


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, ProgressWarning, stacklevel=3)


def _stamp() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


@contextlib.contextmanager
def _locked(file: Path):
    """Hold an exclusive lock on ``<file>.lock`` (fcntl, or msvcrt on Windows) while writing."""
    file.parent.mkdir(parents=True, exist_ok=True)
    with open(file.with_name(file.name + ".lock"), "a+") as lock:
        if fcntl is not None:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        elif msvcrt is not None:  # Windows: lock the first byte, retrying for about 10 s
            lock.seek(0)
            msvcrt.locking(lock.fileno(), msvcrt.LK_LOCK, 1)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
            elif msvcrt is not None:
                lock.seek(0)
                msvcrt.locking(lock.fileno(), msvcrt.LK_UNLCK, 1)


def _read(file: Path, *, repair: bool) -> list[dict]:
    """The records stored in ``file``; missing or empty → []; corrupt → set aside (if repair)."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return []
    if not raw.strip():
        return []
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("records"), list):
            raise ValueError("not a progress file (no 'records' list)")
        return [r for r in data["records"] if isinstance(r, dict)]
    except (ValueError, UnicodeDecodeError) as exc:
        if not repair:
            return []
        aside = file.with_name(f"{file.name}.corrupt-{_stamp()}")
        os.replace(file, aside)
        warnings.warn(
            f"Your progress file {file} could not be read ({exc}); it was kept as {aside.name} "
            "and a fresh one started.",
            ProgressWarning,
            stacklevel=4,
        )
        return []


def _read_only(file: Path) -> bool:
    """True when the learner (or the system) made the file itself read-only."""
    try:
        return not file.stat().st_mode & stat.S_IWUSR
    except FileNotFoundError:
        return False


def _write(file: Path, entries: list[dict]) -> None:
    """Replace ``file`` atomically with ``entries`` (temp file in the same folder, then rename)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(
                {"version": VERSION, "records": entries},
                fh,
                ensure_ascii=False,
                indent=1,
                default=str,
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def record(kind: str, notebook: str, item: str, **data) -> bool:
    """Append one record (kind, notebook, item, time, data); True when it reached the file.

    Never raises: a problem with the file gives one warning and keeps the record in memory.
    """
    entry = {
        "kind": str(kind),
        "notebook": str(notebook),
        "item": str(item),
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        **data,
    }
    file = path()
    pending = _memory[str(file)]
    pending.append(entry)
    try:
        if _read_only(file):
            raise PermissionError(f"{file} is read-only")
        with _locked(file):
            stored = _read(file, repair=True)
            _write(file, stored + pending)
    except Exception as exc:  # noqa: BLE001 - the learner's cell must never fail here
        _warn_once(
            str(file),
            f"Your progress is not being saved: {file} cannot be written ({exc}). This "
            f"session's records are kept in memory; set {ENV_VAR} to a writable file to keep "
            "them.",
        )
        return False
    pending.clear()
    return True


def records() -> list[dict]:
    """Every record: those in the file, then any this session could not write."""
    try:
        stored = _read(path(), repair=False)
    except OSError:
        stored = []
    return stored + list(_memory.get(str(path()), []))


def summary(entries: list[dict] | None = None) -> dict[str, dict[str, int]]:
    """Per notebook: exercises passed (distinct), predictions made, predictions right.

    A prediction counts by its first locked-in guess: predict, then run.
    """
    entries = records() if entries is None else entries
    passed: dict[str, set] = defaultdict(set)
    first_guess: dict[str, dict] = defaultdict(dict)
    for r in entries:
        nb, item, kind = r.get("notebook", "?"), r.get("item", "?"), r.get("kind")
        if kind in EXERCISE_KINDS and r.get("passed") is True:
            passed[nb].add(item)
        elif kind == PREDICTION:
            first_guess[nb].setdefault(item, r)
    out = {}
    for nb in sorted(set(passed) | set(first_guess)):
        guesses = first_guess[nb].values()
        out[nb] = {
            "exercises_passed": len(passed[nb]),
            "predictions_made": len(guesses),
            "predictions_right": sum(1 for g in guesses if g.get("right") is True),
        }
    return out


def reset() -> Path | None:
    """Start again: the current file is renamed to ``progress.json.reset-<time>``; returns it."""
    file = path()
    _memory.pop(str(file), None)
    if not file.exists():
        return None
    with _locked(file):
        aside = file.with_name(f"{file.name}.reset-{_stamp()}")
        os.replace(file, aside)
    return aside


def _course_map() -> dict[str, dict]:
    """Titles and totals (exercises, predictions) per notebook, read from a course checkout."""
    folder = Path(__file__).resolve().parents[1] / "notebooks"
    out: dict[str, dict] = {}
    for nb_path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        try:
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        title, exercises, predictions = nb_path.stem[3:].replace("_", " "), 0, 0
        for cell in nb.get("cells", []):
            source = "".join(cell.get("source", []))
            if cell.get("cell_type") == "markdown" and title == nb_path.stem[3:].replace("_", " "):
                for line in source.splitlines():
                    if line.startswith("# "):
                        title = re.sub(r"^\d\d\s*[·:.-]\s*", "", line[2:].strip())
                        break
            if "solution" in cell.get("metadata", {}).get("tags", []):
                exercises += 1
            if cell.get("cell_type") == "code":
                predictions += len(re.findall(r"(?<![\w.])ask\(", source))
        out[nb_path.name[:2]] = {"title": title, "exercises": exercises, "predictions": predictions}
    return out


def _of(done: int, total: int | None) -> str:
    return f"{done}/{total}" if total else str(done)


def show(out=None) -> None:
    """Print the course map: per notebook, exercises passed, predictions made and right."""
    out = out or sys.stdout
    file = path()
    done = summary()
    course = _course_map()
    print(f"Your progress (kept only on this machine, in {file})", file=out)
    if not done:
        print("Nothing recorded yet: checkers and predictions record here as you work.", file=out)
    rows = sorted(set(course) | set(done))
    if not rows:
        return
    print(f"\n{'notebook':<48} {'exercises passed':>16} {'predictions':>12} {'right':>6}", file=out)
    for nb in rows:
        info, got = course.get(nb, {}), done.get(nb, {})
        title = f"{nb} {info.get('title', '')}"[:48]
        exercises = _of(got.get("exercises_passed", 0), info.get("exercises"))
        predictions = _of(got.get("predictions_made", 0), info.get("predictions"))
        print(
            f"{title:<48} {exercises:>16} {predictions:>12} {got.get('predictions_right', 0):>6}",
            file=out,
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.progress [show|reset|where]``."""
    args = sys.argv[1:] if argv is None else argv
    command = args[0] if args else "show"
    if command == "show":
        show()
    elif command == "where":
        print(path())
    elif command == "reset":
        aside = reset()
        if aside is None:
            print(f"Nothing to reset: {path()} does not exist yet.")
        else:
            print(f"Progress cleared. The old record is kept as {aside}.")
    else:
        print("usage: python -m course_utils.progress [show|reset|where]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
