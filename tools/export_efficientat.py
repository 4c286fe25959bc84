#!/usr/bin/python3
"""Rebuild the EfficientAT "mn04_as" audio tagger, check it, export TorchScript.

The network (MobileNetV3, width 0.4, 1-channel input, AudioSet head) and its
front end (pre-emphasis, STFT, Kaldi mel banks, log, normalisation) are written
here from the facts in ../shared/models/efficientat/README.md; the weights are
the project's published state_dict, loaded strictly.

The exported module takes a waveform [batch, samples] float32 at 32 kHz and
returns (clip_embedding [batch, 384], frame_embeddings [batch, frames, 384],
tag_logits [batch, 527]). Beside it the script writes the label names (one per
line, logit order) and the JSON spec read by the C++ `torchscript` encoder.

Usage (from the repository root):
  /usr/bin/python3 tools/export_efficientat.py --out-dir data/models/efficientat
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
import wave
from typing import List, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchaudio

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_WEIGHTS = os.path.join(REPO_ROOT, "..", "shared", "models", "efficientat",
                               "mn04_as_mAP_432.pt")

SAMPLE_RATE = 32000
N_FFT = 1024
HOP = 320
WIN_LENGTH = 800
N_MELS = 128
PREEMPHASIS = 0.97
EMBED_DIM = 384
NUM_CLASSES = 527
WIDTH = 0.4
BN_EPS = 0.001

MODEL_FILE = "efficientat.pt"
SPEC_FILE = "efficientat.json"  # the C++ encoder reads <model>.json by default
LABELS_FILE = "efficientat.labels.txt"

# Expected top class per sample clip (README): any of the names, with the
# sigmoid the README reports for a correct rebuild.
SAMPLE_EXPECT = {
    "music.wav": (("Music",), 0.57),
    "speech.wav": (("Speech",), 0.81),
    "typing.wav": (("Computer keyboard", "Typing"), 0.9),
}
SAMPLE_TOP_K = 3  # the expected class must be within this many top classes


def make_divisible(v: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of `divisor`, never more than 10% down."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


# MobileNetV3-Large inverted-residual table (torchvision):
# (in, kernel, expanded, out, squeeze-excitation, activation, stride)
LARGE_TABLE = [
    (16, 3, 16, 16, False, "RE", 1),
    (16, 3, 64, 24, False, "RE", 2),
    (24, 3, 72, 24, False, "RE", 1),
    (24, 5, 72, 40, True, "RE", 2),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 5, 120, 40, True, "RE", 1),
    (40, 3, 240, 80, False, "HS", 2),
    (80, 3, 200, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 184, 80, False, "HS", 1),
    (80, 3, 480, 112, True, "HS", 1),
    (112, 3, 672, 112, True, "HS", 1),
    (112, 5, 672, 160, True, "HS", 2),
    (160, 5, 960, 160, True, "HS", 1),
    (160, 5, 960, 160, True, "HS", 1),
]


def conv_bn_act(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1,
                act: str = "none") -> nn.Sequential:
    """Conv (no bias) + BatchNorm(eps 1e-3) + activation, named .0 / .1 / .2."""
    layers: List[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=(kernel - 1) // 2,
                  groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=BN_EPS, momentum=0.01),
    ]
    if act == "RE":
        layers.append(nn.ReLU(inplace=False))
    elif act == "HS":
        layers.append(nn.Hardswish(inplace=False))
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    """Channel SE: mean over frequency and time, fc1, ReLU, fc2, sigmoid gate."""

    def __init__(self, channels: int):
        super().__init__()
        squeezed = make_divisible(channels // 4, 8)
        self.fc1 = nn.Linear(channels, squeezed)
        self.fc2 = nn.Linear(squeezed, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=(2, 3))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s.unsqueeze(2).unsqueeze(3)


class ConcurrentSE(nn.Module):
    """A list of SE layers whose outputs are max-aggregated (here: exactly one)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conc_se_layers = nn.ModuleList([SqueezeExcitation(channels)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        first = True
        for se in self.conc_se_layers:
            y = se(x)
            if first:
                out = y
                first = False
            else:
                out = torch.maximum(out, y)
        return out


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, kernel: int, expanded: int, cout: int, use_se: bool,
                 act: str, stride: int):
        super().__init__()
        self.use_residual = stride == 1 and cin == cout
        layers: List[nn.Module] = []
        if expanded != cin:
            layers.append(conv_bn_act(cin, expanded, 1, act=act))
        layers.append(conv_bn_act(expanded, expanded, kernel, stride=stride,
                                  groups=expanded, act=act))
        if use_se:
            layers.append(ConcurrentSE(expanded))
        layers.append(conv_bn_act(expanded, cout, 1, act="none"))
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        if self.use_residual:
            y = y + x
        return y


class MobileNetV3Audio(nn.Module):
    """MobileNetV3-Large body at width 0.4 on 1-channel log-mel input, AudioSet head."""

    def __init__(self, width: float = WIDTH, num_classes: int = NUM_CLASSES):
        super().__init__()
        table = [(make_divisible(cin * width), k, make_divisible(exp * width),
                  make_divisible(cout * width), se, act, s)
                 for (cin, k, exp, cout, se, act, s) in LARGE_TABLE]
        first = table[0][0]
        layers: List[nn.Module] = [conv_bn_act(1, first, 3, stride=2, act="HS")]
        for row in table:
            layers.append(InvertedResidual(*row))
        last_in = table[-1][3]
        last_out = 6 * last_in
        layers.append(conv_bn_act(last_in, last_out, 1, act="HS"))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)),
            nn.Flatten(1),
            nn.Linear(last_out, 512),
            nn.Hardswish(inplace=False),
            nn.Dropout(0.2),
            nn.Linear(512, num_classes),
        )
        self.embed_dim = last_out

    def forward(self, mel: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """mel [B, 1, 128, T] -> (clip [B, 384], frames [B, T', 384], logits [B, 527])."""
        fmap = self.features(mel)                      # [B, 384, F', T']
        clip = fmap.mean(dim=(2, 3))                   # global average pool
        frames = fmap.mean(dim=2).transpose(1, 2)      # [B, T', 384]
        logits = self.classifier(fmap)
        return clip, frames.contiguous(), logits


class LogMelFrontEnd(nn.Module):
    """Pre-emphasis, centred STFT power, Kaldi mel banks, log, (x + 4.5) / 5."""

    def __init__(self, fmin: float = 0.0, fmax: float = SAMPLE_RATE / 2):
        super().__init__()
        banks, _ = torchaudio.compliance.kaldi.get_mel_banks(
            N_MELS, N_FFT, float(SAMPLE_RATE), fmin, fmax, 100.0, -500.0, 1.0)
        banks = F.pad(banks, (0, 1), mode="constant", value=0.0)  # [128, 513]
        self.register_buffer("mel_banks", banks.float().contiguous())
        self.register_buffer("window", torch.hann_window(WIN_LENGTH, periodic=False))
        self.n_fft = N_FFT
        self.hop = HOP
        self.win_length = WIN_LENGTH
        self.preemphasis = PREEMPHASIS

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        """wav [B, S] float32 at 32 kHz -> [B, 1, 128, frames]."""
        # y[n] = x[n] - 0.97 x[n-1] over the valid part (one sample shorter).
        x = wav[:, 1:] - self.preemphasis * wav[:, :-1]
        spec = torch.stft(x, n_fft=self.n_fft, hop_length=self.hop,
                          win_length=self.win_length, window=self.window,
                          center=True, pad_mode="reflect", normalized=False,
                          onesided=True, return_complex=True)
        power = spec.real.pow(2) + spec.imag.pow(2)   # [B, 513, frames]
        mel = torch.matmul(self.mel_banks, power)      # [B, 128, frames]
        mel = torch.log(mel + 1e-5)
        mel = (mel + 4.5) / 5.0
        return mel.unsqueeze(1)


class EfficientATEncoder(nn.Module):
    """Waveform in, (clip embedding, frame embeddings, tag logits) out."""

    def __init__(self, net: MobileNetV3Audio, frontend: LogMelFrontEnd):
        super().__init__()
        self.frontend = frontend
        self.net = net
        # reflect padding in the centred STFT needs more than n_fft/2 samples;
        # shorter inputs are zero-padded up to one FFT length.
        self.min_samples = N_FFT + 1

    def forward(self, wav: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if wav.dim() == 1:
            wav = wav.unsqueeze(0)
        if wav.size(1) < self.min_samples:
            wav = F.pad(wav, (0, self.min_samples - wav.size(1)))
        return self.net(self.frontend(wav.float()))


# --------------------------------------------------------------------------------------
# loading and checking


def load_weights_strict(net: nn.Module, path: str) -> None:
    state = torch.load(path, map_location="cpu")
    if not isinstance(state, dict):
        sys.exit(f"export_efficientat: {path} is not a state_dict")
    own = net.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    bad_shape = [(k, tuple(state[k].shape), tuple(own[k].shape))
                 for k in own if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or bad_shape:
        msg = ["export_efficientat: the network does not match the weights"]
        if missing:
            msg.append(f"  missing in weights ({len(missing)}): {missing[:10]}")
        if unexpected:
            msg.append(f"  unused weights ({len(unexpected)}): {unexpected[:10]}")
        for k, a, b in bad_shape[:10]:
            msg.append(f"  shape of {k}: weights {a}, network {b}")
        sys.exit("\n".join(msg))
    net.load_state_dict(state, strict=True)
    n_values = sum(t.numel() for t in state.values())
    print(f"weights: {len(state)} tensors, {n_values} values, all used ({path})")


def read_labels(path: str) -> List[str]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: int(r["index"]))
    names = [r["display_name"] for r in rows]
    if len(names) != NUM_CLASSES or [int(r["index"]) for r in rows] != list(range(NUM_CLASSES)):
        sys.exit(f"export_efficientat: {path} does not list {NUM_CLASSES} classes 0..526")
    return names


def read_audio_32k(path: str) -> np.ndarray:
    """Mono float32 at 32 kHz. 16-bit WAV at 32 kHz is read directly, else ffmpeg."""
    if path.lower().endswith(".wav"):
        with wave.open(path, "rb") as w:
            if (w.getframerate() == SAMPLE_RATE and w.getsampwidth() == 2):
                raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
                x = raw.reshape(-1, w.getnchannels()).astype(np.float32).mean(axis=1)
                return x / 32768.0
    out = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "f32le",
                          "-ac", "1", "-ar", str(SAMPLE_RATE), "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype="<f4").copy()


def check_samples(model: nn.Module, samples_dir: str, labels: List[str]) -> List[str]:
    """Runs the three README clips; returns failure messages (empty when all pass)."""
    failures = []
    for fname, (expected, ref_prob) in SAMPLE_EXPECT.items():
        path = os.path.join(samples_dir, fname)
        if not os.path.exists(path):
            failures.append(f"sample clip {path} is missing")
            continue
        wav = torch.from_numpy(read_audio_32k(path)).unsqueeze(0)
        with torch.no_grad():
            _, _, logits = model(wav)
        probs = torch.sigmoid(logits[0])
        top = torch.argsort(probs, descending=True)[:5].tolist()
        shown = ", ".join(f"{labels[i]} {probs[i].item():.3f}" for i in top)
        print(f"  {fname}: {shown}")
        top_names = [labels[i] for i in top[:SAMPLE_TOP_K]]
        hit = [n for n in top_names if n in expected]
        if not hit:
            failures.append(f"{fname}: expected {' or '.join(expected)} among the top "
                            f"{SAMPLE_TOP_K} classes, got {top_names}")
        else:
            p = probs[labels.index(hit[0])].item()
            if labels[top[0]] not in expected:
                print(f"    note: {hit[0]} is not first (README: first)")
            print(f"    {hit[0]}: {p:.3f} (README: about {ref_prob})")
    return failures


def max_abs_diff(a: Tuple[torch.Tensor, ...], b: Tuple[torch.Tensor, ...]) -> float:
    for x, y in zip(a, b):
        if x.shape != y.shape:
            raise AssertionError(f"shape mismatch {tuple(x.shape)} vs {tuple(y.shape)}")
    return max((x - y).abs().max().item() for x, y in zip(a, b))


def optimize_for_inference(scripted: torch.jit.ScriptModule, how: str) -> torch.jit.ScriptModule:
    """Freezes the scripted module for CPU inference (how != "none").

    torch.jit.freeze inlines the parameters and attributes as constants and runs
    the frozen-graph optimisations of libtorch 1.13 (batch norm folded into the
    preceding convolution, conv + add/mul folding, dropout removed). Outputs stay
    within 1e-4 of the eager module (check_export); measured speed and quality in
    docs/efficientat.md. torch.jit.optimize_for_inference goes further (MKLDNN
    prepacked convolutions) but its result cannot be saved and loaded back in
    1.13 ("required keyword attribute 'value' is undefined"), so it is not used.
    """
    if how == "none":
        return scripted
    scripted = scripted.eval()
    if how == "freeze+channels_last":
        scripted = scripted.to(memory_format=torch.channels_last)
    return torch.jit.freeze(scripted)


def check_export(eager: nn.Module, loaded: torch.jit.ScriptModule, tol: float = 1e-4) -> List[str]:
    failures = []
    gen = torch.Generator().manual_seed(0)
    cases = {
        "1 s, batch 1": torch.randn(1, SAMPLE_RATE, generator=gen) * 0.1,
        "10 s, batch 2": torch.randn(2, 10 * SAMPLE_RATE, generator=gen) * 0.1,
        "3.3 s, batch 1": torch.randn(1, 105600 + 123, generator=gen) * 0.1,
        "0.01 s (padded), batch 1": torch.randn(1, 320, generator=gen) * 0.1,
    }
    for name, wav in cases.items():
        with torch.no_grad():
            ref = eager(wav)
            got = loaded(wav)
        try:
            d = max_abs_diff(ref, got)
        except AssertionError as e:
            failures.append(f"export differs on {name}: {e}")
            continue
        shapes = " ".join(str(tuple(t.shape)) for t in got)
        print(f"  {name}: outputs {shapes}, max |eager - exported| = {d:.2e}")
        if d > tol:
            failures.append(f"export differs from eager on {name}: {d:.2e} > {tol}")
    # batching must not change a clip's result
    with torch.no_grad():
        wav = cases["10 s, batch 2"]
        one = loaded(wav[1:2])
        d = max_abs_diff(tuple(t[1:2] for t in loaded(wav)), one)
    print(f"  batch of 2 vs single clip: max diff {d:.2e}")
    if d > tol:
        failures.append(f"batched and single results differ: {d:.2e}")
    return failures


def write_spec(path: str, model_file: str, labels_file: str, n_frames_10s: int) -> None:
    """Writes the spec our C++ `torchscript` encoder reads (docs/torchscript.md).

    The encoder's parser is strict (unknown keys are errors), so only its fields
    go here. forward() returns (clip_embedding [B, 384], frame_embeddings
    [B, frames, 384] with one frame per 0.32 s, tag_logits [B, 527]): the
    embedding is element 0, the tags element 2, named in order by `labels_file`
    (a path relative to the spec) and turned into probabilities by a sigmoid
    (AudioSet tagging is multi-label), averaged over a clip's windows.
    """
    del model_file, n_frames_10s  # documented in docs/efficientat.md
    spec = {
        "sample_rate": SAMPLE_RATE,
        "window_seconds": 10.0,
        "hop_seconds": 5.0,
        "device": "auto",
        "input": {"kind": "waveform"},
        "output": {"kind": "clip", "dim": EMBED_DIM, "select": 0},
        "tags": {"select": 2, "labels": labels_file, "activation": "sigmoid",
                 "pooling": "mean"},
    }
    with open(path, "w") as f:
        json.dump(spec, f, indent=2)
        f.write("\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", default=DEFAULT_WEIGHTS,
                    help="state_dict mn04_as_mAP_432.pt (default: %(default)s)")
    ap.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "data", "models", "efficientat"))
    ap.add_argument("--samples-dir", default=None,
                    help="folder with music.wav, speech.wav, typing.wav "
                         "(default: samples/ beside the weights)")
    ap.add_argument("--labels-csv", default=None,
                    help="audioset_class_labels_indices.csv (default: beside the weights)")
    ap.add_argument("--skip-check", action="store_true",
                    help="skip the sample-clip and export checks (not recommended)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--optimize", choices=["none", "freeze", "freeze+channels_last"],
                    default="freeze",
                    help="graph optimisation for inference: 'freeze' = torch.jit.freeze "
                         "(weights and attributes folded into the graph, batch norm folded "
                         "into the convolutions); "
                         "'freeze+channels_last' also stores the convolution weights "
                         "channels-last; 'none' = the plain scripted module "
                         "(default: %(default)s, docs/efficientat.md)")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    weights = os.path.abspath(args.weights)
    if not os.path.isfile(weights):
        print(f"export_efficientat: weights not found: {weights}\n"
              f"  expected the EfficientAT state_dict mn04_as_mAP_432.pt there "
              f"(pass --weights PATH)", file=sys.stderr)
        return 2
    wdir = os.path.dirname(weights)
    samples_dir = args.samples_dir or os.path.join(wdir, "samples")
    labels_csv = args.labels_csv or os.path.join(wdir, "audioset_class_labels_indices.csv")
    labels = read_labels(labels_csv)

    net = MobileNetV3Audio()
    load_weights_strict(net, weights)
    model = EfficientATEncoder(net, LogMelFrontEnd()).eval()

    failures: List[str] = []
    if not args.skip_check:
        print("sample clips (top 5 sigmoid):")
        failures += check_samples(model, samples_dir, labels)
        if failures:
            print("export_efficientat: CHECK FAILED\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1

    os.makedirs(args.out_dir, exist_ok=True)
    model_path = os.path.join(args.out_dir, MODEL_FILE)
    tmp_path = model_path + ".tmp"
    scripted = optimize_for_inference(torch.jit.script(model), args.optimize)
    scripted.save(tmp_path)

    if not args.skip_check:
        print("exported vs eager:")
        loaded = torch.jit.load(tmp_path, map_location="cpu").eval()
        failures += check_export(model, loaded)
        if failures:
            os.remove(tmp_path)
            print("export_efficientat: CHECK FAILED\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1

    with torch.no_grad():
        n_frames_10s = model(torch.zeros(1, 10 * SAMPLE_RATE))[1].shape[1]
    with open(os.path.join(args.out_dir, LABELS_FILE), "w") as f:
        f.write("\n".join(labels) + "\n")
    write_spec(os.path.join(args.out_dir, SPEC_FILE), MODEL_FILE, LABELS_FILE, n_frames_10s)
    os.replace(tmp_path, model_path)  # last, so a complete model means a complete export
    print(f"wrote {model_path}, {SPEC_FILE}, {LABELS_FILE} in {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
