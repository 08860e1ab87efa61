"""seed_everything makes runs repeatable and honours $COURSE_SEED."""

import numpy as np
import pytest
import torch

from course_utils import seed_everything


def test_same_seed_same_numbers():
    seed_everything(3)
    a = (np.random.rand(), torch.rand(1).item())
    seed_everything(3)
    assert (np.random.rand(), torch.rand(1).item()) == a
    assert torch.get_num_threads() == 1


def test_course_seed_environment_variable(monkeypatch):
    monkeypatch.setenv("COURSE_SEED", "7")
    assert seed_everything() == 7
    monkeypatch.setenv("COURSE_SEED", "seven")
    with pytest.raises(ValueError, match="COURSE_SEED='seven' is not an integer"):
        seed_everything()
    monkeypatch.delenv("COURSE_SEED")
    assert seed_everything() == 0


@pytest.mark.parametrize("kwargs", [{"seed": -1}, {"seed": 1.5}, {"seed": 0, "threads": 0}])
def test_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        seed_everything(**kwargs)
