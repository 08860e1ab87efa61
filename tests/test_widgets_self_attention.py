"""The "Der schlaue Fuchs" explorer shows the picked token's scores, weights and output."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from course_utils.attention import attention  # noqa: E402
from course_utils.widgets.self_attention import (  # noqa: E402
    make_self_attention_explorer,
    token_step,
)

TOKENS = ["Der", "schlaue", "Fuchs"]


def qkv(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(3, 4))
    return tuple(X @ rng.normal(size=(4, 4)) for _ in range(3))


def heights(bars):
    return np.array([bar.get_height() for bar in bars])


def test_first_state_is_the_last_token_at_the_last_step():
    Q, K, V = qkv()
    _, state = make_self_attention_explorer(TOKENS, Q, K, V)
    assert state["token"].value == "Fuchs" and state["step"].value == 3
    out, weights = attention(Q, K, V)
    assert np.allclose(heights(state["weight_bars"]), weights[2])
    assert np.allclose(state["output"], out[2])
    assert "output" in state["label"].value and "Fuchs" in state["label"].value


def test_picking_a_token_and_a_step_updates_pictures_and_numbers():
    Q, K, V = qkv(1)
    _, state = make_self_attention_explorer(TOKENS, Q, K, V)
    first_png = state["out"].outputs[0]["data"]["image/png"]
    state["token"].value = "Der"
    _, weights = attention(Q, K, V)
    assert np.allclose(heights(state["weight_bars"]), weights[0])
    assert np.allclose(heights(state["score_bars"]), Q[0] @ K.T / 2)
    state["step"].value = 1
    assert "weights" not in state["label"].value and "scores" in state["label"].value
    assert state["out"].outputs[0]["data"]["image/png"] != first_png


def test_token_step_is_one_row_of_attention():
    Q, K, V = qkv(2)
    scores, weights, output = token_step(Q, K, V, 1)
    out, w = attention(Q, K, V)
    assert np.allclose(weights, w[1]) and np.allclose(output, out[1])
    assert np.allclose(scores, K @ Q[1] / 2)


@pytest.mark.parametrize(
    "kwargs, phrase",
    [
        ({"tokens": ["a", "b"]}, "one query, key and value per token"),
        ({"tokens": ["a", "a", "b"]}, "distinct"),
        ({"token": "Hund"}, "must be one of"),
        ({"step": 4}, "step .1, 2 or 3. must be"),
    ],
)
def test_rejects_bad_arguments_with_a_message(kwargs, phrase):
    Q, K, V = qkv()
    args = {"tokens": TOKENS, "Q": Q, "K": K, "V": V, **kwargs}
    with pytest.raises(ValueError, match=phrase):
        make_self_attention_explorer(**args)


def test_rejects_mismatched_d_k():
    Q, K, V = qkv()
    with pytest.raises(ValueError, match="d_k"):
        make_self_attention_explorer(TOKENS, Q, K[:, :3], V)


def test_later_steps_stay_hidden_and_the_alt_text_tells_the_finding():
    Q, K, V = qkv(3)
    _, state = make_self_attention_explorer(TOKENS, Q, K, V, step=1)
    assert all(bar.get_alpha() == 0.0 for bar in state["weight_bars"])  # no spoiler at step 1
    assert "gets most" not in state["alt"] and "scores the keys" in state["alt"]
    state["step"].value = 3
    assert all(bar.get_alpha() == 1.0 for bar in state["weight_bars"])
    assert "largest weight" in state["alt"] and "output" in state["alt"]
    assert state["out"].outputs[0]["data"]["text/plain"] == state["alt"]


def test_fits_a_notebook_column_and_updates_within_250_ms():
    import time

    from course_utils.plotting import style_problems

    Q, K, V = qkv(4)
    _, state = make_self_attention_explorer(TOKENS, Q, K, V)
    assert style_problems(state["fig"]) == []
    times = []
    for token in ["Der", "schlaue", "Fuchs", "Der"]:
        start = time.process_time()  # CPU time: the python side, not the load
        state["token"].value = token
        times.append(time.process_time() - start)
    assert sorted(times)[len(times) // 2] < 0.25, times
