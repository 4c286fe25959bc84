#!/usr/bin/python3
"""QPS of query by id against collection size, from load_tool --csv files.

Reads one or more CSVs written by `benchmarks/load_tool --csv FILE` (columns
sounds,kind,clients,qps,p50_ms,p99_ms,errors,raw_qps,raw_p50_ms,raw_p99_ms,
recall15,bytes_per_vector,start_s) and draws QPS (log scale) against the
number of sounds (log scale): one line per index kind through the server
(gRPC, solid) and one per kind for raw FAISS on the same FAISS index in the
same run (dashed), at the given client count. A later row for the same
(sounds, kind, clients) replaces an earlier one.

Usage: /usr/bin/python3 tools/plot_load.py OUT.png CLIENTS CSV [CSV...]
Needs Debian's python3-matplotlib (scripts/setup installs it).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {
    "flat": "exact, coalesced",
    "flat_single": "exact, not coalesced",
    "hnsw": "HNSW, coalesced",
    "hnsw_single": "HNSW, not coalesced",
    "sq8": "sq8, coalesced",
    "fp16": "fp16, coalesced",
}


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    out, clients, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    rows = {}
    for path in paths:
        with open(path) as f:
            for r in csv.DictReader(f):
                if int(r["clients"]) != clients:
                    continue
                rows[(int(r["sounds"]), r["kind"])] = r
    kinds = sorted({k for _, k in rows}, key=lambda k: list(LABELS).index(k)
                   if k in LABELS else 99)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    raw_done = set()
    for i, kind in enumerate(kinds):
        pts = sorted((n, r) for (n, k), r in rows.items() if k == kind)
        xs = [n for n, _ in pts]
        colour = f"C{i}"
        ax.plot(xs, [float(r["qps"]) for _, r in pts], "o-", color=colour,
                label=f"{LABELS.get(kind, kind)} (gRPC)")
        base = kind.replace("_single", "")
        if base not in raw_done:  # the same FAISS index: one raw line per kind
            raw_done.add(base)
            ax.plot(xs, [float(r["raw_qps"]) for _, r in pts], "s--",
                    color=colour, alpha=0.6,
                    label=f"raw FAISS {base}, one query per call")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sounds in the collection")
    ax.set_ylabel("queries per second (query by id, k = 15)")
    ax.set_title(f"soundsearchd on 2 shared cores, {clients} concurrent clients")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
