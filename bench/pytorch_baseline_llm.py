"""LLM-sized PyTorch CPU baselines (used by bench/pytorch_baseline.py gptq|hf; see its docstring)."""
import argparse
import json
import math
import os
import resource
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F


# ---- GPTQ: the reference solve, written from the paper's Algorithm 1 as IST-DASLab/gptq fasterquant runs it ----
def minmax_params(x, maxq):
    """4-bit asymmetric min-max quantizer per row of x (the reference's Quantizer.find_params, weight=True)."""
    xmin = torch.minimum(x.min(1).values, torch.zeros(x.shape[0]))
    xmax = torch.maximum(x.max(1).values, torch.zeros(x.shape[0]))
    same = (xmin == 0) & (xmax == 0)
    xmin[same], xmax[same] = -1, 1
    scale = (xmax - xmin) / maxq
    return scale, torch.round(-xmin / scale)


def quantize(x, scale, zero, maxq):
    return scale * (torch.clamp(torch.round(x / scale) + zero, 0, maxq) - zero)


def fasterquant(W, H, blocksize=128, percdamp=0.01, groupsize=128, maxq=15):
    W, H = W.clone(), H.clone()
    rows, cols = W.shape
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    damp = percdamp * torch.mean(torch.diag(H))
    idx = torch.arange(cols)
    H[idx, idx] += damp
    Hinv = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(H)), upper=True)
    Q = torch.zeros_like(W)
    losses = torch.zeros(rows)
    scale = zero = None
    for i1 in range(0, cols, blocksize):
        i2 = min(i1 + blocksize, cols)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1, Err1 = torch.zeros_like(W1), torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(count):
            w, d = W1[:, i], Hinv1[i, i]
            if (i1 + i) % groupsize == 0:
                scale, zero = minmax_params(W[:, i1 + i:i1 + i + groupsize], maxq)
            q = quantize(w, scale, zero, maxq)
            Q1[:, i] = q
            losses += (w - q) ** 2 / d ** 2 / 2
            err = (w - q) / d
            W1[:, i:] -= err.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err
        Q[:, i1:i2] = Q1
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    return Q, losses.sum().item()


def main_gptq(argv):
    threads = int(os.environ.get("THREADS", "2"))
    shapes = argv or ["4096x4096", "4096x11008", "11008x4096"]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    with torch.inference_mode():
        for shape in shapes:
            rows, cols = (int(v) for v in shape.split("x"))
            W = torch.randn(rows, cols)
            X = torch.randn(2048, cols)  # one 2048-token sample, as bench/gptq_bench.cpp synthetic_hessian
            H = (2.0 / 2048) * (X.T @ X)
            t0, c0 = time.perf_counter(), time.process_time()
            _, loss = fasterquant(W, H)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"fasterquant {rows}x{cols}: {dt:.2f} s, process CPU {cpu:.2f} s ({threads} threads, torch "
                  f"{torch.__version__}, loss {loss:.4g})", flush=True)


# ---- HF Llama checkpoints: safetensors read with numpy, FP32 forward as transformers' LlamaModel computes it ----
DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}


def widen(view, dtype, shape):
    raw = np.frombuffer(view, dtype=DTYPES[dtype]).reshape(shape)
    if dtype == "BF16":  # bf16 -> f32: the 16 bits are the top half of the float
        raw = (raw.astype(np.uint32) << 16).view(np.float32)
    return torch.from_numpy(np.ascontiguousarray(raw, dtype=np.float32))


class StreamedTensors(dict):
    """Decoder-layer tensors widened to FP32 from the memory-mapped file each time they are read (as `mxlab eval
    --stream on` does); everything else widened once."""

    def __getitem__(self, name):
        v = dict.__getitem__(self, name)
        return widen(*v) if isinstance(v, tuple) else v


def read_safetensors(path, out):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    base = 8 + n
    data = np.memmap(path, dtype=np.uint8, mode="r")
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        view = (data[base + a:base + b], info["dtype"], info["shape"])
        out[name] = view if isinstance(out, StreamedTensors) and ".layers." in name else widen(*view)


def load_hf(d, stream=False):
    cfg = json.load(open(os.path.join(d, "config.json")))
    t = StreamedTensors() if stream else {}
    index = os.path.join(d, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    for f in files:
        read_safetensors(os.path.join(d, f), t)
    return cfg, t


def forward_hf(cfg, t, tokens):
    T, H, KV = len(tokens), cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
    dim = cfg["hidden_size"]
    hs, eps = dim // H, cfg.get("rms_norm_eps", 1e-5)
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hs, 2).float() / hs))
    ang = torch.arange(T).float()[:, None] * inv[None, :]
    cos, sin = torch.cat([ang.cos()] * 2, -1)[:, None, :], torch.cat([ang.sin()] * 2, -1)[:, None, :]

    def rope(x):  # HF rotate_half layout
        x1, x2 = x[..., :hs // 2], x[..., hs // 2:]
        return x * cos + torch.cat([-x2, x1], -1) * sin

    def norm(x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    x = t["model.embed_tokens.weight"][tokens]
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        xb = norm(x, t[p + "input_layernorm.weight"])
        q = rope((xb @ t[p + "self_attn.q_proj.weight"].T).view(T, H, hs)).transpose(0, 1)
        k = rope((xb @ t[p + "self_attn.k_proj.weight"].T).view(T, KV, hs)).repeat_interleave(H // KV, 1).transpose(0, 1)
        v = (xb @ t[p + "self_attn.v_proj.weight"].T).view(T, KV, hs).repeat_interleave(H // KV, 1).transpose(0, 1)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # torch >= 2.0; else the masked softmax
        x = x + att.transpose(0, 1).reshape(T, H * hs) @ t[p + "self_attn.o_proj.weight"].T
        xb = norm(x, t[p + "post_attention_layernorm.weight"])
        x = x + (F.silu(xb @ t[p + "mlp.gate_proj.weight"].T) * (xb @ t[p + "mlp.up_proj.weight"].T)) @ \
            t[p + "mlp.down_proj.weight"].T
    cls = t.get("lm_head.weight", t["model.embed_tokens.weight"])
    return norm(x, t["model.norm.weight"]) @ cls.T


if not hasattr(F, "scaled_dot_product_attention"):  # torch 1.13: the masked softmax over the full T x T scores
    def _sdpa(q, k, v, is_causal=True):
        T = q.shape[-2]
        mask = torch.full((T, T), float("-inf")).triu(1)
        return ((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1]) + mask).softmax(-1) @ v
    F.scaled_dot_product_attention = _sdpa


def main_hf(argv):
    ap = argparse.ArgumentParser(prog="pytorch_baseline.py hf")
    ap.add_argument("dir")
    ap.add_argument("--ctx", type=int, default=2048)
    ap.add_argument("--windows", type=int, default=1)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--stream", action="store_true", help="widen each decoder layer from the mmap'd file when used")
    ap.add_argument("--warmup", type=int, default=16, help="tokens of an untimed first forward (as BM_EvalHf)")
    a = ap.parse_args(argv)
    cfg, t = load_hf(a.dir, a.stream)
    g = torch.Generator().manual_seed(1)
    with torch.inference_mode():
        for threads in (int(v) for v in a.threads.split(",")):
            torch.set_num_threads(threads)
            if a.warmup > 0:  # first touch of the mapped pages, allocator warm-up: not timed, as in mxlab's bench
                forward_hf(cfg, t, torch.randint(0, cfg["vocab_size"], (a.warmup,), generator=g))
            nll, t0, c0 = 0.0, time.perf_counter(), time.process_time()
            for _ in range(a.windows):
                win = torch.randint(0, cfg["vocab_size"], (a.ctx,), generator=g)
                nll += F.cross_entropy(forward_hf(cfg, t, win)[:-1], win[1:], reduction="sum").item()
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"hf fp32 threads {threads}: {a.windows * a.ctx / dt:.2f} tokens/s over {a.windows} x {a.ctx}, "
                  f"{a.windows * a.ctx / cpu:.2f} tokens per process-CPU-second, peak RSS "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB (nll {nll / (a.windows * (a.ctx - 1)):.4f}, torch {torch.__version__})", flush=True)
