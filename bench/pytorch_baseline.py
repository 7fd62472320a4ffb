#!/usr/bin/python3
"""PyTorch CPU baselines for bench/ (same machine, same run; ratios are what count).

  bench/pytorch_baseline.py MODEL.bin TOKENS.txt
      stories260K (llama2.c legacy checkpoint) evaluated over 4 windows of 512 tokens, as bench/model_bench.cpp:
      batched causal forward (RMSNorm, llama2.c RoPE, GQA, SwiGLU, shared classifier), NLL and tokens/s with 1 and
      2 threads. TOKENS.txt: `mxlab tokenize` output, one id a line.
  bench/pytorch_baseline.py gptq [ROWSxIN ...]
      The reference GPTQ solve (IST-DASLab/gptq fasterquant, the paper's Algorithm 1: dampening 0.01, Cholesky of
      H^-1 by cholesky/cholesky_inverse/cholesky, lazy blocks of 128, 4-bit asymmetric min-max groups of 128) on
      the shapes of bench/gptq_bench.cpp BM_GptqSolve (default 4096x4096 4096x11008 11008x4096), 2 threads.
  bench/pytorch_baseline.py hf DIR [--ctx 2048] [--windows 1] [--threads 1,2] [--stream] [--warmup 16]
      FP32 eval tokens/s of a Hugging Face Llama checkpoint (config.json + model.safetensors, bf16/f16/f32, read
      with numpy from the safetensors header: no `transformers`), e.g. one written by `mxlab synth-model`.
      --stream: decoder layers stay in the memory-mapped file and are widened to FP32 each time a forward uses
      them (as `mxlab eval --stream on`), for checkpoints whose FP32 copy does not fit (7B: 27 GB).

Needs Debian's python3-torch and python3-numpy (not installed by scripts/install-deps: a baseline only) and
OpenBLAS as libblas.so.3 (else torch falls back to the reference BLAS, ~20x slower).
"""
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(path):
    data = open(path, "rb").read()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = struct.unpack("7i", data[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    hs = dim // n_heads
    flat = np.frombuffer(data, dtype=np.float32, offset=28)
    at = 0

    def take(*shape):
        nonlocal at
        n = int(np.prod(shape))
        t = torch.from_numpy(flat[at:at + n].copy()).reshape(shape)
        at += n
        return t

    m = dict(dim=dim, hidden=hidden, L=n_layers, H=n_heads, KV=n_kv, hs=hs)
    m["emb"] = take(vocab, dim)
    m["rms_att"] = take(n_layers, dim)
    m["wq"] = take(n_layers, n_heads * hs, dim)
    m["wk"] = take(n_layers, n_kv * hs, dim)
    m["wv"] = take(n_layers, n_kv * hs, dim)
    m["wo"] = take(n_layers, dim, n_heads * hs)
    m["rms_ffn"] = take(n_layers, dim)
    m["w1"] = take(n_layers, hidden, dim)
    m["w2"] = take(n_layers, dim, hidden)
    m["w3"] = take(n_layers, hidden, dim)
    m["rms_final"] = take(dim)
    take(seq_len, hs // 2)  # legacy RoPE tables (recomputed below)
    take(seq_len, hs // 2)
    m["cls"] = m["emb"] if shared else take(vocab, dim)
    return m


def rmsnorm(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5))


def rope(x, cos, sin):  # x: T x heads x hs, llama2.c rotates interleaved pairs (2i, 2i+1)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2] = x0 * cos - x1 * sin
    out[..., 1::2] = x0 * sin + x1 * cos
    return out


def forward(m, tokens):
    T, H, KV, hs = len(tokens), m["H"], m["KV"], m["hs"]
    freqs = 1.0 / (10000.0 ** (torch.arange(0, hs, 2).float() / hs))
    ang = torch.arange(T).float()[:, None] * freqs[None, :]
    cos, sin = ang.cos()[:, None, :], ang.sin()[:, None, :]
    mask = torch.full((T, T), float("-inf")).triu(1)
    x = m["emb"][tokens]
    for l in range(m["L"]):
        xb = rmsnorm(x, m["rms_att"][l])
        q = rope((xb @ m["wq"][l].T).view(T, H, hs), cos, sin)
        k = rope((xb @ m["wk"][l].T).view(T, KV, hs), cos, sin).repeat_interleave(H // KV, dim=1)
        v = (xb @ m["wv"][l].T).view(T, KV, hs).repeat_interleave(H // KV, dim=1)
        att = (torch.einsum("thd,shd->hts", q, k) / math.sqrt(hs) + mask).softmax(-1)
        x = x + torch.einsum("hts,shd->thd", att, v).reshape(T, H * hs) @ m["wo"][l].T
        xb = rmsnorm(x, m["rms_ffn"][l])
        x = x + (F.silu(xb @ m["w1"][l].T) * (xb @ m["w3"][l].T)) @ m["w2"][l].T
    return rmsnorm(x, m["rms_final"]) @ m["cls"].T


def main():
    if len(sys.argv) >= 2 and sys.argv[1] in ("gptq", "hf"):
        from pytorch_baseline_llm import main_gptq, main_hf
        return (main_gptq if sys.argv[1] == "gptq" else main_hf)(sys.argv[2:])
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    m = load(sys.argv[1])
    ids = [int(t) for t in open(sys.argv[2]).read().split()]
    ctx, windows = 512, 4
    stream = torch.tensor(ids[: ctx * windows])
    with torch.inference_mode():
        nll = 0.0
        for w in range(windows):
            win = stream[w * ctx:(w + 1) * ctx]
            logits = forward(m, win)
            nll += F.cross_entropy(logits[:-1], win[1:], reduction="sum").item()
        print(f"nll {nll / (windows * (ctx - 1)):.5f} nats/token over {windows} windows of {ctx}")
        for threads in (1, 2):
            torch.set_num_threads(threads)
            forward(m, stream[:ctx])  # warm up
            reps, t0 = 3, time.perf_counter()
            for _ in range(reps):
                for w in range(windows):
                    forward(m, stream[w * ctx:(w + 1) * ctx])
            dt = time.perf_counter() - t0
            print(f"threads {threads}: {reps * windows * ctx / dt:.0f} tokens/s (torch {torch.__version__})")


if __name__ == "__main__":
    main()
