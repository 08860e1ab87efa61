"""Tests of course_utils.rnn: the recurrent layers whose gradients notebook 01 measures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.gradients import gradient_norms_by_distance
from course_utils.rnn import SequenceModel, gru, lstm, tanh_rnn


def test_spectral_radius_knob():
    small = gradient_norms_by_distance(
        lambda s: tanh_rnn(8, s, spectral_radius=0.5), [20], d=8, n_trials=2
    )
    big = gradient_norms_by_distance(
        lambda s: tanh_rnn(8, s, spectral_radius=1.0), [20], d=8, n_trials=2
    )
    assert small[0] < big[0]
    with pytest.raises(ValueError, match="spectral_radius"):
        tanh_rnn(8, 0, spectral_radius=-1)


def test_rnn_models_accept_batches():
    model = tanh_rnn(4, 0, hidden=5)
    assert model(torch.zeros(7, 4)).shape == (7, 5)
    assert model(torch.zeros(7, 3, 4)).shape == (7, 3, 5)
    with pytest.raises(ValueError, match="shape"):
        model(torch.zeros(4))
    assert repr(model) == "tanh_rnn(d=4, hidden=5)"


def test_builders_are_seeded_and_leave_the_global_stream_alone():
    torch.manual_seed(5)
    before = torch.rand(1)
    torch.manual_seed(5)
    a, b = tanh_rnn(3, seed=2, hidden=4), tanh_rnn(3, seed=2, hidden=4)
    assert torch.rand(1) == before
    assert torch.equal(a.module.weight_hh_l0, b.module.weight_hh_l0)
    assert isinstance(lstm(3, 0, hidden=4), SequenceModel)


def test_open_gates_set_the_gate_biases():
    model = lstm(3, 0, hidden=4, forget_bias=3.0)
    assert torch.allclose(model.module.bias_ih_l0[4:8], torch.full((4,), 1.5, dtype=torch.float64))
    model = gru(3, 0, hidden=4, update_bias=2.0)
    assert torch.allclose(model.module.bias_hh_l0[4:8], torch.ones(4, dtype=torch.float64))


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: tanh_rnn(0), "d must"),
        (lambda: tanh_rnn(3.0), "d must"),
        (lambda: tanh_rnn(3, seed=-1), "seed"),
        (lambda: tanh_rnn(3, hidden=True), "hidden"),
        (lambda: tanh_rnn(3, spectral_radius=float("nan")), "spectral_radius"),
        (lambda: tanh_rnn(3, spectral_radius="1"), "spectral_radius"),
        (lambda: lstm(3, forget_bias="3"), "forget_bias"),
        (lambda: lstm(3, forget_bias=float("inf")), "forget_bias"),
        (lambda: gru(3, update_bias=None), "update_bias"),
    ],
)
def test_bad_settings_get_a_clear_message(build, message):
    with pytest.raises((TypeError, ValueError), match=message):
        build()


def test_wrong_input_width_is_named():
    with pytest.raises(ValueError, match=r"\(length, 4\)"):
        tanh_rnn(4, 0, hidden=5)(torch.zeros(7, 3))
    assert np.isfinite(tanh_rnn(4, 0, hidden=5)(torch.zeros(2, 4)).numpy()).all()


# ------------------------------------------------------------------ fuzz: every bad input is named
def test_fuzz_the_builders():
    from fuzz import assert_all_kind, fuzz, public_callables

    from course_utils import rnn

    assert public_callables(rnn) == ["SequenceModel", "gru", "lstm", "tanh_rnn"]
    valid = [("seed", "0"), ("seed", "huge")]
    # any finite gate bias or positive radius is a legitimate setting (1e308 saturates the gate)
    biases = ["0", "-1", "2.5", "0.0", "-0.5", "negative", "1e308"]
    assert_all_kind(
        fuzz(
            tanh_rnn,
            {"d": 3, "seed": 0, "hidden": 4, "spectral_radius": 0.9},
            allowed=valid + [("spectral_radius", v) for v in ("2.5", "1e308", "None")],
        ),
        fuzz(
            lstm,
            {"d": 3, "seed": 0, "hidden": 4, "forget_bias": 3.0},
            allowed=valid + [("forget_bias", v) for v in biases],
        ),
        fuzz(
            gru,
            {"d": 3, "seed": 0, "hidden": 4, "update_bias": 3.0},
            allowed=valid + [("update_bias", v) for v in biases],
        ),
    )


def test_fuzz_the_layer_as_a_function():
    """Any real 2-D or 3-D input of width d works; NaN/inf pass through (documented)."""
    from fuzz import assert_all_kind, fuzz

    layer = tanh_rnn(3, 0, hidden=4)
    same_width = [
        "np float64 (2, 3)",
        "np float16 (2, 3)",
        "np int (2, 3)",
        "np nan (2, 3)",
        "torch float32 (2, 3)",
        "torch float16 (2, 3)",
        "torch bfloat16 (2, 3)",
        "torch long (2, 3)",
        "with a NaN",
        "with an inf",
    ]
    assert_all_kind(fuzz(lambda x: layer(x), {"x": torch.zeros(4, 3)}, allowed=same_width))
