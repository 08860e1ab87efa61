"""Drift test for notebook 03: the notebook's own code gives the package's outputs.

03 writes self-attention in the open (section 1, and in torch for the chain count of
section 4) and then uses ``course_utils.attention``; these tests run the notebook's code and
hold it equal to the package, so the two can never silently differ.
"""

import json

import notebook_code
import numpy as np
import pytest
import torch

from course_utils.attention import attention, attention_torch, softmax


@pytest.fixture
def nb03():
    """The notebook's defining cells, and the source of every code cell."""
    path = notebook_code.notebook_path("03")
    return notebook_code.definitions("03"), notebook_code.code_cells(path)


def test_section_1_written_out_equals_the_package_attention(nb03):
    namespace, cells = nb03
    (source,) = [c for c in cells if "weights = softmax(Q @ K.T / math.sqrt(d_k))" in c]
    exec(source, namespace)  # noqa: S102 - the notebook's own cell
    Q, K, V = namespace["Q"], namespace["K"], namespace["V"]
    out, weights = attention(Q, K, V)
    assert np.allclose(namespace["output"], out, atol=1e-12)
    assert np.allclose(namespace["weights"], weights, atol=1e-12)


def test_the_torch_self_attention_of_section_4_equals_attention_torch(nb03):
    namespace, _ = nb03
    gen = torch.Generator().manual_seed(3)
    W = [torch.randn(32, 32, generator=gen) for _ in range(3)]
    namespace.update(D_CHAIN=32, W_qc=W[0], W_kc=W[1], W_vc=W[2])
    x = torch.randn(9, 32, generator=gen)
    expected = attention_torch(x @ W[0], x @ W[1], x @ W[2])[0]
    assert torch.allclose(namespace["attention_all_positions"](x), expected, atol=1e-5)


def test_the_self_attention_layer_of_section_3_equals_attention_torch(nb03):
    namespace, _ = nb03
    gen = torch.Generator().manual_seed(4)
    W = [torch.randn(16, 16, generator=gen) for _ in range(3)]
    namespace.update(W_q=W[0], W_k=W[1], W_v=W[2])
    x = torch.randn(6, 16, generator=gen)
    Q, K, V = x @ W[0], x @ W[1], x @ W[2]
    expected = torch.softmax(Q @ K.T / 4.0, dim=-1) @ V
    assert torch.allclose(namespace["self_attention_layer"](x), expected, atol=1e-5)


def test_longest_chain_counts_dependent_operations(nb03):
    namespace, _ = nb03
    longest_chain = namespace["longest_chain"]
    x = torch.randn(3, requires_grad=True)
    y = x
    for _ in range(5):
        y = torch.tanh(y)  # five operations, each waiting for the one before
    assert longest_chain(y) == 5 + 1  # + the leaf's AccumulateGrad node
    parallel = torch.tanh(x) + torch.sin(x)  # two side by side, then one add
    assert longest_chain(parallel) == 2 + 1


def test_loglog_fit_reads_a_power_law_and_rejects_an_exponential(nb03):
    namespace, _ = nb03
    fit = namespace["loglog_fit"]
    n = np.array([2, 4, 8, 16, 32, 64, 128])
    slope, r2 = fit(n, 3.0 / n)
    assert np.isclose(slope, -1.0) and np.isclose(r2, 1.0)
    _, r2_exp = fit(n, 0.9**n)
    assert r2_exp < 0.9


def test_the_solution_cell_equals_the_package(nb03):
    """The worked solution of Exercise 1 (a Markdown block) computes attention()."""
    cells = json.loads(notebook_code.notebook_path("03").read_text(encoding="utf-8"))["cells"]
    (block,) = [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "markdown" and "def self_attention(" in "".join(c["source"])
    ]
    code = block.split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {"np": np, "softmax": softmax}
    exec(code, namespace)  # noqa: S102
    rng = np.random.default_rng(0)
    X, Wq, Wk, Wv = rng.normal(size=(5, 6)), *(rng.normal(size=(6, k)) for k in (9, 9, 3))
    assert np.allclose(
        namespace["self_attention"](X, Wq, Wk, Wv), attention(X @ Wq, X @ Wk, X @ Wv)[0]
    )
