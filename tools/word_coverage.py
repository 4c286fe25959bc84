#!/usr/bin/python3
"""Coverage of word-relatedness benchmarks by a collection's tags.

A pair can only be scored (DESIGN.md: word vector = mean embedding of the
sounds tagged with the word) when both words tag at least `min_sounds` sounds.
Prints, per benchmark file, the covered pairs and the tag vocabulary size, so
that docs/quality.md reports coverage rather than a correlation on a handful
of pairs.

Usage: /usr/bin/python3 tools/word_coverage.py MANIFEST.csv PAIRS.txt... [--min-sounds N]
"""
import collections
import csv
import re
import sys


def main():
    args = sys.argv[1:]
    min_sounds = 1
    if "--min-sounds" in args:
        i = args.index("--min-sounds")
        min_sounds = int(args[i + 1])
        del args[i:i + 2]
    manifest, pair_files = args[0], args[1:]
    counts = collections.Counter()
    with open(manifest, newline="") as f:
        for row in csv.DictReader(f):
            words = set(w.lower() for w in re.split(r"[ ,]+", row.get("tags", ""))
                        if w)
            counts.update(words)
    vocab = {w for w, c in counts.items() if c >= min_sounds}
    print(f"{manifest}: {len(vocab)} tag words on >= {min_sounds} sounds: "
          f"{' '.join(sorted(vocab))}")
    for path in pair_files:
        total, covered = 0, []
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3 or line.startswith("#"):
                    continue
                total += 1
                a, b = parts[0].lower(), parts[1].lower()
                if a in vocab and b in vocab:
                    covered.append(f"{a}-{b}")
        print(f"  {path}: {len(covered)} of {total} pairs covered "
              f"({100.0 * len(covered) / max(total, 1):.2f}%)"
              + (f": {' '.join(covered)}" if covered else ""))


if __name__ == "__main__":
    main()
