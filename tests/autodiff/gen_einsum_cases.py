#!/usr/bin/env python3
"""Writes einsum_cases.hpp: the einsum specs whose gradients einsum_grad_test_*.cpp check.

Deterministic (seeded); run it again only to change the table:
    python3 tests/autodiff/gen_einsum_cases.py > tests/autodiff/einsum_cases.hpp

Each case is  X(id, "spec", (map...), ext(...)...): operand k of the einsum is the
map[k]-th Var (a Var passed twice appears twice in map), and ext(...) are the
extents of each distinct Var. Cases come in kinds, each a fixed share of the table:
pairwise contractions, diagonals (repeated labels), labels summed within one
operand, ellipses with broadcasting, size-1 axes against larger ones, three or
more operands, one Var passed twice, implicit outputs, permutations.
"""
import random
import string
import sys

SEED = 20240601
PARTS = 6  # one X-macro list per test translation unit
MAX_ELEMENTS = 48  # per operand: the numeric gradient costs two evaluations per element

rng = random.Random(SEED)
LETTERS = "ijklmnpqrs"


def implicit_output(terms):
    """NumPy's rule, as ein's parser: ellipsis first, then labels seen exactly once, sorted."""
    count = {}
    for t in terms:
        for c in t.replace("...", ""):
            count[c] = count.get(c, 0) + 1
    out = "".join(sorted(c for c, n in count.items() if n == 1))
    return ("..." if any("..." in t for t in terms) else "") + out


class Case:
    def __init__(self, terms, output, extents, mapping, kind):
        self.terms, self.output, self.extents, self.mapping, self.kind = terms, output, extents, mapping, kind

    def spec(self):
        s = ",".join(self.terms)
        return s if self.output is None else s + "->" + self.output


def size_ok(extents):
    for e in extents:
        n = 1
        for x in e:
            n *= x
        if n > MAX_ELEMENTS:
            return False
    return True


def make(terms, output=None, implicit=False, ones=(), mapping=None, ell=None, kind=""):
    """Extents for `terms`: one random extent per label (2-4), size 1 where `ones`
    lists (operand, axis); ellipsis dims from `ell` per operand (a list of extents)."""
    labels = sorted(set("".join(t.replace("...", "") for t in terms)))
    if mapping is None:
        mapping = list(range(len(terms)))
    # A Var passed twice has one set of extents: give every label the same extent.
    same = rng.randint(2, 4)
    aliased = len(set(mapping)) < len(mapping)
    extent = {c: same if aliased else rng.randint(2, 4) for c in labels}
    exts = {}
    for k, t in enumerate(terms):
        e = []
        letters = t.split("...")
        e += [extent[c] for c in letters[0]]
        if len(letters) == 2:
            e += list(ell[k])
            e += [extent[c] for c in letters[1]]
        for (op, axis) in ones:
            if op == k:
                e[axis] = 1
        if mapping[k] in exts:
            assert exts[mapping[k]] == e, (terms, mapping)
        exts[mapping[k]] = e
    distinct = [exts[i] for i in range(max(mapping) + 1)]
    return Case(terms, None if implicit else output, distinct, mapping, kind)


def random_terms(n_ops, n_labels, max_rank, repeat=False):
    letters = list(LETTERS[:n_labels])
    terms = []
    for _ in range(n_ops):
        r = rng.randint(1, max_rank)
        t = rng.sample(letters, min(r, len(letters)))
        if repeat and rng.random() < 0.5 and len(t) >= 1:
            t.insert(rng.randint(0, len(t)), rng.choice(t))
        terms.append("".join(t))
    return terms


def random_output(terms, allow_summed=True):
    labels = sorted(set("".join(terms)))
    out = [c for c in labels if rng.random() < 0.5] if allow_summed else labels
    rng.shuffle(out)
    return "".join(out)


cases = []


def key(case):
    return case.spec(), tuple(len(case.extents[m]) for m in case.mapping)


def add(case):
    if size_ok(case.extents) and key(case) not in {key(c) for c in cases}:
        cases.append(case)
        return True
    return False


def fill(kind, count, gen):
    start = len(cases)
    tries = 0
    while len(cases) - start < count and tries < 10000:
        tries += 1
        c = gen()
        c.kind = kind
        add(c)


# 1. Named shapes every einsum library tests.
for t, o in [("ij,jk", "ik"), ("ij,kj", "ik"), ("ji,jk", "ik"), ("ji,kj", "ki"), ("bij,bjk", "bik"),
             ("bij,jk", "bik"), ("ij,j", "i"), ("i,ij", "j"), ("i,i", ""), ("i,j", "ij"), ("ij,ij", "ij"),
             ("ij,ij", ""), ("ijk,jk", "i"), ("ijk,ikl", "jl"), ("bhqd,bhkd", "bhqk"), ("bhqk,bhkd", "bhqd"),
             ("ij", "ji"), ("ijk", "kij"), ("ij", "ij"), ("ijk", "")]:
    add(make(t.split(","), o, kind="named"))

# 2. Pairwise contractions with random batch / free / contracted labels.
fill("pairwise", 60, lambda: (lambda t: make(t, random_output(t)))(random_terms(2, rng.randint(2, 5), 3)))

# 3. Diagonals: a label repeated within one operand.
for t, o in [("ii", "i"), ("ii", ""), ("iij,jk", "ik"), ("iji", "j"), ("ii,i", "i"), ("iij", "ij"),
             ("ijj", "i"), ("iik,kj", "ij"), ("ii,jj", "ij"), ("iii", "i"), ("ijij", "ij"), ("ijji", "")]:
    add(make(t.split(","), o, kind="diagonal"))
fill("diagonal", 20, lambda: (lambda t: make(t, random_output(t)))(random_terms(2, 3, 3, repeat=True)))

# 4. Labels summed within one operand (in no other term and not in the output).
for t, o in [("ij", "i"), ("ij", "j"), ("ij,k", "k"), ("ijk", "j"), ("ij,jk", "j"), ("ijk,kl", "l"),
             ("ij,kl", "ik"), ("i,jk", "")]:
    add(make(t.split(","), o, kind="summed"))


def summed_within():
    t = random_terms(2, 4, 3)
    own = [c for c in t[0] if c not in t[1]]
    out = [c for c in random_output(t) if c not in own]
    return make(t, "".join(out))


fill("summed", 20, summed_within)


# 5. Ellipses with broadcasting: operands of different ellipsis ranks, size-1 ellipsis dims.
def ellipsis_case():
    full = [rng.randint(2, 3) for _ in range(rng.randint(1, 2))]
    base = rng.choice([("...ij", "...jk", "...ik"), ("...ij", "...j", "...i"), ("...i", "...i", "..."),
                       ("i...", "i...", "..."), ("...ij", "jk", "...ik"), ("ij...", "jk...", "ik..."),
                       ("...i", "...", "...i"), ("...ij", "...ij", "...ij"), ("...ij", "...ji", "...")])
    terms = list(base[:2])
    ell = []
    for _ in terms:
        r = rng.randint(0, len(full))
        dims = full[len(full) - r:]
        dims = [1 if rng.random() < 0.3 else d for d in dims]
        ell.append(dims)
    ell = [ell[k] if "..." in terms[k] else None for k in range(2)]
    if "..." in base[2] and all(e is None or len(e) == 0 for e in ell):
        ell[0] = full
    implicit = rng.random() < 0.3 and base[2] == implicit_output(terms)
    return make(terms, base[2], implicit=implicit, ell=ell)


fill("ellipsis", 40, ellipsis_case)
add(make(["...ij", "...jk"], "...ik", ell=[[2, 3], [3]], kind="ellipsis"))
add(make(["...ij", "...jk"], "...ik", ell=[[2, 1], [3]], kind="ellipsis"))
add(make(["...", "..."], "...", ell=[[2, 3], [1, 3]], kind="ellipsis"))


# 6. Size-1 axes of named labels against larger ones.
def size_one_case():
    t = random_terms(2, 3, 3)
    shared = [c for c in set(t[0]) & set(t[1])]
    if not shared:
        t[1] += t[0][0]
        shared = [t[0][0]]
    c = rng.choice(shared)
    k = rng.randint(0, 1)
    return make(t, random_output(t), ones=[(k, t[k].index(c))])


fill("size1", 25, size_one_case)

# 7. Three or more operands.
for t, o in [("ij,jk,kl", "il"), ("i,i,i", ""), ("ij,j,j", "i"), ("ab,bc,cd,de", "ae"), ("i,j,k", "ijk"),
             ("bij,bjk,bkl", "bil"), ("ij,ik,il", "jkl")]:
    add(make(t.split(","), o, kind="many"))
fill("many", 30, lambda: (lambda t: make(t, random_output(t)))(random_terms(rng.randint(3, 4), 4, 2)))


# 8. The same Var passed twice (or thrice).
def twice():
    r = rng.randint(1, 3)
    n = rng.randint(max(r, 2), 4)  # distinct letters
    a = "".join(rng.sample(LETTERS[:n], r))
    b = "".join(rng.sample(LETTERS[:n], r))
    terms, mapping = [a, b], [0, 0]
    if rng.random() < 0.3:
        c = "".join(rng.sample(LETTERS[:n], rng.randint(1, 2)))
        terms.insert(1, c)
        mapping = [0, 1, 0]
    # every label of a Var's two terms at one extent: give each letter one extent
    return make(terms, random_output(terms), mapping=mapping)


for t, o, m in [("ij,ij", "", [0, 0]), ("ij,jk", "ik", [0, 0]), ("i,i", "i", [0, 0]), ("ij,ji", "", [0, 0]),
                ("ij,jk,kl", "il", [0, 0, 0]), ("i,j", "ij", [0, 0])]:
    add(make(t.split(","), o, mapping=m, kind="twice"))
fill("twice", 20, twice)

# 9. Implicit outputs.
for t in ["ij,jk", "ij,ij", "ii", "ij", "ji", "ijk,jkl", "i,i", "ba"]:
    add(make(t.split(","), implicit=True, kind="implicit"))
fill("implicit", 20, lambda: make(random_terms(rng.randint(1, 3), 4, 3), implicit=True))

# 10. Permutations and partial sums of one operand, rank up to 4.
fill("unary", 20, lambda: (lambda t: make(t, random_output(t)))(random_terms(1, 4, 4)))

# 11. Rank-0 operands (an empty term) and rank-0 outputs.
for t, o in [(",ij", "ij"), ("ij,", "ji"), (",", ""), (",i,i", "")]:
    add(make(t.split(","), o, kind="scalar"))

out = sys.stdout
out.write("// Generated by tests/autodiff/gen_einsum_cases.py (seed %d): do not edit.\n" % SEED)
out.write("// %d einsum cases for einsum_grad_test_*.cpp: X(id, \"spec\", (map...), ext(...)...).\n" % len(cases))
out.write("// Kinds: " + ", ".join("%s %d" % (k, sum(c.kind == k for c in cases))
                                   for k in dict.fromkeys(c.kind for c in cases)) + ".\n")
out.write("#pragma once\n\n")
per = (len(cases) + PARTS - 1) // PARTS
for p in range(PARTS):
    out.write("#define EIN_EINSUM_CASES_%d(X) \\\n" % p)
    chunk = list(enumerate(cases))[p * per:(p + 1) * per]
    for i, (idx, c) in enumerate(chunk):
        exts = ", ".join("ext(%s)" % ", ".join(map(str, e)) for e in c.extents)
        line = '  X(%d, "%s", (%s), %s)' % (idx, c.spec(), ", ".join(map(str, c.mapping)), exts)
        out.write(line + (" \\\n" if i + 1 < len(chunk) else "\n"))
    out.write("\n")
out.write("#define EIN_EINSUM_CASE_COUNT %d\n" % len(cases))
