#!/usr/bin/python3
"""Baseline for the quality report: MFCC statistics in plain numpy.

Independent of the C++ code on purpose (its own decoding with the ffmpeg CLI,
its own MFCC and its own evaluation), so that docs/quality.md can compare the
built-in spaces against a pipeline anyone can read in one page:

  decode (ffmpeg, mono, 22050 Hz) -> |STFT|^2 (n_fft 2048, hop 512, Hann)
  -> 128 HTK mel bands -> 10 log10 (dB, floor 1e-10, top 80 dB) -> DCT-II
  ortho, 20 MFCCs -> deltas (width 9) -> clip vector = [mean, std] of the
  MFCCs and of their deltas (80 dims) -> z-score per dimension -> PCA to
  min(100, dims) -> cosine -> MAP@15 / MAP@150 / MR1, label-based (macro),
  query left out, AP denominator min(N, R) as in docs/evaluation.md.

Also prints the expected MAP@15 of a random ranking (mean over shuffles).

Usage: /usr/bin/python3 tools/baseline_mfcc_stats.py MANIFEST.csv [AUDIO_DIR]
(AUDIO_DIR defaults to the manifest's folder). Needs numpy and ffmpeg only.
"""
import csv
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

SR = 22050
N_FFT = 2048
HOP = 512
N_MELS = 128
N_MFCC = 20


def decode(path):
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i",
         path, "-ac", "1", "-ar", str(SR), "-f", "f32le", "-"],
        check=True, stdout=subprocess.PIPE).stdout
    return np.frombuffer(out, dtype=np.float32).astype(np.float64)


def mel_filterbank():
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    def mel_to_hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    freqs = np.arange(N_FFT // 2 + 1) * SR / N_FFT
    pts = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(SR / 2), N_MELS + 2))
    fb = np.zeros((N_MELS, freqs.size))
    for m in range(N_MELS):
        lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[m] = np.maximum(0.0, np.minimum(up, down))
    return fb


def dct_matrix():
    n = np.arange(N_MELS)
    k = np.arange(N_MFCC)[:, None]
    d = np.cos(np.pi * k * (2 * n + 1) / (2 * N_MELS)) * np.sqrt(2.0 / N_MELS)
    d[0] /= np.sqrt(2.0)
    return d


FB = mel_filterbank()
DCT = dct_matrix()
WINDOW = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)


def deltas(x, width=9):
    half = width // 2
    pad = np.pad(x, ((0, 0), (half, half)), mode="edge")
    denom = 2 * sum(n * n for n in range(1, half + 1))
    out = np.zeros_like(x)
    t = x.shape[1]
    for n in range(1, half + 1):
        out += n * (pad[:, half + n:half + n + t] - pad[:, half - n:half - n + t])
    return out / denom


def clip_vector(y):
    if y.size < N_FFT:
        y = np.pad(y, (0, N_FFT - y.size))
    y = np.pad(y, (N_FFT // 2, N_FFT // 2), mode="reflect")
    frames = 1 + (y.size - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(y[idx] * WINDOW, axis=1)) ** 2
    mel = power @ FB.T
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    db = np.maximum(db, db.max() - 80.0)
    mfcc = (db @ DCT.T).T  # n_mfcc x frames
    d = deltas(mfcc)
    return np.concatenate([mfcc.mean(1), mfcc.std(1), d.mean(1), d.std(1)])


def evaluate(x, labels, cutoffs=(15, 150)):
    """Label-based (macro) MAP@N and MR1 for single-label items, cosine."""
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    sim = x @ x.T
    np.fill_diagonal(sim, -np.inf)
    order = np.argsort(-sim, axis=1, kind="stable")[:, :-1]  # query last
    labels = np.asarray(labels)
    per_label = {}
    for q in range(len(labels)):
        rel = labels[order[q]] == labels[q]
        r = int(rel.sum())
        if r == 0:
            continue
        hits = np.cumsum(rel)
        prec = hits / np.arange(1, rel.size + 1)
        aps = [float((prec[:n] * rel[:n]).sum() / min(n, r)) for n in cutoffs]
        r1 = int(np.argmax(rel))
        per_label.setdefault(labels[q], []).append(aps + [r1])
    means = np.array([np.mean(v, axis=0) for v in per_label.values()])
    return means.mean(axis=0)


def main():
    manifest = sys.argv[1]
    audio_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(manifest)
    with open(manifest, newline="") as f:
        rows = list(csv.DictReader(f))
    paths = [os.path.join(audio_dir, r["fname"]) for r in rows]
    labels = [r["labels"].split(",")[0] for r in rows]
    with ThreadPoolExecutor(max_workers=2) as pool:
        vecs = list(pool.map(lambda p: clip_vector(decode(p)), paths))
    x = np.array(vecs)
    x = (x - x.mean(0)) / np.maximum(x.std(0), 1e-12)
    xc = x - x.mean(0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    dims = min(100, x.shape[1], x.shape[0] - 1)
    z = xc @ vt[:dims].T
    m15, m150, mr1 = evaluate(z, labels)
    print(f"baseline mfcc-stats ({x.shape[1]}-d, zscore, PCA {dims}, cosine): "
          f"MAP@15 {m15:.4f}  MAP@150 {m150:.4f}  MR1 {mr1:.2f}  "
          f"({len(rows)} clips, {len(set(labels))} labels)")
    rng = np.random.default_rng(0)
    rand = np.mean([evaluate(rng.standard_normal((len(rows), 8)), labels)
                    for _ in range(5)], axis=0)
    print(f"random ranking (mean of 5): MAP@15 {rand[0]:.4f}  "
          f"MAP@150 {rand[1]:.4f}  MR1 {rand[2]:.2f}")


if __name__ == "__main__":
    main()
