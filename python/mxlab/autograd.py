"""Straight-through fake quantization for PyTorch (quantization-aware experiments).

forward: mxlab.quantize on the tensor's values (through NumPy, on the CPU; the result comes back on the tensor's
device and dtype). backward: the straight-through estimator, d out / d x = identity (Bengio et al. 2013).
"""
import torch

from . import quantize


class FakeQuantize(torch.autograd.Function):
    """torch.autograd.Function: y = mxlab.quantize(x, ...), grad_x = grad_y."""

    @staticmethod
    def forward(ctx, x, fmt, round="even", block=0, seed=0, tensor_scale=False, axis=-1):
        values = x.detach().to("cpu", torch.float32).numpy()  # no copy for a CPU float32 tensor
        y = quantize(values, fmt, round=round, block=block, seed=seed, tensor_scale=tensor_scale, axis=axis)
        return torch.from_numpy(y).to(device=x.device, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None, None, None, None, None


def fake_quantize(x, fmt, round="even", block=0, seed=0, tensor_scale=False, axis=-1):
    """Fake-quantizes a tensor in format `fmt` (arguments of mxlab.quantize), gradients passed straight through."""
    return FakeQuantize.apply(x, fmt, round, block, seed, tensor_scale, axis)
