#!/usr/bin/python3
"""Dev tool: retrieval quality of the exported EfficientAT model on a labelled clip set.

Each clip is decoded at 32 kHz (ffmpeg), embedded whole in one forward pass of the
exported TorchScript model (384-d clip embedding), L2-normalised, projected by PCA to
100 dimensions (numpy SVD over the collection), L2-normalised again and searched by
cosine with the query left out. Prints label-based MAP@15 and MR1 (the project's
definitions, docs/efficientat.md) and the top-5 AudioSet tags of a few clips per class.

Usage (from the repository root, after scripts/models):
  /usr/bin/python3 tools/eval_efficientat_instruments.py \
      --model data/models/efficientat/efficientat.pt \
      --data ../shared/data/instruments
"""

import argparse
import csv
import os
import subprocess
import sys
import time
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np
import torch

SAMPLE_RATE = 32000
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def decode_32k(path: str) -> np.ndarray:
    out = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "f32le",
                          "-ac", "1", "-ar", str(SAMPLE_RATE), "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype="<f4").copy()


def read_manifest(data_dir: str) -> List[Tuple[str, List[str]]]:
    with open(os.path.join(data_dir, "manifest.csv"), newline="") as f:
        return [(r["fname"], [l for l in r["labels"].split(",") if l])
                for r in csv.DictReader(f)]


def l2n(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    xc = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    return xc @ vt[:dims].T


def evaluate(emb: np.ndarray, labels: List[List[str]], n: int) -> Tuple[float, float, Dict]:
    """Label-based MAP@n and MR1 with cosine search, query left out."""
    sim = emb @ emb.T
    np.fill_diagonal(sim, -np.inf)
    order = np.argsort(-sim, axis=1, kind="stable")[:, :-1]  # drop the query (last)
    per_label: Dict[str, Tuple[float, float]] = {}
    by_label = defaultdict(list)
    for i, ls in enumerate(labels):
        for l in ls:
            by_label[l].append(i)
    for label, queries in sorted(by_label.items()):
        aps, r1s = [], []
        for q in queries:
            rel = np.array([label in labels[j] for j in order[q]])
            n_rel = int(rel.sum())
            if n_rel == 0:
                continue
            hits = np.cumsum(rel[:n])
            ks = np.arange(1, min(n, len(rel)) + 1)
            ap = float(np.sum((hits / ks)[rel[:n]])) / min(n, n_rel)
            aps.append(ap)
            r1s.append(int(np.argmax(rel)))
        if aps:
            per_label[label] = (float(np.mean(aps)), float(np.mean(r1s)))
    map_n = float(np.mean([v[0] for v in per_label.values()]))
    mr1 = float(np.mean([v[1] for v in per_label.values()]))
    return map_n, mr1, per_label


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(REPO_ROOT, "data", "models",
                                                    "efficientat", "efficientat.pt"))
    ap.add_argument("--labels", default=None,
                    help="tag names, one per line (default: efficientat.labels.txt beside the model)")
    ap.add_argument("--data", default=os.path.join(REPO_ROOT, "..", "shared", "data",
                                                   "instruments"))
    ap.add_argument("--pca", type=int, default=100, help="PCA dims (0: none)")
    ap.add_argument("--n", type=int, default=15, help="N of MAP@N")
    ap.add_argument("--tags-per-class", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model = torch.jit.load(args.model, map_location="cpu").eval()
    labels_path = args.labels or os.path.join(os.path.dirname(args.model),
                                              "efficientat.labels.txt")
    tag_names = [l.rstrip("\n") for l in open(labels_path)]
    items = read_manifest(args.data)

    clips, logits, secs = [], [], 0.0
    t0 = time.time()
    for fname, _ in items:
        wav = decode_32k(os.path.join(args.data, fname))
        secs += len(wav) / SAMPLE_RATE
        with torch.no_grad():
            clip, _, logit = model(torch.from_numpy(wav).unsqueeze(0))
        clips.append(clip[0].numpy())
        logits.append(logit[0].numpy())
    t1 = time.time()
    print(f"embedded {len(items)} clips ({secs:.0f} s of audio) in {t1 - t0:.1f} s "
          f"with {args.threads} thread(s)")

    emb = l2n(np.stack(clips).astype(np.float64))
    if args.pca > 0:
        emb = l2n(pca(emb, args.pca))
    clip_labels = [ls for _, ls in items]
    map_n, mr1, per_label = evaluate(emb, clip_labels, args.n)
    print(f"MAP@{args.n} = {map_n:.4f}   MR1 = {mr1:.3f}   "
          f"(384-d mean-pooled, L2, PCA {args.pca or 'none'}, L2, cosine, query left out)")
    for label, (m, r) in per_label.items():
        print(f"  {label:20s} MAP@{args.n} {m:.3f}  MR1 {r:.2f}")

    print("top-5 AudioSet tags (sigmoid):")
    shown = defaultdict(int)
    for (fname, ls), lg in zip(items, logits):
        key = ls[0]
        if shown[key] >= args.tags_per_class:
            continue
        shown[key] += 1
        p = 1.0 / (1.0 + np.exp(-lg))
        top = np.argsort(-p)[:5]
        print(f"  {fname}: " + ", ".join(f"{tag_names[i]} {p[i]:.2f}" for i in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
