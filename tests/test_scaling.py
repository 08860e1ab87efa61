"""Drift test for notebook 05: the notebook's own code gives the package's (and autograd's) outputs.

05 writes its measurements in the open (entropy, the batched Jacobian norms, the gradient that
reaches the query); these tests run the notebook's definitions and hold them equal to the
package's ``entropy`` and to torch's autograd, so notebook and package can never silently differ.
"""

import math

import notebook_code
import numpy as np
import pytest
import torch

from course_utils.attention import softmax
from course_utils.widgets.scaling import entropy as package_entropy


@pytest.fixture(scope="module")
def nb05():
    """The notebook's defining cells."""
    return notebook_code.definitions("05")


def test_entropy_equals_the_package_entropy(nb05):
    P = softmax(np.random.default_rng(0).normal(size=(6, 16)) * 3, axis=-1)
    P[0] = np.eye(16)[2]  # one-hot: 0·log 0 counts as 0
    assert np.allclose(nb05["entropy"](P), package_entropy(P))


def test_autograd_jacobian_is_diag_p_minus_outer(nb05):
    p = softmax(np.array([1.0, -0.5, 2.0, 0.3]))
    assert np.allclose(nb05["autograd_jacobian"](p), np.diag(p) - np.outer(p, p))


def test_jacobian_norms_equal_autograd_row_by_row(nb05):
    P = softmax(np.random.default_rng(1).normal(size=(5, 7)) * 2, axis=-1)
    norms = nb05["jacobian_norms"](P)
    for p, norm in zip(P, norms, strict=True):
        assert np.isclose(norm, np.linalg.norm(nb05["autograd_jacobian"](p)))


@pytest.mark.parametrize("scale", [False, True])
def test_query_gradients_equal_autograd(nb05, scale):
    rng = np.random.default_rng(2)
    n_q, n_k, d_k = 4, 6, 9
    q, K = rng.normal(size=(n_q, d_k)), rng.normal(size=(n_q, n_k, d_k))
    values = rng.normal(size=(n_q, n_k))
    c = math.sqrt(d_k) if scale else 1.0
    P = softmax(np.einsum("nd,nkd->nk", q, K) / c, axis=-1)
    nb05["runs"] = {(d_k, scale): (P, K, c)}  # the notebook's global, as section 2 builds it
    got = nb05["query_gradients"]((d_k, scale), values)

    qt = torch.tensor(q, requires_grad=True)
    Kt, vt = torch.tensor(K), torch.tensor(values)
    p = torch.softmax(torch.einsum("nd,nkd->nk", qt, Kt) / c, dim=-1)
    (p * vt).sum().backward()  # queries are independent: each row's gradient is its own
    assert np.allclose(got, qt.grad.norm(dim=1).numpy())


def test_naive_softmax_overflows_where_the_package_does_not(nb05):
    big = np.array([1000.0, 990.0])
    assert np.isnan(nb05["naive_softmax"](big)).all()
    assert np.allclose(softmax(big), nb05["naive_softmax"](big - 1000))
