"""PyTorch CPU tensors through NumPy, and the straight-through autograd wrapper (skipped without PyTorch)."""
import numpy as np
import pytest
from conftest import bits, random_values

import mxlab

torch = pytest.importorskip("torch", reason="PyTorch is not installed (Debian python3-torch; optional)")
from mxlab.autograd import FakeQuantize, fake_quantize  # noqa: E402


def test_tensor_through_numpy():
    t = torch.from_numpy(random_values(8 * 64, 1).reshape(8, 64))
    y = torch.from_numpy(mxlab.quantize(t.numpy(), "nvfp4"))
    assert y.dtype == torch.float32 and y.shape == t.shape
    np.testing.assert_array_equal(bits(y.numpy()), bits(mxlab.quantize(t.numpy(), "nvfp4")))


@pytest.mark.parametrize("fmt,axis", [("mxfp4_e2m1", -1), ("mxint8", 0), ("int4_asym", 1)])
def test_straight_through_forward_and_backward(fmt, axis):
    x = torch.tensor(random_values(4 * 64, 2).reshape(4, 64), requires_grad=True)
    y = fake_quantize(x, fmt, round="stochastic", seed=4, block=16, axis=axis)
    np.testing.assert_array_equal(bits(y.detach().numpy()),
                                  bits(mxlab.quantize(x.detach().numpy(), fmt, round="stochastic", seed=4, block=16,
                                                      axis=axis)))
    upstream = torch.linspace(-1, 1, x.numel()).reshape(x.shape)
    y.backward(upstream)
    assert torch.equal(x.grad, upstream)  # straight-through: the identity


def test_keeps_dtype_and_trains_a_layer():
    torch.manual_seed(0)
    layer = torch.nn.Linear(32, 4)
    x = torch.randn(16, 32)
    target = torch.randn(16, 4)
    opt = torch.optim.SGD(layer.parameters(), lr=0.05)
    losses = []
    for _ in range(20):  # quantization-aware training: the loss sees MXFP4 weights, the float weights learn
        opt.zero_grad()
        w = FakeQuantize.apply(layer.weight, "mxfp4_e2m1")
        loss = torch.nn.functional.mse_loss(x @ w.T + layer.bias, target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    half = torch.randn(2, 32, dtype=torch.bfloat16)
    y = fake_quantize(half, "mxfp8_e4m3")
    assert y.dtype == torch.bfloat16
    np.testing.assert_array_equal(bits(y.float().numpy()), bits(mxlab.quantize(half.float().numpy(), "mxfp8_e4m3")))
