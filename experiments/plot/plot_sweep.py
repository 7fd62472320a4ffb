#!/usr/bin/env python3
"""Plots of an mxlab sweep result file (HDF5, read with h5py): KL and PPL of the first evaluation text versus
bits/weight, one marker per point (colour = pipeline, shape = activation format), the Pareto front that
`mxlab report` computed (--front: point names, one a line) drawn as a step line and labelled; with
--axis METRIC NAME FRONT (repeatable) also KL versus that cost metric (e.g. cost.area_um2, cost.pj_per_mac) with
its own front. Writes OUTDIR/{kl,ppl}_vs_bits.{png,svg} and OUTDIR/kl_vs_NAME.{png,svg}. Exit status 3 when
matplotlib or h5py is missing."""
import argparse
import json
import math
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


AXIS_LABELS = {
    "bits_per_weight": "bits per weight (exact storage)",
    "cost.area_um2": "MAC unit area (um^2, sky130 hd; see the cost.* attributes)",
    "cost.pj_per_mac": "energy per MAC (pJ, gate-level simulation of real operands)",
    "accel.cycles": "accelerator cycles (see the accel.* attributes)",
    "accel.uj_per_token": "accelerator energy per token (uJ)",
}


def plot(points, front, text, metric, label, out_base, logy, xm="bits_per_weight", front_label="bits/weight"):
    points = [p for p in points if math.isfinite(p["m"].get(xm, math.nan))]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    pipelines = sorted({p["cfg"]["point"]["pipeline"] for p in points})
    acts = sorted({p["cfg"]["point"]["acts"] for p in points})
    markers = "osD^v<>ph*"
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for p in points:
        pt = p["cfg"]["point"]
        ax.scatter(p["m"][xm], p["m"][f"{text}.{metric}"],
                   color=colours[pipelines.index(pt["pipeline"]) % len(colours)],
                   marker=markers[acts.index(pt["acts"]) % len(markers)], s=36, alpha=0.85)
    on = sorted((p for p in points if p["name"] in front), key=lambda p: p["m"][xm])
    if on:
        xs = [p["m"][xm] for p in on]
        ys = [p["m"][f"{text}.{metric}"] for p in on]
        ax.step(xs, ys, where="post", color="black", lw=1, label=f"Pareto front (KL vs {front_label})")
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
    ax.set_xlabel(AXIS_LABELS.get(xm, xm))
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
    ap.add_argument("--axis", nargs=3, action="append", default=[], metavar=("METRIC", "NAME", "FRONT"),
                    help="also plot KL versus METRIC into kl_vs_NAME, with the front listed in FRONT")
    a = ap.parse_args()
    points = load(a.results)
    if not points:
        print("plot_sweep: no finished points", file=sys.stderr)
        return 1
    texts = [t["name"] for t in points[0]["cfg"]["session"]["eval_texts"]]
    t = texts[0]
    kl_label = f"mean KL(FP32 || quantized) on {t}, nats/token"
    front = read_front(a.front)
    plot(points, front, t, "kld_mean", kl_label, os.path.join(a.outdir, "kl_vs_bits"), True)
    plot(points, front, t, "ppl", f"perplexity on {t}", os.path.join(a.outdir, "ppl_vs_bits"), False)
    for metric, name, front_file in a.axis:
        plot(points, read_front(front_file), t, "kld_mean", kl_label, os.path.join(a.outdir, f"kl_vs_{name}"), True,
             xm=metric, front_label=name)
    return 0


def read_front(path):
    if not path:
        return set()
    with open(path) as f:
        return {line.strip() for line in f if line.strip()}


if __name__ == "__main__":
    sys.exit(main())
