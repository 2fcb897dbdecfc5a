#!/usr/bin/env python3
"""Turns bench/report's raw runs into bench/results/results.md and ratios.png.

Reads RESULTS/raw/*.json (Google Benchmark), raw/cases.tsv (the case table),
raw/meta.txt, verify.txt and compile_time.txt. Each benchmark's figure is its
median over repetitions (the median aggregate, or the median of the runs).
Ratios are throughput ratios, ein ÷ baseline: above 1, ein is faster.

Targets of the speed issue, checked per element type and thread count:
  gemm with M·N·K >= 256³ per GEMM   ein ÷ best GEMM >= 0.95 and ein ÷ torch >= 1
  permuted ("acbd,dcef->abfe")       ein ÷ best GEMM on pre-permuted data >= 0.85
  chain (512,8,512,8,8)              ein ÷ torch >= 20 (the issue's uneven chain, which torch contracts
                                     left to right at 45x the optimal FLOPs; for (8,512,8,512,8) left to
                                     right is within 1.5x of optimal, so only the ratio is reported)
  memory-bound                       ein ÷ hand loop >= 0.8
  small                              ein time <= 1.5 × Eigen's product (ein ÷ Eigen >= 1/1.5), ein ÷ torch >= 20
"Best GEMM" is the faster of BLAS (when built) and Eigen's GEMM, on pre-arranged data.

Issue 10's non-GEMM classes (kinds dot, reduction, elementwise, outer, permutation, gemv,
batched, network) have their own section, per class, in times per call:
  every case                         eigen_hand's time ÷ ein's time >= 0.95 (the Eigen expression or
                                     loop a user writes instead)
  dot, reduction, elementwise,       ein's bytes/s >= 70% of the copy's: a memcpy of as many bytes as the
  outer, permutation                 case reads and writes, timed in the same run ("copy"); gemv's
                                     share of the copy is shown, not checked
  small "ij,jk->ik" n=4              Eigen's dynamic-size product's time ÷ ein's >= 0.9
  small "ij,jk->ik" (ein_runtime)    the run-time-spec API costs at most 0.1 µs per call more than ein
"""
import glob
import json
import os
import statistics
import subprocess
import sys

out = sys.argv[1]
raw = os.path.join(out, "raw")

# ---- the case table ----
cases = []
with open(os.path.join(raw, "cases.tsv")) as f:
    header = f.readline().rstrip("\n").split("\t")
    for line in f:
        row = dict(zip(header, line.rstrip("\n").split("\t")))
        for k in ("batch", "m", "n", "k"):
            row[k] = int(row[k])
        row["id"] = row["spec"] + "/" + row["size"]
        cases.append(row)

# ---- medians ----
runs, medians, allocs = {}, {}, {}
for path in sorted(glob.glob(os.path.join(raw, "*.json"))):
    if os.path.getsize(path) == 0:  # a run whose --filter matched none of its benchmarks
        continue
    data = json.load(open(path))
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"])
        if name.endswith("/real_time"):
            name = name[: -len("/real_time")]
        rate = b.get("FLOPS", b.get("BYTES"))
        if rate is None:
            continue
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = rate
                allocs[name] = b.get("allocs", 0.0)
        else:
            runs.setdefault(name, []).append((rate, b.get("allocs", 0.0)))
for name, values in runs.items():
    if name not in medians:
        medians[name] = statistics.median(v[0] for v in values)
        allocs[name] = statistics.median(v[1] for v in values)


def rate(case_id, typ, impl, threads):
    return medians.get(f"{case_id}/{typ}/{impl}/threads:{threads}")


types = [t for t in ("float", "double") if any(f"/{t}/" in n for n in medians)]
thread_counts = sorted({int(n.rsplit("threads:", 1)[1]) for n in medians})
has_blas = any("/blas/" in n for n in medians)
has_torch = any("/torch/" in n for n in medians)


def best_gemm(c, typ, t):
    cands = [(rate(c["id"], typ, i, t), i) for i in ("blas", "eigen_gemm")]
    cands = [(v, i) for v, i in cands if v]
    return max(cands) if cands else (None, None)


def ratio(a, b):
    return a / b if a and b else None


def targets(c):
    kind = c["kind"]
    if kind == "gemm" and c["m"] * c["n"] * c["k"] >= 256**3:
        return [("best GEMM", 0.95), ("torch", 1.0)]
    if kind == "permuted":
        return [("best GEMM", 0.85)]
    if kind == "chain":
        return [("torch", 20.0)] if c["size"] == "512,8,512,8,8" else []
    if kind == "memory":
        return [("hand loop", 0.8)]
    if kind == "small":
        return [("Eigen", 1 / 1.5), ("torch", 20.0)]
    return []


def fmt_rate(v):
    if v is None:
        return "—"
    g = v / 1e9
    return f"{g:.3g}" if g < 100 else f"{g:.0f}"


def fmt_ratio(v):
    if v is None:
        return "—"
    return f"{v:.2f}" if v < 10 else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def read(name):
    p = os.path.join(out, name)
    return open(p).read() if os.path.exists(p) else ""


meta = dict(line.split(": ", 1) for line in read("raw/meta.txt").splitlines() if ": " in line)

# Issue 10's classes, in report order; the kinds counted in bytes, and those held to the copy's bandwidth.
CLASSES = ["dot", "reduction", "elementwise", "outer", "permutation", "gemv", "batched", "network"]
BYTES_KINDS = {"memory", "dot", "reduction", "elementwise", "outer", "permutation", "gemv"}
BANDWIDTH_KINDS = {"dot", "reduction", "elementwise", "outer", "permutation"}
BASELINE_GOAL, BANDWIDTH_GOAL, SMALL_GOAL, RUNTIME_GOAL_US = 0.95, 0.70, 0.9, 0.1
SIZEOF = {"float": 4, "double": 8}


def seconds(c, typ, r):
    """Time per call from a rate (FLOP/s or bytes/s) of case c."""
    if not r:
        return None
    work = float(c["elements"]) * SIZEOF[typ] if c["kind"] in BYTES_KINDS else float(c["flops"])
    return work / r if work else None


# ---- rows ----
rows, misses, allocating = [], [], []
for typ in types:
    for t in thread_counts:
        for c in cases:
            cid = c["id"]
            ein = rate(cid, typ, "ein", t)
            if ein is None or c["kind"] in CLASSES:
                continue
            unit = "GB/s" if c["kind"] in BYTES_KINDS else "GFLOP/s"
            bg, bg_impl = best_gemm(c, typ, t)
            vs = {
                "best GEMM": ratio(ein, bg),
                "torch": ratio(ein, rate(cid, typ, "torch", t)),
                "hand loop": ratio(ein, rate(cid, typ, "hand_loop", t)),
                "Eigen": ratio(ein, rate(cid, typ, "eigen_gemm", t)),
            }
            checks = []
            for what, goal in targets(c):
                v = vs[what]
                if v is None:
                    checks.append(f"÷{what}: not measured")
                    continue
                ok = v >= goal * (1 - 1e-9)
                checks.append(f"÷{what} {fmt_ratio(v)} {'≥' if ok else '<'} {fmt_ratio(goal)} {'✓' if ok else '✗'}")
                if not ok:
                    misses.append((cid, typ, t, what, v, goal))
            a = allocs.get(f"{cid}/{typ}/ein/threads:{t}", 0.0)
            if a > 0:
                allocating.append((cid, typ, t, a))
            rows.append(dict(case=c, typ=typ, t=t, unit=unit, ein=ein, bg=bg, bg_impl=bg_impl, vs=vs, checks=checks,
                             allocs=a))

# ---- issue 10's rows: times, ratio to the user's code, share of the copy's bandwidth ----
rows10, misses10 = [], []
for typ in types:
    for t in thread_counts:
        for c in sorted((c for c in cases if c["kind"] in CLASSES), key=lambda c: CLASSES.index(c["kind"])):
            cid = c["id"]
            ein = rate(cid, typ, "ein", t)
            base = rate(cid, typ, "eigen_hand", t)
            if ein is None and base is None:
                continue
            copy = rate(cid, typ, "copy", t)
            r = dict(case=c, typ=typ, t=t, ein=ein, base=base, copy=copy, ein_s=seconds(c, typ, ein),
                     base_s=seconds(c, typ, base), torch_s=seconds(c, typ, rate(cid, typ, "torch", t)),
                     allocs=allocs.get(f"{cid}/{typ}/ein/threads:{t}", 0.0))
            r["ratio"] = ratio(r["base_s"], r["ein_s"])
            bytes_kind = c["kind"] in BYTES_KINDS
            r["share"] = ratio(ein, copy) if bytes_kind else None
            r["base_share"] = ratio(base, copy) if bytes_kind else None
            checks = []
            if r["ratio"] is None:
                checks.append("÷Eigen/loop: not measured")
            else:
                ok = r["ratio"] >= BASELINE_GOAL
                checks.append(f"{'✓' if ok else '✗'} ratio")
                if not ok:
                    misses10.append((cid, typ, t, "Eigen/loop time ÷ ein time", fmt_ratio(r["ratio"]), f"≥ {BASELINE_GOAL}"))
            if c["kind"] in BANDWIDTH_KINDS:
                if r["share"] is None:
                    checks.append("copy: not measured")
                else:
                    ok = r["share"] >= BANDWIDTH_GOAL
                    checks.append(f"{'✓' if ok else '✗'} bandwidth")
                    if not ok:
                        misses10.append((cid, typ, t, "ein ÷ copy bandwidth", f"{100 * r['share']:.0f}%",
                                         f"≥ {100 * BANDWIDTH_GOAL:.0f}%"))
            if r["allocs"] > 0:
                allocating.append((cid, typ, t, r["allocs"]))
            r["checks"] = checks
            rows10.append(r)

small10 = []
for typ in types:
    for t in thread_counts:
        for c in cases:
            if c["kind"] != "small" or c["spec"] != "ij,jk->ik":
                continue
            cid = c["id"]
            e = seconds(c, typ, rate(cid, typ, "ein", t))
            eig = seconds(c, typ, rate(cid, typ, "eigen_gemm", t))
            rt = seconds(c, typ, rate(cid, typ, "ein_runtime", t))
            if e is None and rt is None:
                continue
            r = dict(case=c, typ=typ, t=t, ein_s=e, eigen_s=eig, runtime_s=rt, ratio=ratio(eig, e),
                     extra_us=(rt - e) * 1e6 if rt is not None and e is not None else None, checks=[])
            if c["size"] == "n=4" and r["ratio"] is not None:
                ok = r["ratio"] >= SMALL_GOAL
                r["checks"].append(f"{'✓' if ok else '✗'} ÷Eigen")
                if not ok:
                    misses10.append((cid, typ, t, "Eigen time ÷ ein time", fmt_ratio(r["ratio"]), f"≥ {SMALL_GOAL}"))
            if r["extra_us"] is not None:
                ok = r["extra_us"] <= RUNTIME_GOAL_US
                r["checks"].append(f"{'✓' if ok else '✗'} run-time spec")
                if not ok:
                    misses10.append((cid, typ, t, "ein_runtime − ein per call", f"{r['extra_us']:.3f} µs",
                                     f"≤ {RUNTIME_GOAL_US} µs"))
            small10.append(r)

# ---- peak ----
peak_lines = []
for typ in types:
    for t in thread_counts:
        p = medians.get(f"peak/fma/{typ}/threads:{t}")
        if p:
            big = [r for r in rows if r["typ"] == typ and r["t"] == t and r["case"]["id"] == "ij,jk->ik/n=1024"]
            gemm_txt = ""
            if big and big[0]["bg"]:
                r = big[0]
                gemm_txt = (f"; 1024³ GEMM: best baseline {fmt_rate(r['bg'])} ({r['bg_impl']}, {100 * r['bg'] / p:.0f}% of peak), "
                            f"ein {fmt_rate(r['ein'])} ({100 * r['ein'] / p:.0f}%)")
            peak_lines.append(f"- {typ}, {t} thread{'s' if t > 1 else ''}: FMA peak {fmt_rate(p)} GFLOP/s{gemm_txt}")

# ---- Markdown ----
md = []
md.append("# ein runtime suite: results\n")
md.append("Generated by `bench/report` (see its header); rerun one case with e.g. "
          "`bench/run --benchmark_filter='^ij,jk->ik/n=1024/float/'`.\n")
for key in ("machine", "kernel", "build", "blas", "benchmark flags", "timing", "load before", "load after", "wall", "verify", "command"):
    if key in meta:
        md.append(f"- **{key}**: {meta[key]}")
md.append("")
try:
    cpus = int(meta.get("cpus", "0"))
    load = max(float(meta.get(k, "0").split()[0]) for k in ("load before", "load after"))
except ValueError:
    cpus, load = 0, 0.0
if cpus and load > 0.5 * cpus:
    md.append(f"**Warning: the machine was loaded** (1-minute load average up to {load:g} on {cpus} CPUs). Figures in "
              "wall time, the 2-thread ones above all, then measure the other jobs as much as the code: an OpenMP "
              "team whose threads cannot all run at once (OMP_WAIT_POLICY=active) loses far more than a thread pool "
              "that sleeps. Take final numbers on an idle machine.\n")
md.append("## Measured peak\n")
md.extend(peak_lines or ["- (peak not measured in this run)"])
md.append("")
md.append("Figures are medians over repetitions; rates are GFLOP/s (FLOPs of the cheapest pairwise order, 2 per "
          "multiply-add) or GB/s (elements read and written × element size) for memory-bound cases. Ratios are "
          "ein ÷ baseline in throughput: above 1, ein is faster. *Best GEMM* is the faster of "
          + ("BLAS (OpenBLAS cblas) and " if has_blas else "") + "Eigen's GEMM on pre-arranged (for "
          "`acbd,dcef->abfe`: pre-permuted) data; for chains and `bi,ij,bj->b`, the same libraries in the cheapest "
          "order." + ("" if has_torch else " libtorch was not built: its columns are empty.") + "\n")

md.append("## Targets missed (GEMM-shaped and diagonal cases; issue 10's classes: see their section)\n")
if misses:
    md.append("| case | type | threads | against | ein ÷ it | target |")
    md.append("|---|---|---|---|---|---|")
    for cid, typ, t, what, v, goal in misses:
        md.append(f"| `{cid}` | {typ} | {t} | {what} | {fmt_ratio(v)} | ≥ {fmt_ratio(goal)} |")
else:
    md.append("None: every checked target is met.")
md.append("")
if allocating:
    md.append("ein allocates in steady state (operator new calls per call, after a warm-up call, into an existing tensor):\n")
    for cid, typ, t, a in allocating:
        md.append(f"- `{cid}` {typ} threads:{t}: {a:g}")
else:
    md.append("ein makes no heap allocation per call in steady state (into an existing tensor) in any case measured.")
md.append("")

cols = ["case", "unit", "ein", "Eigen GEMM", "BLAS", "Eigen Tensor", "naive / hand loop", "strided copy", "torch",
        "ein ÷ best GEMM", "ein ÷ torch", "ein ÷ hand loop", "ein allocs/call", "targets"]
for typ in types:
    for t in thread_counts:
        sel = [r for r in rows if r["typ"] == typ and r["t"] == t]
        if not sel:
            continue
        md.append(f"## {typ}, {t} thread{'s' if t > 1 else ''}\n")
        md.append("| " + " | ".join(cols) + " |")
        md.append("|" + "---|" * len(cols))
        for r in sel:
            c = r["case"]
            cid = c["id"]
            naive = rate(cid, typ, "naive", t) or rate(cid, typ, "hand_loop", t)
            md.append("| " + " | ".join([
                f"`{c['spec']}` {c['size']}", r["unit"], f"**{fmt_rate(r['ein'])}**",
                fmt_rate(rate(cid, typ, "eigen_gemm", t)), fmt_rate(rate(cid, typ, "blas", t)),
                fmt_rate(rate(cid, typ, "eigen_tensor", t)), fmt_rate(naive),
                fmt_rate(rate(cid, typ, "eigen_strided", t)), fmt_rate(rate(cid, typ, "torch", t)),
                fmt_ratio(r["vs"]["best GEMM"]) + (f" ({r['bg_impl']})" if r["bg_impl"] else ""),
                fmt_ratio(r["vs"]["torch"]), fmt_ratio(r["vs"]["hand loop"]), f"{r['allocs']:g}",
                "; ".join(r["checks"]) or "—",
            ]) + " |")
        md.append("")



def fmt_us(v):
    if v is None:
        return "—"
    us = v * 1e6
    return f"{us:.3g}" if us < 1000 else f"{us:.0f}"


def fmt_share(v):
    return "—" if v is None else f"{100 * v:.0f}%"


if rows10 or small10:
    md.append("## Non-GEMM einsums (issue 10)\n")
    md.append("Per class, each case against the code a user writes instead (`eigen_hand`, bench/contractions/"
              "eigen_hand_impls.cpp: an Eigen expression on Maps, a loop of Eigen products, or a loop nest where "
              "Eigen has none; at 2 threads split by hand over OpenMP threads, or Eigen's own threads for one large "
              "GEMM). Times are medians per call in µs. *ratio* = Eigen/loop time ÷ ein time (target ≥ "
              f"{BASELINE_GOAL}). *copy* is a memcpy of as many bytes as the case reads and writes (elements × "
              "element size), timed in the same run with the same threads; *% of copy* is the case's bytes/s ÷ the "
              f"copy's (target ≥ {100 * BANDWIDTH_GOAL:.0f}% for dot, reduction, elementwise, outer and permutation; "
              "shown for gemv). Rates are GB/s for the classes counted in bytes, GFLOP/s for batched and network.\n")
    md.append("### Targets missed (issue 10)\n")
    if misses10:
        md.append("| case | type | threads | measure | value | target |")
        md.append("|---|---|---|---|---|---|")
        for cid, typ, t, what, v, goal in misses10:
            md.append(f"| `{cid}` | {typ} | {t} | {what} | {v} | {goal} |")
    else:
        md.append("None: every checked target of issue 10 is met.")
    md.append("")
    cols10 = ["class", "case", "ein µs", "Eigen/loop µs", "ratio", "torch µs", "ein rate", "copy GB/s",
              "ein % of copy", "Eigen/loop % of copy", "ein allocs/call", "targets"]
    for typ in types:
        for t in thread_counts:
            sel = [r for r in rows10 if r["typ"] == typ and r["t"] == t]
            if not sel:
                continue
            md.append(f"### {typ}, {t} thread{'s' if t > 1 else ''}\n")
            md.append("| " + " | ".join(cols10) + " |")
            md.append("|" + "---|" * len(cols10))
            for r in sel:
                c = r["case"]
                unit = "GB/s" if c["kind"] in BYTES_KINDS else "GFLOP/s"
                md.append("| " + " | ".join([
                    c["kind"], f"`{c['spec']}` {c['size']}", f"**{fmt_us(r['ein_s'])}**", fmt_us(r["base_s"]),
                    f"**{fmt_ratio(r['ratio'])}**", fmt_us(r["torch_s"]),
                    f"{fmt_rate(r['ein'])} {unit}" if r["ein"] else "—", fmt_rate(r["copy"]),
                    f"**{fmt_share(r['share'])}**" if r["share"] is not None else "—", fmt_share(r["base_share"]),
                    f"{r['allocs']:g}", "; ".join(r["checks"]) or "—",
                ]) + " |")
            md.append("")
    if small10:
        md.append("### Small and run-time specs\n")
        md.append("`ein` is `ein::einsum<\"ij,jk->ik\">(A, B)` into an existing tensor; `ein_runtime` is "
                  "`ein::einsum(\"ij,jk->ik\", A, B)` (the spec parsed at run time); Eigen is Eigen's dynamic-size "
                  f"product on Maps (`eigen_gemm`). Targets: at 4×4, Eigen time ÷ ein time ≥ {SMALL_GOAL}; "
                  f"ein_runtime at most {RUNTIME_GOAL_US} µs per call over ein.\n")
        md.append("| case | type | threads | ein µs | Eigen µs | Eigen ÷ ein | ein_runtime µs | run-time extra µs | targets |")
        md.append("|---|---|---|---|---|---|---|---|---|")
        for r in small10:
            c = r["case"]
            md.append("| " + " | ".join([
                f"`{c['spec']}` {c['size']}", r["typ"], str(r["t"]), fmt_us(r["ein_s"]), fmt_us(r["eigen_s"]),
                fmt_ratio(r["ratio"]), fmt_us(r["runtime_s"]),
                "—" if r["extra_us"] is None else f"{r['extra_us']:.3f}", "; ".join(r["checks"]) or "—",
            ]) + " |")
        md.append("")

ct = read("compile_time.txt")
if ct:
    md.append("## Compile time (bench/compile_time/measure)\n")
    md.append("```\n" + ct.rstrip() + "\n```\n")
v = read("verify.txt")
if v:
    bad = [line for line in v.splitlines() if line.startswith("FAIL")]
    md.append("## Verification (`--verify`)\n")
    md.append(("Mismatches against the oracle:\n\n```\n" + "\n".join(bad) + "\n```\n") if bad
              else "Every implementation agrees with the oracle (naive loops in double; for the largest tensor "
                   "networks the same loops one operand at a time; Eigen's GEMM in double for the largest GEMMs) in "
                   "float and double, at 1 and 2 threads.\n")
md.append("## Notes\n")
md.append("- `torch::einsum` returns a strided *view* for pure diagonals (`ii->i`, `bii->bi`): its figure there is "
          "the cost of making the view, no element is copied; ein, the hand loop and the strided copy write the output. "
          "The same holds for the permutations of issue 10 (`ijk->kji` and the others): torch's time there is a "
          "view's, ein and the Eigen/loop baseline write every element.")
md.append("- Debian's Google Benchmark 1.7.1 library is a debug build (it prints a warning); it only runs the timing "
          "loop's bookkeeping, the same for every implementation.")
md.append("- Rerun one case in the same environment: `bench/run --benchmark_filter='^ij,jk->ik/n=1024/float/'` "
          "(see `bench/run` for the variables it sets). ein's plans for every case: `paths.txt`; steady-state "
          "allocations: `allocations.txt`; raw Google Benchmark output: `raw/`.\n")
with open(os.path.join(out, "results.md"), "w") as f:
    f.write("\n".join(md))

# ---- chart: ein ÷ its reference baseline and ÷ torch, first type, per thread count ----
typ = types[0] if types else None
series = []
for t in thread_counts:
    series.append((f"÷ reference baseline, {t}T", t, "ref"))
    if has_torch:
        series.append((f"÷ torch::einsum, {t}T", t, "torch"))
dat = os.path.join(raw, "ratios.dat")
with open(dat, "w") as f:
    f.write("case " + " ".join(f'"{s[0]}"' for s in series) + "\n")
    for c in cases:
        vals = []
        for _, t, what in series:
            r10 = next((r for r in rows10 if r["typ"] == typ and r["t"] == t and r["case"]["id"] == c["id"]), None)
            if r10 is not None:
                v = ratio(r10["torch_s"], r10["ein_s"]) if what == "torch" else r10["ratio"]
                vals.append(f"{v:.4g}" if v else "NaN")
                continue
            r = next((r for r in rows if r["typ"] == typ and r["t"] == t and r["case"]["id"] == c["id"]), None)
            if r is None:
                vals.append("NaN")
                continue
            ref = {"memory": "hand loop", "small": "Eigen"}.get(c["kind"], "best GEMM")
            v = r["vs"]["torch"] if what == "torch" else r["vs"][ref]
            vals.append(f"{v:.4g}" if v else "NaN")
        if all(v == "NaN" for v in vals):
            continue
        label = (c["spec"] + " " + c["size"]).replace('"', "")
        f.write(f'"{label}" ' + " ".join(vals) + "\n")
plot = f"""
set terminal pngcairo size 1700,800 font ",10"
set output "{os.path.join(out, 'ratios.png')}"
set title "ein throughput ÷ baseline ({typ}; reference: best GEMM, Eigen for small cases, hand loop for diagonals, eigen_hand for issue 10's classes). Above 1: ein faster."
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set logscale y
set yrange [0.01:*]
set grid ytics
set xtics rotate by -50 scale 0 font ",9"
set key outside top center horizontal
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"
plot for [i=2:{len(series) + 1}] "{dat}" using i:xtic(1) title columnheader(i)
"""
try:
    subprocess.run(["gnuplot"], input=plot, text=True, check=True, capture_output=True)
except (OSError, subprocess.CalledProcessError) as e:
    print(f"report.py: no chart ({e}); install gnuplot-nox", file=sys.stderr)
print(f"report.py: {len(rows)} rows, {len(misses)} targets missed; issue 10: {len(rows10) + len(small10)} rows, "
      f"{len(misses10)} targets missed")
