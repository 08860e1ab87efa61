"""Fuzz the public helpers of notebooks 03 and 05 (issue 14): every bad input gets a clear
ValueError/TypeError from course_utils that names the argument, or a documented result."""

import matplotlib
import numpy as np
import pytest
from fuzz import assert_all_kind, fuzz, public_callables

matplotlib.use("Agg")

from course_utils.checks import self_attention as checks_sa  # noqa: E402
from course_utils.widgets import scaling as ws  # noqa: E402
from course_utils.widgets import self_attention as wsa  # noqa: E402

RNG = np.random.default_rng(0)
Q3, K3, V3 = (RNG.normal(size=(3, 4)) for _ in range(3))
Q_1024, K_1024 = ws.query_and_keys(16, 0)

# valid arguments for every public helper, and the inputs whose normal return is documented
CASES = {
    "entropy": (ws.entropy, {"weights": np.full((2, 4), 0.25)}, [("weights", "one axis fewer")]),
    "query_and_keys": (
        ws.query_and_keys,
        {"n_keys": 16, "seed": 0},
        [("seed", "0"), ("seed", "huge")],
    ),
    "weights_for": (
        ws.weights_for,
        {"q": Q_1024, "K": K_1024, "d_k": 64, "scale": True},
        [("scale", "True"), ("scale", "False")],
    ),
    "make_scaling_explorer": (
        ws.make_scaling_explorer,
        {"n_keys": 16, "seed": 0, "d_k": 256, "scale": False},
        [("seed", "0"), ("seed", "huge"), ("scale", "True"), ("scale", "False")],
    ),
    "token_step": (wsa.token_step, {"Q": Q3, "K": K3, "V": V3, "i": 1}, [("i", "0")]),
    "make_self_attention_explorer": (
        wsa.make_self_attention_explorer,
        {
            "tokens": ["Der", "schlaue", "Fuchs"],
            "Q": Q3,
            "K": K3,
            "V": V3,
            "token": "Fuchs",
            "step": 3,
        },
        [("token", "None")],
    ),
    "equivariance_error": (
        checks_sa.equivariance_error,
        {"layer": np.tanh, "X": RNG.normal(size=(5, 4)), "perm": np.array([1, 2, 3, 4, 0])},
        [],
    ),
}


def test_every_public_helper_is_fuzzed():
    helpers = set(public_callables(ws)) | set(public_callables(wsa)) | {"equivariance_error"}
    assert helpers <= set(CASES), helpers - set(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_gets_a_clear_message(name):
    fn, kwargs, allowed = CASES[name]
    assert_all_kind(fuzz(fn, kwargs, allowed=allowed, timeout=20.0))
