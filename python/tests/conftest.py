"""Shared helpers of the mxlab Python tests: the `mxlab` CLI as the independent reference, and test arrays."""
import os
import subprocess

import numpy as np
import pytest

import mxlab

FORMATS = [f["name"] for f in mxlab.formats()]
BLOCKS = {f["name"]: f["block"] for f in mxlab.formats()}


class Cli:
    """Runs `mxlab quantize` (the CLI built beside the module; path in MXLAB_CLI) on .npy files."""

    def __init__(self, exe, tmp):
        self.exe, self.tmp = exe, tmp

    def run(self, *args):
        return subprocess.run([self.exe, *map(str, args)], capture_output=True, text=True)

    def quantize(self, x, fmt, *options):
        """(fake-quantized array, MXLP bytes) of x by the CLI."""
        src, out, packed = self.tmp / "x.npy", self.tmp / "y.npy", self.tmp / "y.mxlp"
        np.save(src, np.asarray(x, dtype=np.float32))
        r = self.run("quantize", "--format", fmt, "--in", src, "--out", out, "--packed", packed, *options)
        assert r.returncode == 0, r.stderr
        return np.load(out), packed.read_bytes()

    def error(self, *options):
        """The CLI's error message (without 'mxlab: error: ') for quantize options on a small valid input."""
        src = self.tmp / "ok.npy"
        np.save(src, np.ones(64, dtype=np.float32))
        r = self.run("quantize", "--in", src, "--out", self.tmp / "bad.npy", *options)
        assert r.returncode != 0 and not (self.tmp / "bad.npy").exists()
        line = r.stderr.strip()
        assert line.startswith("mxlab: error: ") and "\n" not in line, r.stderr
        return line[len("mxlab: error: "):]


@pytest.fixture
def cli(tmp_path):
    exe = os.environ.get("MXLAB_CLI")
    if not exe or not os.path.exists(exe):
        pytest.fail("MXLAB_CLI must name the built mxlab program (ctest sets it)")
    return Cli(exe, tmp_path)


def bits(a):
    """float32 values as their bit patterns (equal NaNs compare equal, -0 differs from +0)."""
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def adversarial():
    """Values that stress the codecs: specials, subnormals, float32 extremes, values just below powers of two,
    ties and saturation points of every element grid, blocks of one huge value and tiny ones."""
    f32 = np.float32
    specials = [np.nan, 1.0, -2.0, 0.5] + [0.0] * 28 + [np.inf, -1.0, 3.0] + [0.0] * 29 + [-np.inf] + [1.0] * 31
    tiny = np.array([1e-45, -1e-45, 2.8e-45, 1.1754942e-38, -1.1754942e-38, 1.17549435e-38, 5e-39, -0.0], f32)
    extremes = np.array([3.4028235e38, -3.4028235e38, 1.7e38, 2.0**127, -(2.0**-126), 2.0**-149], f32)
    below_pow2 = np.nextafter(np.float32(2.0) ** np.arange(-120, 127, 3, dtype=f32), f32(0))
    grid = np.arange(-64, 65, dtype=f32) * f32(0.125)                 # ties of the E2M1/E3M2/E2M3/INT grids
    ties = np.concatenate([grid * f32(2.0) ** k for k in (-8, -1, 0, 3, 10)])
    saturate = np.array([448, 449, 464, 480, 57344, 61440, 28, 30, 7.5, 7.75, 6, 6.5, 7, 3.5, 3.75, 16, 20,
                         127, 127.5, 31.5, 1.9921875, 1.75, 1.875], f32)
    spread = np.array([2.0**20] + [2.0**-20 * (i + 1) for i in range(31)], f32)  # elements underflow
    equal = np.full(32, -0.3, f32)
    zeros = np.concatenate([np.zeros(16, f32), np.full(16, -0.0, f32)])
    return np.concatenate([np.array(specials, f32), tiny, extremes, below_pow2, ties, saturate, spread, equal, zeros,
                           saturate * f32(-0.25)])


def random_values(n, seed):
    """Normal values with a log-normal magnitude per run of 16 (blocks of very different ranges)."""
    rng = np.random.default_rng(seed)
    scale = np.repeat(np.exp(rng.normal(0, 4, n // 16 + 1)), 16)[:n]
    return (rng.standard_normal(n) * scale).astype(np.float32)


@pytest.fixture(scope="session")
def mixed():
    """Random and adversarial values, 1-D, a length that leaves a partial last block for every default size."""
    return np.concatenate([adversarial(), random_values(3001, 1)])
