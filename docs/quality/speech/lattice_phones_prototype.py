#!/usr/bin/env python3
"""Prototype of candidate vectors for the speech space over soundsearch-eval's
--spoken-cache files (docs/quality.md, "Spoken words across speakers"):
phone n-grams from the lattice words' dictionary pronunciations, and a
re-ranking by the lattice words' phonetic similarity. Pure Python (no numpy),
unhashed terms: it reproduces the C++ figures only to about 0.01 (hashing,
empty blocks), so compare its rows with its own baseline row.

usage: lattice_phones_prototype.py CACHE.tsv MANIFEST.csv [DICT]
"""
import collections, csv, math, re, sys

DICT = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict'


def load(cache, manifest):
    rows = {}
    for line in open(cache):
        p = line.rstrip('\n').split('\t')
        pairs = lambda col: [(w.rsplit(':', 1)[0], float(w.rsplit(':', 1)[1]))
                             for w in col.split()]
        rows[p[0]] = (pairs(p[2]) if len(p) > 2 else [],
                      p[3].split() if len(p) > 3 else [],
                      pairs(p[4]) if len(p) > 4 else [])
    return [(r['fname'], r['labels'], r['speaker'], rows[r['fname']])
            for r in csv.DictReader(open(manifest))]


def cmudict(path):
    d = collections.defaultdict(list)
    for line in open(path):
        t = line.split()
        if t:
            d[re.sub(r'\(\d+\)$', '', t[0])].append(t[1:])
    return d


def ngrams(ph, c, out, pre, lo=1, hi=3):
    for o in range(lo, hi + 1):
        for i in range(len(ph) - o + 1):
            out[pre + ' ' + ' '.join(ph[i:i + o])] += c


def word_docs(items, exp=0.5):
    docs = []
    for _, _, _, (words, _, lat) in items:
        d = collections.Counter()
        for w, c in (lat or [(w, 1.0) for w, _ in words]):
            d['w ' + w] += c ** exp if lat else 1
        docs.append(d or collections.Counter({'<empty>': 1}))
    return docs


def phone_docs(items):
    docs = []
    for _, _, _, (_, phones, _) in items:
        d = collections.Counter()
        ngrams(phones, 1, d, 'p')
        docs.append(d or collections.Counter({'<empty>': 1}))
    return docs


def lattice_phone_docs(items, dic, exp=0.5):
    """Expected phone n-gram counts: each lattice word's first pronunciation's
    n-grams, counted expected_count^exp."""
    docs = []
    for _, _, _, (words, _, lat) in items:
        d = collections.Counter()
        for w, c in (lat or [(w, 1.0) for w, _ in words]):
            if dic.get(w):
                ngrams(dic[w][0], c ** exp, d, 'q')
        docs.append(d or collections.Counter({'<empty>': 1}))
    return docs


def vectors(items, blocks, weights):
    n = len(items)
    vecs = [dict() for _ in items]
    for b, (docs, w) in enumerate(zip(blocks, weights)):
        if w == 0:
            continue
        df = collections.Counter(t for d in docs for t in d)
        for i, d in enumerate(docs):
            v = {t: c * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in d.items()}
            norm = math.sqrt(sum(x * x for x in v.values())) or 1
            for t, x in v.items():
                vecs[i][(b, t)] = w * x / norm
    for v in vecs:
        norm = math.sqrt(sum(x * x for x in v.values())) or 1
        for t in v:
            v[t] /= norm
    return vecs


def ned(a, b):
    if not a or not b:
        return 1.0
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1,
                         prev[j - 1] + (a[i - 1] != b[j - 1]))
        prev = cur
    return prev[-1] / max(len(a), len(b))


def evaluate(items, vecs, expand=0, alpha=1.0, rescore=None, top_n=0):
    """MAP@15 across speakers (macro over labels), as soundsearch-eval."""
    n = len(items)
    inv = collections.defaultdict(list)
    for i, v in enumerate(vecs):
        for t, x in v.items():
            inv[t].append((i, x))
    sim = []
    for q in range(n):
        s = [0.0] * n
        for t, x in vecs[q].items():
            for j, y in inv[t]:
                s[j] += x * y
        sim.append(s)
    per = collections.defaultdict(list)
    for q in range(n):
        lab, spk = items[q][1], items[q][2]
        sc = sim[q]
        if expand:
            nb = sorted((j for j in range(n) if j != q), key=lambda j: -sim[q][j])
            nb = nb[:expand]
            ws = [max(sim[q][j], 0) ** alpha for j in nb]
            sc = [sim[q][j] + sum(w * sim[m][j] for w, m in zip(ws, nb))
                  for j in range(n)]
        cand = sorted((j for j in range(n) if items[j][2] != spk),
                      key=lambda j: (-sc[j], j))
        if rescore and top_n:
            head = sorted(((rescore(q, j, sc[j]), j) for j in cand[:top_n]),
                          key=lambda t: -t[0])
            cand = [j for _, j in head] + cand[top_n:]
        relevant = sum(1 for j in cand if items[j][1] == lab)
        hits, s = 0, 0.0
        for k, j in enumerate(cand[:15]):
            if items[j][1] == lab:
                hits += 1
                s += hits / (k + 1)
        per[lab].append(s / min(15, relevant))
    return sum(sum(v) / len(v) for v in per.values()) / len(per)


def main():
    items = load(sys.argv[1], sys.argv[2])
    dic = cmudict(sys.argv[3] if len(sys.argv) > 3 else DICT)
    W, P, L = word_docs(items), phone_docs(items), lattice_phone_docs(items, dic)
    print('| vector (weights words / allphone phones / lattice phones) | MAP@15 | with expand 3, alpha 1 |')
    print('| --- | ---: | ---: |')
    for w in [(0.6, 0.4, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (0.6, 0, 0.4),
              (0.5, 0.3, 0.2), (0.4, 0.3, 0.3)]:
        v = vectors(items, [W, P, L], list(w))
        print('| %.1f / %.1f / %.1f | %.3f | %.3f |' %
              (w + (evaluate(items, v), evaluate(items, v, expand=3))))
    # Re-ranking the head (top 20, weight 0.3) of the 0.6 / 0.4 vector.
    v = vectors(items, [W, P, L], [0.6, 0.4, 0])
    ph = [it[3][1] for it in items]
    def lattice_prons(it, k=8):
        lat = it[3][2] or [(w, 1.0) for w, _ in it[3][0]]
        out = [(dic[w][0], c) for w, c in sorted(lat, key=lambda t: -t[1])[:k]
               if dic.get(w)]
        z = sum(c for _, c in out) or 1
        return [(p, c / z) for p, c in out]
    lp = [lattice_prons(it) for it in items]
    memo = {}
    def kernel(q, j):
        s = 0.0
        for a, pa in lp[q]:
            for b, pb in lp[j]:
                key = (tuple(a), tuple(b))
                if key not in memo:
                    memo[key] = 1 - ned(a, b)
                s += pa * pb * memo[key]
        return s
    print()
    print('| re-ranking of the 0.6 / 0.4 vector, top 20, weight 0.3 | MAP@15 |')
    print('| --- | ---: |')
    print('| none | %.3f |' % evaluate(items, v))
    print('| allphone phones, edit similarity | %.3f |' % evaluate(
        items, v, rescore=lambda q, j, s: 0.7 * s + 0.3 * (1 - ned(ph[q], ph[j])),
        top_n=20))
    print('| lattice words\' pronunciations, expected edit similarity (top 8 words) | %.3f |' % evaluate(
        items, v, rescore=lambda q, j, s: 0.7 * s + 0.3 * kernel(q, j), top_n=20))


if __name__ == '__main__':
    main()
