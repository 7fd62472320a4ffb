"""Bad input raises ValueError: with the CLI's own message where the CLI has the option, else a clear one."""
import numpy as np
import pytest

import mxlab

X = np.ones(64, dtype=np.float32)


@pytest.mark.parametrize("kwargs,flags", [
    (dict(fmt="mxfp5"), ["--format", "mxfp5"]),
    (dict(fmt="MXFP4_E2M1"), ["--format", "MXFP4_E2M1"]),
    (dict(fmt=""), ["--format", ""]),
    (dict(fmt="mxfp4_e2m1", round="up"), ["--format", "mxfp4_e2m1", "--round", "up"]),
    (dict(fmt="mxfp4_e2m1", block=-1), ["--format", "mxfp4_e2m1", "--block=-1"]),
    (dict(fmt="mxfp4_e2m1", block="abc"), ["--format", "mxfp4_e2m1", "--block", "abc"]),
    (dict(fmt="mxfp4_e2m1", block=1.5), ["--format", "mxfp4_e2m1", "--block", "1.5"]),
    (dict(fmt="int4", block=1 << 25), ["--format", "int4", "--block", str(1 << 25)]),
    (dict(fmt="mxfp4_e2m1", tensor_scale=True), ["--format", "mxfp4_e2m1", "--tensor-scale"]),
])
@pytest.mark.parametrize("function", [mxlab.quantize, mxlab.pack])
def test_bad_options_give_the_cli_message(cli, function, kwargs, flags):
    want = cli.error(*flags)
    with pytest.raises(ValueError) as e:
        function(X, **kwargs)
    assert str(e.value) == want


@pytest.mark.parametrize("x", [np.ones(8, np.complex64), np.array(["1.0", "2.0"]), np.array([1.0, None]),
                               np.ones(4, bool), np.array(["2024-01-01"], dtype="datetime64[D]")])
def test_unsupported_dtypes(x):
    with pytest.raises(ValueError, match=r"^dtype \S+ is not a real number type: pass float32 \(other integer"):
        mxlab.quantize(x, "mxfp4_e2m1")


@pytest.mark.parametrize("axis", [2, -3, 1.0, None, True])
def test_bad_axis(axis):
    with pytest.raises(ValueError, match="axis .* is out of range for an array of 2 dimension"):
        mxlab.quantize(np.ones((2, 32), np.float32), "mxfp4_e2m1", axis=axis)


def test_pack_needs_whole_blocks_per_row():
    with pytest.raises(ValueError, match="blocked axis has 20 values, not a multiple of the block size 32"):
        mxlab.pack(np.ones((3, 20), np.float32), "mxint8")
    assert len(mxlab.pack(np.ones((1, 20), np.float32), "mxint8")) == 32 + 33  # one row: one partial block


def test_bad_out():
    with pytest.raises(ValueError, match=r"out must be a float32 NumPy array of shape \(64,\)"):
        mxlab.quantize(X, "mxint8", out=np.empty(64, np.float64))
    with pytest.raises(ValueError, match="out must be"):
        mxlab.quantize(X, "mxint8", out=np.empty(63, np.float32))


def test_bad_packed_data():
    with pytest.raises(ValueError, match="not an MXLP packed tensor"):
        mxlab.unpack(b"hello, world, this is not mxlp data")
    good = mxlab.pack(X, "mxfp4_e2m1")
    with pytest.raises(ValueError, match="MXLP payload is 33 bytes, layout needs 34"):
        mxlab.unpack(good[:-1])
    with pytest.raises(ValueError, match="shape .* holds 60 values, the packed data has 64"):
        mxlab.unpack(good, (6, 10))
    with pytest.raises(ValueError, match="packed data must be bytes or a uint8 array"):
        mxlab.unpack(np.zeros(40, np.int32))


def test_set_num_threads_rejects_zero():
    with pytest.raises(ValueError, match="need n >= 1"):
        mxlab.set_num_threads(0)
