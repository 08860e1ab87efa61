"""Tests of course_utils.gradients: the gradient-vs-distance measurement (notebooks 01 and 03)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_utils.gradients import gradient_norm_to_first_token, gradient_norms_by_distance
from course_utils.rnn import gru, lstm, tanh_rnn


def test_linear_model_gives_the_known_jacobian_norm():
    # y_t = x_t @ A + x_1 @ B: ∂y_last/∂x_1 = Bᵀ for length > 1, (A + B)ᵀ for length 1
    gen = torch.Generator().manual_seed(0)
    A, B = torch.randn(3, 5, generator=gen), torch.randn(3, 5, generator=gen)

    def model(x):
        return x @ A + x[:1] @ B

    assert gradient_norm_to_first_token(model, 4, 3, n_trials=2) == pytest.approx(
        float(B.norm()), rel=1e-5
    )
    assert gradient_norm_to_first_token(model, 1, 3, n_trials=2) == pytest.approx(
        float((A + B).norm()), rel=1e-5
    )


def test_model_that_ignores_token_one_has_zero_gradient():
    assert gradient_norm_to_first_token(lambda x: x * 2.0, 5, 4, n_trials=1) == 0.0


def test_self_attention_like_callable_is_accepted():
    mha = torch.nn.MultiheadAttention(8, 2)

    def self_attention(x):  # (length, d) -> (length, d)
        return mha(x[:, None], x[:, None], x[:, None])[0][:, 0]

    g = gradient_norms_by_distance(lambda: self_attention, [1, 20], d=8, n_trials=2)
    assert g.shape == (2,) and np.all(g > 0)


def test_tanh_rnn_gradient_vanishes_over_distance_50():
    for seed in (0, 7, 11):
        g = gradient_norms_by_distance(
            lambda s: tanh_rnn(8, s), [1, 51], d=8, n_trials=3, seed=seed
        )
        assert g[0] / g[1] >= 100


def test_gated_rnns_with_open_gates_keep_the_gradient_longer():
    rnn = gradient_norms_by_distance(lambda s: tanh_rnn(8, s), [1, 51], d=8, n_trials=2)
    for factory in (lstm, gru):
        gated = gradient_norms_by_distance(lambda s, f=factory: f(8, s), [1, 51], d=8, n_trials=2)
        assert gated[0] / gated[1] < 100 < rnn[0] / rnn[1]


def test_measurement_is_deterministic_and_does_not_touch_the_global_rng():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = gradient_norms_by_distance(
        lambda s: tanh_rnn(4, s, hidden=8), [1, 5], d=4, n_trials=2, seed=3
    )
    assert torch.rand(1) == before
    b = gradient_norms_by_distance(
        lambda s: tanh_rnn(4, s, hidden=8), [1, 5], d=4, n_trials=2, seed=3
    )
    np.testing.assert_array_equal(a, b)


def test_no_underflow_at_long_distances():
    g = gradient_norms_by_distance(lambda s: tanh_rnn(8, s), [100], d=8, n_trials=1)
    assert 0 < g[0] < 1e-15


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"length": 0}, "length"),
        ({"length": 2.5}, "length"),
        ({"length": "3"}, "length"),
        ({"d": 0}, "d must"),
        ({"n_trials": True}, "n_trials"),
        ({"seed": -1}, "seed"),
        ({"d": None}, "d must"),
    ],
)
def test_bad_arguments_get_a_clear_message(kwargs, message):
    args = {
        "model": tanh_rnn(3, 0, hidden=4),
        "length": 3,
        "d": 3,
        "n_trials": 1,
        "seed": 0,
        **kwargs,
    }
    with pytest.raises((ValueError, TypeError), match=message):
        gradient_norm_to_first_token(**args)


def test_bad_models_get_a_clear_message():
    with pytest.raises(TypeError, match="must be a function"):
        gradient_norm_to_first_token(np.zeros(3), 3, 3)
    with pytest.raises(ValueError, match=r"\(length, d_out\)"):
        gradient_norm_to_first_token(lambda x: x.sum(0), 3, 3)
    with pytest.raises(ValueError, match="does not depend on x"):
        gradient_norm_to_first_token(lambda x: x.detach(), 3, 3)
    with pytest.raises(TypeError, match="torch.Tensor"):
        gradient_norm_to_first_token(lambda x: x.detach().numpy(), 3, 3)
    with pytest.raises(ValueError, match="distances is empty"):
        gradient_norms_by_distance(lambda s: tanh_rnn(3, s), [], d=3)
    with pytest.raises(TypeError, match="model_factory"):
        gradient_norms_by_distance(tanh_rnn(3, 0)(torch.zeros(2, 3)), [1], d=3)


def test_fast_batched_path_equals_the_generic_loop():
    for model in (tanh_rnn(5, 1, hidden=6), lstm(5, 1, hidden=6), gru(5, 1, hidden=6)):
        fast = gradient_norm_to_first_token(model, 9, 5, n_trials=3, seed=2)
        slow = gradient_norm_to_first_token(lambda x, m=model: m(x), 9, 5, n_trials=3, seed=2)
        assert fast == pytest.approx(slow, rel=1e-6)


# ------------------------------------------------------------------ fuzz: every bad input is named
def test_fuzz_the_measurement():
    from fuzz import assert_all_kind, fuzz, public_callables

    from course_utils import gradients

    assert public_callables(gradients) == [
        "gradient_norm_to_first_token",
        "gradient_norms_by_distance",
    ]
    model = tanh_rnn(3, 0, hidden=4)
    valid_seeds = [("seed", "0"), ("seed", "huge")]  # legitimate seeds
    assert_all_kind(
        fuzz(
            gradient_norm_to_first_token,
            {"model": model, "length": 3, "d": 3, "n_trials": 1, "seed": 0},
            allowed=valid_seeds,
        ),
        fuzz(
            gradient_norms_by_distance,
            {
                "model_factory": lambda s: tanh_rnn(3, s, hidden=4),
                "distances": [1, 2],
                "d": 3,
                "n_trials": 1,
                "seed": 0,
            },
            allowed=valid_seeds,
        ),
    )
