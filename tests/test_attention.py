"""course_utils.attention matches torch's SDPA, and bad input gets a clear message."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils.attention import attention, attention_torch, causal_mask, padding_mask, softmax


def sdpa(Q, K, V, mask=None, scale=True):
    t = [torch.as_tensor(a, dtype=torch.float64) for a in (Q, K, V)]
    m = None if mask is None else torch.as_tensor(mask)
    kwargs = {} if scale is True else {"scale": 1.0}
    return F.scaled_dot_product_attention(*t, attn_mask=m, **kwargs).numpy()


SHAPES = [
    ((3, 4), (3, 4), (3, 4)),
    ((2, 5, 8), (2, 7, 8), (2, 7, 3)),
    ((2, 4, 6, 16), (2, 4, 9, 16), (2, 4, 9, 5)),
]


@pytest.mark.parametrize("q_shape,k_shape,v_shape", SHAPES)
@pytest.mark.parametrize("scale", [True, False])
def test_numpy_and_torch_match_sdpa(q_shape, k_shape, v_shape, scale):
    rng = np.random.default_rng(0)
    Q, K, V = rng.normal(size=q_shape), rng.normal(size=k_shape), rng.normal(size=v_shape)
    expected = sdpa(Q, K, V, scale=scale)
    out, w = attention(Q, K, V, scale=scale)
    np.testing.assert_allclose(out, expected, atol=1e-10)
    np.testing.assert_allclose(w.sum(-1), 1.0)
    out_t, w_t = attention_torch(*(torch.as_tensor(a) for a in (Q, K, V)), scale=scale)
    np.testing.assert_allclose(out_t.numpy(), expected, atol=1e-10)


def test_masks_match_sdpa():
    rng = np.random.default_rng(1)
    Q, K, V = (rng.normal(size=(2, 6, 4)) for _ in range(3))
    for mask in (causal_mask(6), padding_mask([6, 3], 6)):
        expected = sdpa(Q, K, V, mask=mask)
        out, w = attention(Q, K, V, mask=mask)
        np.testing.assert_allclose(out, expected, atol=1e-10)
        assert np.all(w[np.broadcast_to(~mask, w.shape)] == 0)
        out_t, _ = attention_torch(
            *(torch.as_tensor(a) for a in (Q, K, V)), mask=torch.as_tensor(mask)
        )
        np.testing.assert_allclose(out_t.numpy(), expected, atol=1e-10)


def test_causal_weights_are_lower_triangular():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(5, 4))
    _, w = attention(X, X, X, mask=causal_mask(5))
    assert np.allclose(np.triu(w, k=1), 0) and np.allclose(w.sum(-1), 1)


def test_softmax_is_stable_and_sums_to_one():
    p = softmax([1000.0, 1001.0, 999.0])
    assert np.isfinite(p).all() and np.isclose(p.sum(), 1.0) and p.argmax() == 1


def test_attention_torch_is_differentiable():
    Q = torch.randn(3, 4, requires_grad=True)
    out, _ = attention_torch(Q, torch.randn(3, 4), torch.randn(3, 2))
    out.sum().backward()
    assert Q.grad is not None and Q.grad.shape == Q.shape


@pytest.mark.parametrize(
    "args,message",
    [
        (((3, 4), (3, 3), (3, 4)), "Q has d_k=4 but K has d_k=3"),
        (((3, 4), (5, 4), (4, 2)), "K has 5 keys but V has 4 values"),
        (((4,), (3, 4), (3, 4)), "at least 2 dimensions"),
        (((2, 3, 4), (3, 3, 4), (3, 3, 4)), "do not broadcast"),
    ],
)
def test_bad_shapes_are_explained(args, message):
    arrays = [np.ones(s) for s in args]
    with pytest.raises(ValueError, match=message):
        attention(*arrays)
    with pytest.raises(ValueError, match=message):
        attention_torch(*(torch.ones(s) for s in args))


def test_bad_masks_and_types_are_explained():
    X = np.ones((3, 4))
    with pytest.raises(ValueError, match="must be boolean"):
        attention(X, X, X, mask=np.ones((3, 3)))
    with pytest.raises(ValueError, match="must broadcast"):
        attention(X, X, X, mask=np.ones((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="query 0 attend to no key at all"):
        attention(X, X, X, mask=np.zeros((3, 3), dtype=bool))
    with pytest.raises(ValueError, match="query 0 attend to no key at all"):
        attention_torch(
            *(torch.ones(3, 4) for _ in range(3)), mask=torch.zeros(3, 3, dtype=torch.bool)
        )
    with pytest.raises(TypeError, match="scale must be True"):
        attention(X, X, X, scale="yes")
    with pytest.raises(ValueError, match="scale must be a number > 0"):
        attention(X, X, X, scale=-1.0)


def test_mask_helpers_validate():
    with pytest.raises(ValueError, match="n must be a whole number ≥ 1; got 0"):
        causal_mask(0)
    with pytest.raises(ValueError, match="between 1 and n=4"):
        padding_mask([5], 4)
    with pytest.raises(TypeError, match="whole numbers"):
        padding_mask([1.5], 4)
    assert padding_mask([2, 4], 4).shape == (2, 1, 4)


def test_zero_keys_and_empty_axes_are_clear_errors():
    with pytest.raises(ValueError, match="K has 0 keys"):
        attention(np.ones((3, 4)), np.ones((0, 4)), np.ones((0, 2)))
    with pytest.raises(ValueError, match="K has 0 keys"):
        attention_torch(torch.ones(3, 4), torch.ones(0, 4), torch.ones(0, 2))
    with pytest.raises(ValueError, match="Q has shape \\(3, 0\\): axis 1 is empty"):
        attention(np.ones((3, 0)), np.ones((2, 0)), np.ones((2, 2)))


def test_a_fully_masked_row_is_named_with_its_batch_index():
    mask = np.ones((2, 3, 3), dtype=bool)
    mask[1, 2] = False
    X = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match="query 2 of batch/head \\(1,\\) attend to no key"):
        attention(X, X, X, mask=mask)


def test_softmax_rejects_what_it_cannot_normalise():
    with pytest.raises(ValueError, match="at least one dimension"):
        softmax(3.0)
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        softmax([1.0, np.nan])
    with pytest.raises(ValueError, match="NaN or \\+inf"):
        softmax([1.0, np.inf])
    with pytest.raises(ValueError, match="all -inf"):
        softmax([[0.0, 1.0], [-np.inf, -np.inf]])
    with pytest.raises(ValueError, match="axis=2 does not exist"):
        softmax([[1.0, 2.0]], axis=2)
    with pytest.raises(TypeError, match="axis must be a whole number"):
        softmax([1.0, 2.0], axis=0.5)
    np.testing.assert_allclose(softmax([0.0, -np.inf]), [1.0, 0.0])


def test_attention_torch_serves_multi_head_attention():
    """06's MultiHeadAttention: (B, h, n, d_k) inputs, a key-padding mask (B, 1, 1, n_k)."""
    torch.manual_seed(0)
    B, h, n, d_k = 2, 4, 5, 8
    q, k, v = (torch.randn(B, h, n, d_k) for _ in range(3))
    keep = torch.tensor([[True] * 5, [True] * 3 + [False] * 2])[:, None, None, :]
    out, w = attention_torch(q, k, v, mask=keep)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    assert out.shape == (B, h, n, d_k) and w.shape == (B, h, n, n)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-5)
    assert torch.all(w[1, :, :, 3:] == 0)


def test_attention_torch_dropout_drops_weights_and_keeps_them_returned():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 6, 4) for _ in range(3))
    out0, w0 = attention_torch(q, k, v)
    out, w = attention_torch(q, k, v, dropout=0.5)
    torch.testing.assert_close(w, w0)  # the weights returned are those before dropout
    assert not torch.allclose(out, out0)
    with pytest.raises(ValueError, match="dropout is a rate"):
        attention_torch(q, k, v, dropout=1.5)


def test_attention_torch_meets_numpy_and_mixed_dtypes_kindly():
    rng = np.random.default_rng(3)
    Q, K, V = (rng.normal(size=(3, 4)) for _ in range(3))
    out, _ = attention_torch(torch.tensor(Q, dtype=torch.float32), K, torch.tensor(V))
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), attention(Q, K, V)[0], atol=1e-5)
    out64, _ = attention_torch(Q, K, V, mask=causal_mask(3))
    np.testing.assert_allclose(out64.numpy(), attention(Q, K, V, mask=causal_mask(3))[0])


def test_notebook_04_masked_attention_is_the_package_attention():
    """The drift test: 04's in-the-open masked_attention gives what course_utils.attention gives."""
    import notebook_code

    masked_attention = notebook_code.definitions("04")["masked_attention"]
    rng = np.random.default_rng(4)
    Q, K, V = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 7, 8)), rng.normal(size=(2, 7, 3))
    for mask in (np.ones((5, 7), dtype=bool), rng.random((2, 5, 7)) < 0.6, padding_mask([7, 4], 7)):
        mask[..., 0] = True  # every query keeps a key
        ours, ours_w = masked_attention(Q, K, V, mask)
        out, w = attention(Q, K, V, mask=mask)
        np.testing.assert_allclose(ours, out, atol=1e-12)
        np.testing.assert_allclose(ours_w, w, atol=1e-12)
