#!/usr/bin/env python3
"""The per-family table of issue 16: every flat OpenQASM 2 file of the corpus families assembled
on both targets twice in one run, with repeats looked for (the default) and without (`--flat`,
what `assemble` did before), beside xz -9 of the same binary stream; totals per family. Files
larger than --max-mb, and OpenQASM 3 files (which keep their own loops), are left out.

    cargo build --release
    python3 scripts/repeats-table.py [--corpus ../shared/corpus] [--eqisa target/release/eqisa]

Prints a Markdown table; needs only the Python standard library.
"""

import argparse
import json
import pathlib
import subprocess

FAMILIES = ["mqt/indep", "mqt/indep_large", "mqt/mapped_heron156", "mqt/native_heron",
            "qasmbench/small", "qasmbench/medium", "qasmbench/large", "qec"]


def bits(eqisa, path, target, flat):
    cmd = [eqisa, "assemble", str(path), "--target", target, "--json", "--no-paper"]
    if flat:
        cmd.append("--flat")
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return None
    r = json.loads(out.stdout)
    return r["bits"]["eqisa"], r["bits"]["xz"], bool(r.get("loops"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="../shared/corpus")
    ap.add_argument("--eqisa", default="target/release/eqisa")
    ap.add_argument("--max-mb", type=float, default=2.0)
    a = ap.parse_args()
    print("| family | target | files | with loops | eqisa bits (repeats) | eqisa bits (--flat, before) | ratio | xz -9 of binary | eqisa / xz |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fam in FAMILIES:
        d = pathlib.Path(a.corpus) / fam
        files = sorted(p for p in d.rglob("*.qasm") if p.stat().st_size <= a.max_mb * 1e6)
        for target in ["native", "clifford+t"]:
            n = looped = 0
            new = old = xz = 0
            for p in files:
                with_r = bits(a.eqisa, p, target, False)
                without = bits(a.eqisa, p, target, True)
                if with_r is None or without is None or with_r[1] is None:
                    continue
                n += 1
                looped += with_r[2]
                new += with_r[0]
                old += without[0]
                xz += with_r[1]
            if n:
                print(f"| {fam} | {target} | {n} | {looped} | {new:,} | {old:,} | {new / old:.3f} | {xz:,} | {new / xz:.3f} |")


if __name__ == "__main__":
    main()
