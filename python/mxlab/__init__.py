"""mxlab: bit-exact block-format quantization (OCP MX, NVFP4, INT/FP per group) on NumPy arrays.

The work is done by mxlab's C++ format core (the same code as the `mxlab` command line): C-contiguous float32
input is used in place, other real dtypes and layouts are converted to float32 once, the GIL is released and the
library's OpenMP threads do the work. Blocks run along `axis`; every row along it is blocked on its own (its last
block may be partial: zero-padded for the scale, as in the C++ library).
"""
import math

from . import _core

try:  # formats() works without NumPy; the array functions need it
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

__all__ = ["formats", "quantize", "pack", "unpack", "packed_info", "num_threads", "set_num_threads", "ROUNDING"]

ROUNDING = ("even", "nearest", "floor", "stochastic")


def formats():
    """The formats table as a list of dicts (the fields of `mxlab formats --json`)."""
    return _core.formats()


def num_threads():
    """OpenMP threads the C++ library uses (OMP_NUM_THREADS, or every core)."""
    return _core.num_threads()


def set_num_threads(n):
    """Sets the OpenMP threads of later calls from this thread."""
    _core.set_num_threads(int(n))


def _array(x):
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise ValueError(f"dtype {a.dtype} is not a real number type: pass float32 "
                         "(other integer and floating-point dtypes are converted to float32)")
    return a


def _axis(axis, ndim):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis!r} is out of range for an array of {ndim} dimension(s)")
    return int(axis) % ndim


def _rows(a, axis):
    """a (at least 1-D) with `axis` moved last, as a C-contiguous float32 rows x cols array (a view if a already is)."""
    moved = np.ascontiguousarray(np.moveaxis(a, axis, -1), dtype=np.float32)
    return moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1]), moved.shape


def _restore(y, moved_shape, axis, shape):
    """Inverse of _rows: rows back to `shape` (axis moved back), C-contiguous."""
    return np.ascontiguousarray(np.moveaxis(y.reshape(moved_shape), -1, axis)).reshape(shape)


def quantize(x, fmt, round="even", block=0, seed=0, tensor_scale=False, axis=-1, flush_subnormals=False,
             out=None):
    """Fake-quantizes x in format `fmt`: decode(encode(x)) as float32, same shape.

    round: even | nearest | floor | stochastic. block: values per block (0 = the format's default, "row" = the
    whole axis). seed: stochastic rounding (the draw of a value is its flat index with `axis` moved last).
    tensor_scale: nvfp4's FP32 per-tensor scale (amax / 2688). flush_subnormals: float32 subnormal inputs count as
    zeros. out: a float32 array of x's shape to write into (may be x itself).
    Bad names and sizes raise ValueError with the messages of `mxlab quantize`.
    """
    a = _array(x)
    shape = a.shape
    a = a.reshape(shape or (1,))
    ax = _axis(axis, a.ndim)
    rows, moved_shape = _rows(a, ax)
    args = (fmt, round, str(block), int(seed), bool(tensor_scale), bool(flush_subnormals))
    if out is not None:
        if not isinstance(out, np.ndarray) or out.dtype != np.float32 or out.shape != shape:
            raise ValueError(f"out must be a float32 NumPy array of shape {shape}")
        if ax == a.ndim - 1 and out.flags.c_contiguous and out.flags.writeable:
            _core.quantize(rows, *args, out=out.reshape(rows.shape))
        else:
            np.copyto(out, _restore(_core.quantize(rows, *args), moved_shape, ax, shape))
        return out
    return _restore(_core.quantize(rows, *args), moved_shape, ax, shape)


def pack(x, fmt, round="even", block=0, seed=0, tensor_scale=False, axis=-1, flush_subnormals=False):
    """The MXLP bytes of x quantized as by quantize() (what `mxlab quantize --packed` writes).

    The layout blocks the flat array with `axis` moved last, so that axis must be a whole number of blocks when
    x has more than one row. unpack() reads the bytes back; packed_info() shows the scales and codes.
    """
    a = _array(x)
    a = a.reshape(a.shape or (1,))
    rows, _ = _rows(a, _axis(axis, a.ndim))
    return _core.pack(rows, fmt, round, str(block), int(seed), bool(tensor_scale), bool(flush_subnormals))


def unpack(data, shape=None, axis=-1):
    """The float32 values of MXLP bytes (bytes, bytearray or a uint8 array), exactly decoded.

    Without `shape`: 1-D. With the shape and axis given to pack(): that array again.
    """
    y = _core.unpack(_bytes(data))
    if shape is None:
        return y
    shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
    if math.prod(shape) != y.size:
        raise ValueError(f"shape {shape} holds {math.prod(shape)} values, the packed data has {y.size}")
    full = shape or (1,)
    ax = _axis(axis, len(full))
    moved_shape = tuple(d for i, d in enumerate(full) if i != ax) + (full[ax],)
    return _restore(y, moved_shape, ax, shape)


def packed_info(data):
    """The header of MXLP bytes, and its blocks split into `scales` and `codes` (uint8 arrays, one row a block;
    element i of a block at bits [i*element_bits, (i+1)*element_bits) of `codes`, LSB first)."""
    info = _core.packed_info(_bytes(data))
    blocks = info.pop("blocks")
    info["scales"] = blocks[:, :info["scale_bytes"]]
    info["codes"] = blocks[:, info["scale_bytes"]:]
    return info


def _bytes(data):
    if isinstance(data, (bytes, bytearray, memoryview)):
        return data
    a = np.asarray(data)
    if a.dtype != np.uint8:
        raise ValueError(f"packed data must be bytes or a uint8 array, not {a.dtype}")
    return np.ascontiguousarray(a).reshape(-1)
