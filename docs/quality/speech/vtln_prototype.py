#!/usr/bin/env python3
"""Prototype of vocal tract length warps for the speech space over
soundsearch-eval's --spoken-cache files, one cache per front-end warp
(encoder key speech_vtln_warp; docs/quality.md, "Vocal tract length warps"):

- each warp alone;
- multi-warp: the lattice words' expected counts averaged over a set of
  warps (phones from warp 1), or both the lattice counts and the allphone
  phone n-gram counts averaged;
- ML warp: per clip, the recognition of the warp whose best hypothesis
  scores highest per frame (the cache's sixth column: word search, phone
  search, or their sum).

Vectors and scoring as lattice_phones_prototype.py (unhashed tf-idf, words
0.6 / phones 0.4, lattice exponent 0.5, MAP@15 across speakers with and
without the expansion 3 / alpha 1): compare rows with its own warp-1 row.

usage: vtln_prototype.py MANIFEST.csv WARP=CACHE.tsv [WARP=CACHE.tsv ...]
"""
import collections, csv, sys

sys.path.insert(0, __import__('os').path.dirname(__file__))
from lattice_phones_prototype import ngrams, vectors, evaluate  # noqa: E402


def load(cache):
    rows = {}
    for line in open(cache):
        p = line.rstrip('\n').split('\t')
        pairs = lambda col: [(w.rsplit(':', 1)[0], float(w.rsplit(':', 1)[1]))
                             for w in col.split()]
        score = [float(x) for x in p[5].split()] if len(p) > 5 else None
        rows[p[0]] = dict(words=pairs(p[2]), phones=p[3].split(),
                          lattice=pairs(p[4]) if len(p) > 4 else [],
                          score=score)
    return rows


def word_doc(recs, exp=0.5):
    """Lattice expected counts averaged over recs, then ^exp."""
    avg = collections.Counter()
    for r in recs:
        lat = r['lattice'] or [(w, 1.0) for w, _ in r['words']]
        for w, c in lat:
            avg['w ' + w] += c / len(recs)
    d = collections.Counter({t: c ** exp for t, c in avg.items()})
    return d or collections.Counter({'<empty>': 1})


def phone_doc(recs):
    d = collections.Counter()
    for r in recs:
        ngrams(r['phones'], 1.0 / len(recs), d, 'p')
    return d or collections.Counter({'<empty>': 1})


def score(items, wdocs, pdocs):
    v = vectors(items, [wdocs, pdocs], [0.6, 0.4])
    return evaluate(items, v), evaluate(items, v, expand=3)


def main():
    manifest = sys.argv[1]
    caches = {}
    for a in sys.argv[2:]:
        w, path = a.split('=', 1)
        caches[w] = load(path)
    rows = list(csv.DictReader(open(manifest)))
    items = [(r['fname'], r['labels'], r['speaker'], None) for r in rows]
    ids = [r['fname'] for r in rows]
    warps = sorted(caches, key=float)
    one = '1.0' if '1.0' in caches else warps[len(warps) // 2]
    print('| method | warps | MAP@15 | with expand 3, alpha 1 |')
    print('| --- | --- | ---: | ---: |')

    def row(name, ws, wdocs, pdocs):
        m, e = score(items, wdocs, pdocs)
        print('| %s | %s | %.3f | %.3f |' % (name, ' '.join(ws), m, e))
        sys.stdout.flush()

    for w in warps:
        recs = [caches[w][i] for i in ids]
        row('one warp', [w], [word_doc([r]) for r in recs],
            [phone_doc([r]) for r in recs])
    sets = [ws for ws in (['0.9', '1.0', '1.1'], ['0.95', '1.0', '1.05'],
                          ['0.85', '1.0', '1.15'],
                          ['0.9', '0.95', '1.0', '1.05', '1.1'], warps)
            if all(w in caches for w in ws)]
    seen = set()
    for ws in sets:
        if tuple(ws) in seen or len(ws) < 2:
            continue
        seen.add(tuple(ws))
        multi = [[caches[w][i] for w in ws] for i in ids]
        base = [caches[one][i] for i in ids]
        row('multi-warp lattice, phones of warp %s' % one, ws,
            [word_doc(m) for m in multi], [phone_doc([r]) for r in base])
        row('multi-warp lattice and phones', ws,
            [word_doc(m) for m in multi], [phone_doc(m) for m in multi])
    scored = [w for w in warps if all(caches[w][i]['score'] for i in ids)]
    done = set()
    for ws in sets:
        ws = [w for w in ws if w in scored]  # caches with the scores column
        if len(ws) < 2 or tuple(ws) in done:
            continue
        done.add(tuple(ws))
        for name, f in (('word', lambda s: s[0]), ('phone', lambda s: s[1]),
                        ('word + phone', lambda s: s[0] + s[1])):
            chosen = [max(ws, key=lambda w: f(caches[w][i]['score']))
                      for i in ids]
            recs = [caches[w][i] for w, i in zip(chosen, ids)]
            hist = collections.Counter(chosen)
            row('ML warp by %s score (chosen: %s)' % (
                name, ', '.join('%s %d' % (w, hist[w]) for w in ws)), ws,
                [word_doc([r]) for r in recs], [phone_doc([r]) for r in recs])


if __name__ == '__main__':
    main()
