"""mxlab.quantize/pack/unpack equal the `mxlab quantize` CLI and the C++ reference API bit for bit."""
import json
import threading

import numpy as np
import pytest
from conftest import BLOCKS, FORMATS, adversarial, bits, random_values

import mxlab
from mxlab import _core


def test_formats_table_is_the_cli_table(cli):
    r = cli.run("formats", "--json")
    assert r.returncode == 0, r.stderr
    assert mxlab.formats() == json.loads(r.stdout)
    assert len(FORMATS) == 31


@pytest.mark.parametrize("round", mxlab.ROUNDING)
@pytest.mark.parametrize("fmt", FORMATS)
def test_quantize_and_pack_equal_cli(cli, mixed, fmt, round):
    """Every format and rounding mode, random and adversarial values, a partial last block."""
    want, want_packed = cli.quantize(mixed, fmt, "--round", round, "--seed", 7)
    got = mxlab.quantize(mixed, fmt, round=round, seed=7)
    assert got.dtype == np.float32 and got.shape == mixed.shape
    np.testing.assert_array_equal(bits(got), bits(want))
    packed = mxlab.pack(mixed, fmt, round=round, seed=7)
    assert packed == want_packed
    np.testing.assert_array_equal(bits(mxlab.unpack(packed)), bits(want))


OPTION_CASES = [("nvfp4", dict(tensor_scale=True)), ("nvfp4", dict(tensor_scale=True, round="stochastic", seed=3))] + [
    (fmt, options) for fmt in ("nvfp4", "mxfp8_e4m3", "int4_asym")
    for options in (dict(block=32, round="nearest"), dict(flush_subnormals=True, round="floor"), dict(block=7))]


@pytest.mark.parametrize("fmt,options", OPTION_CASES)
def test_options_equal_cli(cli, mixed, fmt, options):
    flags = ["--round", options.get("round", "even"), "--seed", options.get("seed", 0),
             "--block", options.get("block", 0)]
    flags += ["--tensor-scale"] * options.get("tensor_scale", False)
    flags += ["--flush-subnormals"] * options.get("flush_subnormals", False)
    want, want_packed = cli.quantize(mixed, fmt, *flags)
    np.testing.assert_array_equal(bits(mxlab.quantize(mixed, fmt, **options)), bits(want))
    assert mxlab.pack(mixed, fmt, **options) == want_packed


AXIS_CASES = [((64, 3, 5), 0), ((4, 96), -1), ((3, 64, 2), 1), ((2, 3, 64), 2), ((96, 4), 0)]


@pytest.mark.parametrize("shape,axis", AXIS_CASES)
@pytest.mark.parametrize("fmt,round", [("mxfp4_e2m1", "stochastic"), ("nvfp4", "even"), ("mxint8", "nearest"),
                                       ("int4_asym", "floor"), ("fp6_e2m3", "stochastic"), ("mxfp6_e3m2", "even")])
def test_axes_equal_cli_on_moved_array(cli, fmt, round, shape, axis):
    """Blocks along `axis` = the CLI on the array with that axis moved last (the axis holds whole blocks)."""
    x = random_values(int(np.prod(shape)), 2).reshape(shape)
    moved = np.moveaxis(x, axis, -1)
    want, want_packed = cli.quantize(np.ascontiguousarray(moved), fmt, "--round", round, "--seed", 11, "--block", 16)
    got = mxlab.quantize(x, fmt, round=round, seed=11, block=16, axis=axis)
    assert got.shape == shape and got.flags.c_contiguous
    np.testing.assert_array_equal(bits(np.moveaxis(got, axis, -1)), bits(want))
    packed = mxlab.pack(x, fmt, round=round, seed=11, block=16, axis=axis)
    assert packed == want_packed
    np.testing.assert_array_equal(bits(mxlab.unpack(packed, shape, axis)), bits(got))


def row_reference(moved, fmt, round, block, seed, tensor_scale):
    """Each row by the C++ reference API: stochastic draws at the flat index, nvfp4's tensor scale of the whole
    array (amax of the finite values / 2688 in float32, 1 when that is 0)."""
    finite = moved[np.isfinite(moved)]
    g = np.float32(np.abs(finite).max() if finite.size else 0) / np.float32(6 * 448)
    g = g if g > 0 and np.isfinite(g) else np.float32(1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = [_core.quantize_reference(r, fmt, round, block, seed, tensor_scale, g if tensor_scale else 0.0, i * r.size)
           for i, r in enumerate(rows)]
    return np.stack(out).reshape(moved.shape)


@pytest.mark.parametrize("round", mxlab.ROUNDING)
@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_with_partial_blocks_equal_cpp_reference(fmt, round):
    """Rows that are not whole blocks: each row blocked on its own, equal to the C++ reference path."""
    values = np.concatenate([adversarial(), random_values(800, 3)])
    x = np.random.default_rng(3).permutation(values)[:37 * 23].reshape(37, 23)
    for axis in (0, 1):
        got = mxlab.quantize(x, fmt, round=round, seed=5, axis=axis)
        want = row_reference(np.ascontiguousarray(np.moveaxis(x, axis, -1)), fmt, round, BLOCKS[fmt], 5, False)
        np.testing.assert_array_equal(bits(np.moveaxis(got, axis, -1)), bits(want))
    got = mxlab.quantize(x, fmt, round=round, seed=5, block=10)
    np.testing.assert_array_equal(bits(got), bits(row_reference(x, fmt, round, 10, 5, False)))


def test_nvfp4_tensor_scale_is_the_whole_arrays_on_partial_rows():
    x = random_values(7 * 20, 4).reshape(7, 20)
    got = mxlab.quantize(x, "nvfp4", tensor_scale=True)
    np.testing.assert_array_equal(bits(got), bits(row_reference(x, "nvfp4", "even", 16, 0, True)))


def test_block_row_equals_cli(cli):
    x = random_values(6 * 40, 5).reshape(6, 40)
    want, want_packed = cli.quantize(x, "int4", "--block", "row")
    np.testing.assert_array_equal(bits(mxlab.quantize(x, "int4", block="row")), bits(want))
    assert mxlab.pack(x, "int4", block="row") == want_packed
    np.testing.assert_array_equal(bits(mxlab.quantize(x.T, "int4", block="row", axis=0)), bits(want.T))


def test_other_dtypes_and_layouts_are_converted_once():
    x = random_values(8 * 64, 6).reshape(8, 64)
    want = mxlab.quantize(x, "mxfp4_e2m1")
    for y in (x.astype(np.float64), np.asfortranarray(x), x.tolist()):
        np.testing.assert_array_equal(bits(mxlab.quantize(y, "mxfp4_e2m1")), bits(want))
    wide = np.zeros((8, 128), np.float32)
    wide[:, ::2] = x
    np.testing.assert_array_equal(bits(mxlab.quantize(wide[:, ::2], "mxfp4_e2m1")), bits(want))
    ints = np.arange(-100, 100, dtype=np.int16)
    np.testing.assert_array_equal(bits(mxlab.quantize(ints, "mxint8")),
                                  bits(mxlab.quantize(ints.astype(np.float32), "mxint8")))
    half = x.astype(np.float16)
    np.testing.assert_array_equal(bits(mxlab.quantize(half, "nvfp4")),
                                  bits(mxlab.quantize(half.astype(np.float32), "nvfp4")))


def test_out_in_place_and_shapes():
    x = random_values(4 * 64, 7).reshape(4, 64)
    want = mxlab.quantize(x, "mxfp6_e2m3")
    y = x.copy()
    assert mxlab.quantize(y, "mxfp6_e2m3", out=y) is y  # the C++ code writes into the NumPy buffer itself
    np.testing.assert_array_equal(bits(y), bits(want))
    out = np.empty_like(x)
    mxlab.quantize(x.T, "mxfp6_e2m3", axis=0, out=out.T)
    np.testing.assert_array_equal(bits(out), bits(want))
    assert mxlab.quantize(np.float32(0.3), "mxint8").shape == ()
    assert mxlab.quantize(np.zeros((0, 5), np.float32), "nvfp4").shape == (0, 5)
    assert mxlab.quantize(np.zeros((3, 0), np.float32), "nvfp4").shape == (3, 0)


def test_threads_give_the_same_bits():
    x = random_values(1 << 20, 8)
    before = mxlab.num_threads()
    try:
        mxlab.set_num_threads(1)
        one = mxlab.quantize(x, "mxfp4_e2m1", round="stochastic", seed=9)
        mxlab.set_num_threads(4)
        four = mxlab.quantize(x, "mxfp4_e2m1", round="stochastic", seed=9)
    finally:
        mxlab.set_num_threads(before)
    np.testing.assert_array_equal(bits(one), bits(four))
    results = [None] * 4  # concurrent callers (the GIL is released during the work)
    workers = [threading.Thread(target=lambda i=i: results.__setitem__(i, mxlab.quantize(x, "mxfp4_e2m1",
                                                                                         round="stochastic", seed=9)))
               for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for r in results:
        np.testing.assert_array_equal(bits(r), bits(one))


def test_packed_info_splits_scales_and_codes(mixed):
    packed = mxlab.pack(mixed, "mxfp4_e2m1")
    info = mxlab.packed_info(packed)
    nb = -(-mixed.size // 32)
    assert (info["format"], info["block"], info["count"], info["tensor_scale"]) == ("mxfp4_e2m1", 32, mixed.size, None)
    assert info["scales"].shape == (nb, 1) and info["codes"].shape == (nb, 16)
    blocks = np.frombuffer(packed[32:], np.uint8).reshape(nb, 17)
    np.testing.assert_array_equal(info["scales"][:, 0], blocks[:, 0])
    assert info["scales"][0, 0] == 0xFF  # the block holding a NaN has the NaN scale
    assert mxlab.packed_info(mxlab.pack(mixed, "nvfp4", tensor_scale=True))["tensor_scale"] > 0
    np.testing.assert_array_equal(bits(mxlab.unpack(np.frombuffer(packed, np.uint8))), bits(mxlab.unpack(packed)))
