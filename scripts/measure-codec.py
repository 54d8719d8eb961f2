#!/usr/bin/env python3
"""Per-family and overall bit tables for the EQISA codec against its baselines.

Runs `eqisa assemble --json` on every circuit under the given directories (both targets unless
told otherwise) and prints markdown tables: total bits per encoding, the ratios the codec issue
sets targets for, and the fidelities. Usage:

    cargo build --release
    scripts/measure-codec.py [--fidelity 0.99] [--targets native,clifford+t]
                             [--no-paper | --paper-depth D --paper-recursion R] DIR...
"""
import argparse
import concurrent.futures as cf
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

EQISA = os.path.join(os.path.dirname(__file__), "..", "target", "release", "eqisa")
KEYS = ["eqisa", "binary_opcodes", "binary", "bzip2", "xz", "zstd", "entropy_order0",
        "paper_huffman", "paper_huffman_bzip2"]


def family(path):
    base = os.path.basename(path)
    m = re.match(r"(.*?)(_indep.*|_native.*|_mapped.*)?(_n\d+)?\.qasm3?$", base)
    name = m.group(1) if m else base
    parent = os.path.basename(os.path.dirname(path))
    name = re.sub(r"_n\d+$", "", name)
    return f"{parent}/{name}"


def run(path, target, fidelity, paper):
    cmd = [EQISA, "assemble", path, "--target", target, "--fidelity", str(fidelity), "--json"]
    if paper is None:
        cmd.append("--no-paper")
    else:
        # A fixed setting, as the paper ran it: at its own fidelity, not at ours.
        cmd += ["--paper-at-own-fidelity", "--paper-depth", str(paper[0]), "--paper-recursion", str(paper[1])]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return path, target, None, p.stderr.strip().splitlines()[-1] if p.stderr else "failed"
    return path, target, json.loads(p.stdout), None


def published(csv_path, results):
    """Our bits against the paper's published Huffman bits for the same MQT Bench benchmarks."""
    ours = {}
    for path, t, r in results:
        if t == "clifford+t":
            ours[os.path.basename(path)] = r
    print("\n### Against the paper's published numbers (eqisa_benchmarks.csv), clifford+t\n")
    print("| benchmark | paper huff2 bits | paper fidelity | eqisa bits | eqisa fidelity bound | ratio |")
    print("|---|---|---|---|---|---|")
    tot_p = tot_o = 0
    with open(csv_path) as fh:
        header = fh.readline().strip().split(";")
        for line in fh:
            row = dict(zip(header, line.strip().split(";")))
            m = re.match(r"(.*)_indep_qiskit_(\d+)$", row["benchmark"])
            if not m:
                continue
            fam = m.group(1).replace("-noancilla", "")
            r = ours.get(f"{fam}_indep_n{m.group(2)}.qasm")
            if r is None:
                continue
            p, o = int(row["sumbits huff2"]), r["bits"]["eqisa"]
            tot_p += p
            tot_o += o
            print(f"| {row['benchmark']} | {p} | {float(row['fidelity']):.3f} | {o} | {r['fidelity_bound']:.4f} | {o / p:.4f} |")
    if tot_p:
        print(f"| **TOTAL** | {tot_p} | | {tot_o} | | {tot_o / tot_p:.5f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--fidelity", type=float, default=0.99)
    ap.add_argument("--targets", default="native,clifford+t")
    ap.add_argument("--no-paper", action="store_true")
    ap.add_argument("--paper-depth", type=int, default=3)
    ap.add_argument("--paper-recursion", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--json-out")
    ap.add_argument("--paper-csv", help="the paper's eqisa_benchmarks.csv: compare with its published numbers")
    a = ap.parse_args()
    files = []
    for d in a.dirs:
        for root, _, names in os.walk(d):
            files += [os.path.join(root, n) for n in sorted(names) if n.endswith((".qasm", ".qasm3"))]
    files.sort()
    jobs = [(f, t) for t in a.targets.split(",") for f in files]
    results, failed = [], []
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for path, target, rep, err in ex.map(lambda j: run(j[0], j[1], a.fidelity, None if a.no_paper else (a.paper_depth, a.paper_recursion)), jobs):
            (results.append((path, target, rep)) if rep else failed.append((path, target, err)))
    if a.json_out:
        with open(a.json_out, "w") as fh:
            json.dump([{"file": p, "target": t, **r} for p, t, r in results], fh, indent=1)
    for target in a.targets.split(","):
        rows = defaultdict(lambda: defaultdict(float))
        fids = defaultdict(list)
        for path, t, r in results:
            if t != target:
                continue
            fam = family(path)
            for key in (fam, "TOTAL"):
                row = rows[key]
                row["files"] += 1
                row["ops"] += r["native_ops"]
                for k in KEYS:
                    v = r["bits"][k]
                    if v is not None:
                        row[k] += v
                if r["bits"]["paper_huffman"] is not None:
                    row["eqisa_paper_subset"] += r["bits"]["eqisa"]
                    fids[key].append(r.get("paper_fidelity_bound") or 0.0)
                row["fid_min"] = min(row.get("fid_min", 1.0), r["fidelity_bound"])
        print(f"\n### {target}, fidelity {a.fidelity}\n")
        print("| family | files | ops | eqisa | binary (opc) | binary | bzip2 | xz | zstd | H0 | paper Huff | paper Huff+bz2 | eqisa/xz | eqisa/paper Huff | min fidelity | paper min fidelity |")
        print("|---|" + "---|" * 15)
        for fam in sorted(rows, key=lambda k: (k == "TOTAL", k)):
            r = rows[fam]
            ph = r["paper_huffman"]
            ratio_p = f"{r['eqisa_paper_subset'] / ph:.3f}" if ph else "—"
            pf = f"{min(fids[fam]):.3f}" if fids[fam] else "—"
            name = f"**{fam}**" if fam == "TOTAL" else fam
            print(f"| {name} | {int(r['files'])} | {int(r['ops'])} | {int(r['eqisa'])} | {int(r['binary_opcodes'])} | "
                  f"{int(r['binary'])} | {int(r['bzip2'])} | {int(r['xz'])} | {int(r['zstd'])} | {r['entropy_order0']:.0f} | "
                  f"{int(ph) if ph else '—'} | {int(r['paper_huffman_bzip2']) if ph else '—'} | "
                  f"{r['eqisa'] / r['xz']:.3f} | {ratio_p} | {r['fid_min']:.4f} | {pf} |")
    if a.paper_csv:
        published(a.paper_csv, results)
    if failed:
        print(f"\n{len(failed)} file/target pairs did not assemble:", file=sys.stderr)
        for p, t, e in failed[:20]:
            print(f"  {p} [{t}]: {e}", file=sys.stderr)


if __name__ == "__main__":
    main()
