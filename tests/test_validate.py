"""The one validation path: clean values come back cleaned, bad ones get a message naming the
argument, what it got and the fix."""

import math

import numpy as np
import pytest
import torch
from fuzz import Report, assert_all_kind, fuzz, public_callables

from course_utils import _validate as v


class _Odd:
    def __repr__(self):
        raise RuntimeError("no repr")


@pytest.mark.parametrize("fn", [v.positive_int, v.non_negative_int])
def test_whole_numbers_accept_ints_and_numpy_ints(fn):
    assert fn(3, "steps") == 3 and type(fn(np.int64(3), "steps")) is int


@pytest.mark.parametrize(
    "bad, exc, fragment",
    [
        (True, TypeError, "got True (a bool)"),
        (2.5, TypeError, "got 2.5 (a float)"),
        (4.0, TypeError, "without the decimal point: steps=4"),
        ("4", TypeError, "got '4' (a str)"),
        (None, TypeError, "got None"),
        (0, ValueError, "≥ 1; got 0"),
        (-3, ValueError, "got -3"),
    ],
)
def test_positive_int_names_argument_value_and_fix(bad, exc, fragment):
    with pytest.raises(exc) as info:
        v.positive_int(bad, "steps")
    assert "steps" in str(info.value) and fragment in str(info.value)
    assert "e.g." in str(info.value) or "Write it" in str(info.value)


def test_non_negative_int_allows_zero_only():
    assert v.non_negative_int(0, "seed") == 0
    with pytest.raises(ValueError, match="seed must be a whole number ≥ 0; got -1"):
        v.non_negative_int(-1, "seed")


@pytest.mark.parametrize(
    "bad, exc, fragment",
    [
        (math.nan, ValueError, "finite"),
        (math.inf, ValueError, "finite"),
        (-1.0, ValueError, "> 0; got -1"),
        (0.0, ValueError, "> 0; got 0"),
        ("0.1", TypeError, "drop the quotes"),
        (False, TypeError, "(a bool)"),
        (10**400, ValueError, "finite"),
        ([0.1], TypeError, "got [0.1] (a list)"),
    ],
)
def test_positive_float_rejects(bad, exc, fragment):
    with pytest.raises(exc) as info:
        v.positive_float(bad, "lr")
    assert str(info.value).startswith("lr ") and fragment in str(info.value)


def test_positive_float_cleans_and_allows_zero_on_request():
    assert v.positive_float(np.float32(0.5), "lr") == 0.5
    assert type(v.positive_float(3, "lr")) is float
    assert v.positive_float(0, "clip", allow_zero=True) == 0.0


def test_fraction_is_a_rate():
    assert v.fraction(0, "dropout") == 0.0 and v.fraction(0.15, "dropout") == 0.15
    for bad in (1, 1.0, 15, -0.1):
        with pytest.raises(ValueError, match=r"dropout is a rate and must lie in \[0, 1\)"):
            v.fraction(bad, "dropout")
    with pytest.raises(TypeError, match="dropout must be a number"):
        v.fraction(None, "dropout")


def test_one_of_lists_the_options():
    assert v.one_of("post", "norm", ["pre", "post"]) == "post"
    with pytest.raises(
        ValueError, match=r"norm must be one of 'pre', 'post'; got 'Post' \(a str\)"
    ):
        v.one_of("Post", "norm", ["pre", "post"])
    with pytest.raises(ValueError, match="got 1 "):
        v.one_of(1, "flag", [True, False])  # 1 == True, but it is not the same option
    with pytest.raises(ValueError, match="got"):
        v.one_of(np.ones(3), "mode", ["a"])  # an array's == does not crash it


def test_instance_of_names_class_and_hint():
    assert v.instance_of(3, "n", int) == 3
    with pytest.raises(TypeError, match=r"model must be a Module; got 3 \(an int\)\. Build one"):
        v.instance_of(3, "model", torch.nn.Module, hint="Build one with make_model().")
    with pytest.raises(TypeError, match="int or str"):
        v.instance_of(1.5, "x", (int, str))


def test_describe_survives_odd_objects():
    assert "_Odd" in v.describe(_Odd())
    assert v.describe(np.zeros((2, 3))) == "a numpy array of shape (2, 3) and dtype float64"
    assert "torch tensor of shape (2,) and dtype float32" in v.describe(torch.zeros(2))
    assert len(v.describe("x" * 500)) < 80


def test_strings_rejects_a_bare_string():
    assert v.strings(("a b", "c"), "sentences") == ["a b", "c"]
    with pytest.raises(TypeError, match=r"Wrap it in a list: \['the fox hides'\]"):
        v.strings("the fox hides", "sentences")
    with pytest.raises(TypeError, match="item 1 is 3 "):
        v.strings(["a", 3], "sentences")
    with pytest.raises(ValueError, match="sentences is empty"):
        v.strings([], "sentences")
    assert v.strings([], "sentences", allow_empty=True) == []
    for bad in (None, 3, {"a": 1}, b"ab"):
        with pytest.raises(TypeError, match="sentences must be a list of strings"):
            v.strings(bad, "sentences")


def test_float_array_cleans_numpy_torch_and_lists():
    for x in (
        [[1, 2], [3, 4]],
        np.ones((2, 2), np.float32),
        torch.ones(2, 2, dtype=torch.bfloat16),
    ):
        out = v.float_array(x, "scores", ndim=2)
        assert out.dtype == np.float64 and out.shape == (2, 2)
    assert v.float_array(torch.ones(3, requires_grad=True), "x").shape == (3,)
    assert v.float_array(np.array([np.nan]), "x", finite=False).shape == (1,)


@pytest.mark.parametrize(
    "bad, exc, fragment",
    [
        (None, TypeError, "scores must be an array of numbers; got None"),
        ("abc", TypeError, "got 'abc'"),
        ([[1, 2], [3]], ValueError, "rows of different lengths"),
        (np.array([True, False]), TypeError, "booleans"),
        (np.array([1j]), TypeError, "complex"),
        (np.zeros((2, 0)), ValueError, "axis 1 is empty"),
        (np.zeros(3), ValueError, "must have 2 dimension(s); got shape (3,)"),
        (np.array([1.0, np.inf, 2.0]), ValueError, "NaN or inf"),
        (torch.tensor([1j]), TypeError, "real numbers"),
    ],
)
def test_float_array_rejects(bad, exc, fragment):
    with pytest.raises(exc) as info:
        v.float_array(bad, "scores", ndim=None if "dimension" not in fragment else 2)
    assert fragment in str(info.value)


def test_float_tensor_meets_a_float32_module_kindly():
    layer = torch.nn.Linear(3, 2)
    x = v.float_tensor(np.ones((4, 3)), "x", like=layer)
    assert x.dtype == torch.float32 and layer(x).shape == (4, 2)
    assert v.float_tensor(torch.ones(2, dtype=torch.float64), "x", like=torch.ones(1)).dtype == (
        torch.float32
    )
    assert v.float_tensor(torch.ones(2), "x", like=torch.float64).dtype == torch.float64
    assert v.float_tensor([[1, 2]], "x").dtype == torch.get_default_dtype()
    assert v.float_tensor(np.ones(2), "x").dtype == torch.float64  # numpy float64 kept
    assert v.float_tensor(torch.arange(3), "x").is_floating_point()


@pytest.mark.parametrize(
    "bad, exc, fragment",
    [
        (None, TypeError, "Q must be a tensor of numbers; got None"),
        ("abc", TypeError, "got 'abc'"),
        ([[1.0], [2.0, 3.0]], ValueError, "rows of different lengths"),
        (torch.ones(2, 3, dtype=torch.bool), TypeError, "boolean tensor"),
        (torch.ones(2, 3, dtype=torch.complex64), TypeError, "real numbers"),
        (torch.ones(2, 0), ValueError, "axis 1 is empty"),
        (torch.ones(3), ValueError, "must have 2 dimension(s); got shape (3,)"),
        (torch.tensor([[float("nan")]]), ValueError, "NaN or inf"),
        (np.array(["a", "b"]), TypeError, "must hold numbers"),
    ],
)
def test_float_tensor_rejects(bad, exc, fragment):
    with pytest.raises(exc) as info:
        v.float_tensor(bad, "Q", ndim=2)
    assert fragment in str(info.value)


def test_token_ids():
    ids = v.token_ids([[1, 2, 3]], "ids", 5, ndim=2)
    assert ids.dtype == torch.long and ids.tolist() == [[1, 2, 3]]
    assert v.token_ids(np.array([0, 4]), "ids", 5).tolist() == [0, 4]
    assert v.token_ids(torch.tensor([1, 2], dtype=torch.int32), "ids", 5).dtype == torch.long
    assert v.token_ids([1.0, 2.0], "ids", 5).tolist() == [1, 2]  # whole floats from a list
    with pytest.raises(ValueError, match=r"holds the id 7, outside the vocabulary \(ids 0 … 4\)"):
        v.token_ids([1, 7], "ids", 5)
    with pytest.raises(ValueError, match="holds the id -1"):
        v.token_ids([-1, 2], "ids", 5)
    with pytest.raises(TypeError, match="tokenizer first"):
        v.token_ids("the fox", "ids", 5)
    with pytest.raises(TypeError, match=r"Convert with \.long\(\)"):
        v.token_ids(torch.tensor([1.5]), "ids", 5)
    with pytest.raises(TypeError, match="whole-number token ids"):
        v.token_ids([1.5], "ids", 5)
    with pytest.raises(ValueError, match="axis 0 is empty"):
        v.token_ids([], "ids", 5)
    with pytest.raises(ValueError, match="must have 2 dimension"):
        v.token_ids([1, 2], "ids", 5, ndim=2)


def test_require():
    v.require(True, "never")
    with pytest.raises(ValueError, match="K has 0 keys"):
        v.require(False, "K has 0 keys")
    with pytest.raises(TypeError, match="bad type"):
        v.require(0, "bad type", TypeError)


# --------------------------------------------------------------------------- fuzz (issue 14)

INT_OK = ["10**400", "huge"]  # whole numbers, however large, are whole numbers
SAME_2D = ["np float64 (2, 3)", "np float16 (2, 3)", "np int (2, 3)", "torch float32 (2, 3)"]
SAME_2D += ["torch float16 (2, 3)", "torch bfloat16 (2, 3)", "torch long (2, 3)"]

VALIDATORS = [
    (v.positive_int, 3, {}, INT_OK),
    (v.non_negative_int, 3, {}, [*INT_OK, "0"]),
    (v.positive_float, 0.1, {}, ["2.5", "1e308"]),
    (v.positive_float, 0.1, {"allow_zero": True}, ["2.5", "1e308", "0", "0.0"]),
    (v.fraction, 0.1, {}, ["0", "0.0"]),
    (v.strings, ["a b", "c"], {}, ["list of str", "np str array"]),
    (v.float_array, np.ones((2, 3)), {"ndim": 2}, SAME_2D),
    (v.float_tensor, torch.ones(2, 3), {"ndim": 2}, SAME_2D),
    (v.token_ids, torch.tensor([[1, 2]]), {"vocab_size": 5, "ndim": 2}, []),
]


@pytest.mark.parametrize(
    "fn, valid, extra, allowed", VALIDATORS, ids=[f[0].__name__ for f in VALIDATORS]
)
def test_fuzz_validators_answer_every_bad_value_clearly(fn, valid, extra, allowed):

    first = fn.__code__.co_varnames[0]
    report = fuzz(
        fn,
        {first: valid, "name": "arg", **extra},
        only=[first],
        mention={first: "arg"},
        allowed=allowed,
    )
    assert_all_kind(report)
    assert report.counts().get("kind", 0) >= 30


def test_fuzz_token_ids_vocab_size():

    report = fuzz(
        v.token_ids,
        {"x": [[1, 2]], "name": "ids", "vocab_size": 5},
        only=["vocab_size"],
        allowed=["10**400", "huge"],
    )
    assert_all_kind(report)


def test_fuzz_harness_classifies_each_outcome():

    def careless(x):
        """Raises deep inside numpy on odd input, hangs on negative numbers."""
        if isinstance(x, (int, float)) and x < 0:
            while True:
                pass
        return np.ones(3)[int(np.asarray(x).sum())]

    report = fuzz(
        careless,
        {"x": 1},
        bad_values={"-1": lambda: -1, "5": lambda: 5, "0": lambda: 0},
        derived=False,
        allowed=["0"],
        timeout=0.3,
    )
    assert {c.label: c.outcome for c in report.cases} == {"-1": "hang", "5": "raw", "0": "allowed"}
    with pytest.raises(AssertionError, match=r"x=-1: hang[\s\S]*x=5: raw — IndexError"):
        assert_all_kind(report)
    assert_all_kind(Report("empty"))
    kind = fuzz(
        v.positive_int,
        {"value": 1, "name": "n"},
        mention={"value": "n"},
        bad_values={"-1": lambda: -1},
        derived=False,
    )
    assert kind.cases[0].outcome == "kind"
    unnamed = fuzz(
        v.positive_int, {"value": 1, "name": "n"}, bad_values={"-1": lambda: -1}, derived=False
    )
    assert unnamed.cases[0].outcome == "raw" and "does not name 'value'" in unnamed.cases[0].detail


# The attention module (notebook 04) under the same fuzz. Each `allowed` entry is a documented,
# legitimate result: the valid value itself (None, True, 0), broadcasting over a leading axis,
# another dtype of the same numbers, NaN passed through where the docstring says so.
_RNG = np.random.default_rng(0)
_Q, _K, _V = _RNG.normal(size=(3, 4)), _RNG.normal(size=(5, 4)), _RNG.normal(size=(5, 2))
_BROADCAST = [(a, "one axis more") for a in ("Q", "K", "V")] + [("mask", "one axis fewer")]
_SCALES = [("scale", s) for s in ("True", "False", "2.5", "the int 1", "0", "0.0", "-0.5", "-1")]


def _attention_cases():
    import course_utils.attention as A

    t = {k: torch.tensor(a, dtype=torch.float32) for k, a in zip("QKV", (_Q, _K, _V), strict=True)}
    nan_passes = [(a, f"with {w}") for a in "QKV" for w in ("a NaN", "an inf")]
    return [
        (
            "softmax",
            A.softmax,
            {"x": _Q, "axis": -1},
            [("x", s) for s in SAME_2D]
            + [
                ("x", "one axis fewer"),
                ("x", "one axis more"),
                ("axis", "0"),
                ("axis", "-1"),
                ("axis", "negative"),
            ],
        ),
        ("causal_mask", A.causal_mask, {"n": 4}, []),
        ("padding_mask", A.padding_mask, {"lengths": [2, 3], "n": 4}, []),
        (
            "attention",
            A.attention,
            {"Q": _Q, "K": _K, "V": _V, "mask": np.ones((3, 5), bool), "scale": True},
            [*_BROADCAST, *_SCALES, ("mask", "None"), ("mask", "True")],
        ),
        (
            "attention_torch",
            A.attention_torch,
            {**t, "mask": torch.ones(3, 5, dtype=torch.bool), "scale": True, "dropout": 0.0},
            [
                *_BROADCAST,
                *_SCALES,
                *nan_passes,
                ("mask", "None"),
                ("mask", "True"),
                ("dropout", "0"),
                ("dropout", "0.0"),
                ("scale", "1e308"),
            ],
        ),
    ]


ATTENTION_CASES = _attention_cases()


@pytest.mark.parametrize(
    "name, fn, valid, allowed", ATTENTION_CASES, ids=[c[0] for c in ATTENTION_CASES]
)
def test_fuzz_attention_public_functions(name, fn, valid, allowed):

    assert_all_kind(fuzz(fn, valid, allowed=allowed, name=name))


def test_the_fuzz_covers_every_public_attention_function():
    import course_utils.attention as A

    assert public_callables(A) == sorted(c[0] for c in ATTENTION_CASES)
