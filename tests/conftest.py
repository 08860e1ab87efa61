"""What every test shares: a plot backend without windows (and no figure left open after a
test), one torch thread, a private progress file."""

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot: tests never open a window

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Close what a test drew, so figures do not pile up over the suite."""
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as in the notebooks: tiny models train faster, 2 cores do not contend."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def private_progress_file(tmp_path, monkeypatch):
    """Checkers and predictions record progress in a temporary file, never the learner's own."""
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "progress.json"))
