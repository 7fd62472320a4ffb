#!/usr/bin/env python3
"""Plots of an mxlab sweep result file (HDF5, read with h5py): KL and PPL of the first evaluation text versus
bits/weight, one marker per point (colour = pipeline, shape = activation format), the Pareto front that
`mxlab report` computed (--front: point names, one a line) drawn as a step line and labelled.
Writes OUTDIR/{kl,ppl}_vs_bits.{png,svg}. Exit status 3 when matplotlib or h5py is missing."""
import argparse
import json
import os
import sys

try:
    import h5py
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError as e:  # the caller turns 3 into "install python3-matplotlib python3-h5py"
    print(f"plot_sweep: {e}", file=sys.stderr)
    sys.exit(3)


def as_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load(path):
    points = []
    with h5py.File(path, "r") as f:
        for name, g in f["points"].items():
            if as_str(g.attrs.get("status", "")) != "ok":
                continue
            cfg = json.loads(as_str(g.attrs["config"]))
            metrics = {k: float(d[()]) for k, d in g["metrics"].items()}
            points.append({"name": name, "index": int(g.attrs["index"]), "cfg": cfg, "m": metrics})
    points.sort(key=lambda p: p["index"])
    return points


def plot(points, front, text, metric, label, out_base, logy):
    fig, ax = plt.subplots(figsize=(8, 5.5))
    pipelines = sorted({p["cfg"]["point"]["pipeline"] for p in points})
    acts = sorted({p["cfg"]["point"]["acts"] for p in points})
    markers = "osD^v<>ph*"
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for p in points:
        pt = p["cfg"]["point"]
        ax.scatter(p["m"]["bits_per_weight"], p["m"][f"{text}.{metric}"],
                   color=colours[pipelines.index(pt["pipeline"]) % len(colours)],
                   marker=markers[acts.index(pt["acts"]) % len(markers)], s=36, alpha=0.85)
    on = sorted((p for p in points if p["name"] in front), key=lambda p: p["m"]["bits_per_weight"])
    if on:
        xs = [p["m"]["bits_per_weight"] for p in on]
        ys = [p["m"][f"{text}.{metric}"] for p in on]
        ax.step(xs, ys, where="post", color="black", lw=1, label="Pareto front (KL vs bits/weight)")
        for p, x, y in zip(on, xs, ys):
            pt = p["cfg"]["point"]
            ax.annotate(f"{pt['weights']} {pt['pipeline']}" + ("" if pt["acts"] == "none" else f" A:{pt['acts']}"),
                        (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    for i, name in enumerate(pipelines):
        ax.scatter([], [], color=colours[i % len(colours)], marker="o", label=f"pipeline {name}")
    for i, name in enumerate(acts):
        ax.scatter([], [], color="grey", marker=markers[i % len(markers)], label=f"acts {name}")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("bits per weight (exact storage)")
    ax.set_ylabel(label)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    for ext in ("png", "svg"):
        tmp = f"{out_base}.tmp.{os.getpid()}.{ext}"
        fig.savefig(tmp, dpi=120, format=ext)
        os.replace(tmp, f"{out_base}.{ext}")
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("results")
    ap.add_argument("outdir")
    ap.add_argument("--front", help="file of Pareto-front point names, one a line")
    a = ap.parse_args()
    points = load(a.results)
    if not points:
        print("plot_sweep: no finished points", file=sys.stderr)
        return 1
    texts = [t["name"] for t in points[0]["cfg"]["session"]["eval_texts"]]
    front = set()
    if a.front:
        with open(a.front) as f:
            front = {line.strip() for line in f if line.strip()}
    t = texts[0]
    plot(points, front, t, "kld_mean", f"mean KL(FP32 || quantized) on {t}, nats/token", os.path.join(a.outdir, "kl_vs_bits"), True)
    plot(points, front, t, "ppl", f"perplexity on {t}", os.path.join(a.outdir, "ppl_vs_bits"), False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
