#!/usr/bin/python3
"""Heatmap of a 27-system sweep written by `soundsearch-eval --sweep --sweep-out`.

Reads <space>_sweep.csv (pooling,pca,metric,map@15,map@150,mr1) and draws
three panels (MAP@15, MAP@150, MR1): rows pooling x PCA, columns the search
function, each cell annotated with its value, the best cell of each panel
outlined.

Usage: /usr/bin/python3 tools/plot_sweep.py SWEEP.csv OUT.png [TITLE [NOTE]]
(NOTE: a second, smaller title line, e.g. how PCA was capped.)
Needs Debian's python3-matplotlib (scripts/setup installs it).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

POOLINGS = ["mean", "median", "max"]
PCAS = ["100", "200", "none"]
METRICS = ["cosine", "inner_product", "euclidean"]
METRIC_LABELS = ["cosine\n(MCSS)", "inner product\n(MIPS)", "Euclidean\n(NNS)"]


def main():
    path, out = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) > 3 else path
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        columns = reader.fieldnames[3:]
    grids = {c: np.full((len(POOLINGS) * len(PCAS), len(METRICS)), np.nan)
             for c in columns}
    for r in rows:
        i = POOLINGS.index(r["pooling"]) * len(PCAS) + PCAS.index(r["pca"])
        j = METRICS.index(r["metric"])
        for c in columns:
            grids[c][i, j] = float(r[c])
    row_labels = [f"{p}, PCA {d}" for p in POOLINGS for d in PCAS]

    fig, axes = plt.subplots(1, len(columns), figsize=(15, 6.2))
    for ax, c in zip(axes, columns):
        g = grids[c]
        lower_better = c == "mr1"
        cmap = "viridis_r" if lower_better else "viridis"
        # MR1 spans two orders of magnitude (MIPS without PCA): log colours.
        norm = (matplotlib.colors.LogNorm(vmin=max(np.nanmin(g), 0.05),
                                          vmax=max(np.nanmax(g), 0.1))
                if lower_better else None)
        im = ax.imshow(np.maximum(g, 0.05) if lower_better else g, cmap=cmap,
                       norm=norm, aspect="auto")
        best = np.nanargmin(g) if lower_better else np.nanargmax(g)
        bi, bj = np.unravel_index(best, g.shape)
        lo, hi = np.nanmin(g), np.nanmax(g)
        for i in range(g.shape[0]):
            for j in range(g.shape[1]):
                v = g[i, j]
                if lower_better:
                    text = f"{v:.2f}" if v < 10 else f"{v:.1f}"
                else:
                    text = f"{v:.3f}"
                if lower_better:
                    lv, llo, lhi = (np.log(max(x, 0.05)) for x in (v, lo, hi))
                    frac = 0.5 if lhi == llo else (lv - llo) / (lhi - llo)
                else:
                    frac = 0.5 if hi == lo else (v - lo) / (hi - lo)
                dark = frac > 0.5 if lower_better else frac < 0.5
                ax.text(j, i, text, ha="center", va="center", fontsize=10,
                        color="white" if dark else "black",
                        fontweight="bold" if (i, j) == (bi, bj) else "normal")
        ax.add_patch(plt.Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False,
                                   edgecolor="red", linewidth=2.5))
        ax.set_xticks(range(len(METRICS)), METRIC_LABELS, fontsize=9)
        ax.set_yticks(range(len(row_labels)), row_labels, fontsize=9)
        for k in (len(PCAS) - 0.5, 2 * len(PCAS) - 0.5):
            ax.axhline(k, color="white", linewidth=2)
        name = c.upper().replace("MAP@", "MAP@")
        scale = ", log colours" if lower_better else ""
        ax.set_title(f"{name} ({'lower' if lower_better else 'higher'} "
                     f"is better{scale})")
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    note = sys.argv[4] if len(sys.argv) > 4 else ""
    fig.suptitle(title + ("\n" + note if note else ""), fontsize=12)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
