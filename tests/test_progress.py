"""The progress record survives every bad state with nothing lost and never breaks a lesson."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from course_utils import progress

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_session():
    """Each test starts like a new kernel: nothing pending in memory, no warning given yet."""
    progress._memory.clear()
    progress._warned.clear()
    yield
    progress._memory.clear()
    progress._warned.clear()


def stored(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["records"]


def test_the_file_comes_from_the_environment_or_home(monkeypatch):
    assert progress.path() == Path(os.environ["COURSE_PROGRESS_FILE"])
    monkeypatch.delenv("COURSE_PROGRESS_FILE")
    assert progress.path() == Path.home() / ".attention-course" / "progress.json"


def test_a_missing_file_and_folder_are_created_silently(tmp_path, monkeypatch, capsys):
    path = tmp_path / "new" / "folder" / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert progress.record("exercise", "04", "check_attention", passed=True)
    assert capsys.readouterr() == ("", "")  # nbval: a normal run prints nothing
    [entry] = stored(path)
    assert entry["kind"] == "exercise" and entry["notebook"] == "04" and entry["passed"] is True
    assert entry["item"] == "check_attention" and "time" in entry


def test_an_empty_file_is_treated_as_new(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    path.write_text("  \n")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        progress.record("exercise", "01", "check_a", passed=True)
    assert len(stored(path)) == 1


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"records": 3}', b"[1, 2]", b"\xff\xfe garbage", b'{"version": 1}'],
)
def test_a_corrupt_file_is_kept_aside_and_a_fresh_one_started(tmp_path, monkeypatch, content):
    path = tmp_path / "progress.json"
    path.write_bytes(content)
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    with pytest.warns(progress.ProgressWarning, match="kept as progress.json.corrupt-"):
        assert progress.record("exercise", "02", "check_b", passed=True)
    [aside] = tmp_path.glob("progress.json.corrupt-*")
    assert aside.read_bytes() == content  # nothing lost
    assert [r["item"] for r in stored(path)] == ["check_b"]


def test_a_read_only_file_warns_once_and_keeps_records_in_memory(tmp_path, monkeypatch, capsys):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    progress.record("exercise", "03", "check_first", passed=True)
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        with pytest.warns(progress.ProgressWarning, match="not being saved") as caught:
            assert progress.record("exercise", "03", "check_second", passed=True) is False
            assert progress.record("prediction", "03", "03.p", guess="a", right=True) is False
        assert len(caught) == 1  # one clear warning, not one per record
        assert path.read_bytes() == before  # the learner's read-only file is respected
        assert [r["item"] for r in progress.records()] == ["check_first", "check_second", "03.p"]
        assert progress.summary()["03"] == {
            "exercises_passed": 2,
            "predictions_made": 1,
            "predictions_right": 1,
        }
    finally:
        path.chmod(0o644)
    # writable again: the records kept in memory reach the file with the next one
    progress.record("exercise", "03", "check_third", passed=True)
    assert [r["item"] for r in stored(path)] == [
        "check_first",
        "check_second",
        "03.p",
        "check_third",
    ]
    assert capsys.readouterr().out == ""


def test_an_unwritable_folder_never_raises_into_the_lesson(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(blocker / "progress.json"))
    with pytest.warns(progress.ProgressWarning, match="cannot be written"):
        assert progress.record("exercise", "05", "check_c", passed=False) is False
    assert progress.records()[0]["item"] == "check_c"


def test_a_failing_replace_keeps_the_old_file_and_the_record(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    progress.record("exercise", "06", "check_a", passed=True)

    def refuse(*args, **kwargs):
        raise PermissionError("read-only folder")

    monkeypatch.setattr(progress.os, "replace", refuse)
    with pytest.warns(progress.ProgressWarning):
        progress.record("exercise", "06", "check_b", passed=True)
    assert [r["item"] for r in stored(path)] == ["check_a"]
    assert not list(tmp_path.glob(".progress.json.*.tmp"))  # no temp file left behind
    assert [r["item"] for r in progress.records()] == ["check_a", "check_b"]


def _append_many(path: str, worker: int, count: int) -> None:
    os.environ["COURSE_PROGRESS_FILE"] = path
    for i in range(count):
        progress.record("exercise", "07", f"w{worker}-{i}", passed=True)


def test_two_kernels_appending_at_once_lose_nothing(tmp_path):
    path = tmp_path / "progress.json"
    ctx = multiprocessing.get_context("spawn" if sys.platform == "darwin" else "fork")
    workers = [ctx.Process(target=_append_many, args=(str(path), w, 60)) for w in range(3)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(60)
        assert p.exitcode == 0
    items = [r["item"] for r in stored(path)]
    assert len(items) == 180 and len(set(items)) == 180


def test_summary_counts_distinct_passes_and_first_guesses():
    entries = [
        {"kind": "exercise", "notebook": "01", "item": "check_a", "passed": False},
        {"kind": "exercise", "notebook": "01", "item": "check_a", "passed": True},
        {"kind": "exercise", "notebook": "01", "item": "check_a", "passed": True},
        {"kind": "check", "notebook": "01", "item": "check_b", "passed": True},
        {"kind": "prediction", "notebook": "01", "item": "01.p", "guess": "a", "right": False},
        {"kind": "prediction", "notebook": "01", "item": "01.p", "guess": "b", "right": True},
        {"kind": "prediction", "notebook": "02", "item": "02.q", "guess": 3.0, "right": True},
    ]
    assert progress.summary(entries) == {
        "01": {"exercises_passed": 2, "predictions_made": 1, "predictions_right": 0},
        "02": {"exercises_passed": 0, "predictions_made": 1, "predictions_right": 1},
    }


def test_odd_data_is_stored_as_text(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    progress.record("exercise", "08", "check_x", passed=True, detail=object)
    assert "object" in stored(path)[0]["detail"]


def test_reset_keeps_the_old_file_beside_the_new_start(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    assert progress.reset() is None
    progress.record("exercise", "01", "check_a", passed=True)
    aside = progress.reset()
    assert aside.name.startswith("progress.json.reset-") and len(stored(aside)) == 1
    assert not path.exists() and progress.summary() == {}


def test_the_command_line_shows_where_and_resets(tmp_path, capsys):
    path = Path(os.environ["COURSE_PROGRESS_FILE"])
    assert progress.main(["where"]) == 0 and capsys.readouterr().out.strip() == str(path)
    assert progress.main(["show"]) == 0 and "Nothing recorded yet" in capsys.readouterr().out
    progress.record("exercise", "04", "check_a", passed=True)
    progress.record("prediction", "04", "04.p", guess="a", right=True)
    progress.main(["show"])
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith("04 "))
    exercises, predictions, right = line.split()[-3:]
    assert exercises.split("/")[0] == "1" and predictions.split("/")[0] == "1" and right == "1"
    assert progress.main(["reset"]) == 0 and "Progress cleared" in capsys.readouterr().out
    assert not path.exists()
    assert progress.main(["bogus"]) == 2


def test_python_dash_m_runs_the_command_line(tmp_path):
    env = {**os.environ, "COURSE_PROGRESS_FILE": str(tmp_path / "p.json")}
    done = subprocess.run(
        [sys.executable, "-m", "course_utils.progress", "where"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0 and done.stdout.strip() == str(tmp_path / "p.json")
    assert "torch" not in done.stderr
