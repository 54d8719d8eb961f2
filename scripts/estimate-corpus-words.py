#!/usr/bin/env python3
"""Would a table of macro words learned from a corpus add to the Clifford+T copies?

The Clifford+T model already copies repeated gate runs from a window of the program's own
one-qubit gates (isa/src/copies.rs). This estimates what a codebook-held table of words learned
from *other* programs would add, without building it:

1. lower every circuit under the given directories to Clifford+T at fidelity 0.99 (`eqisa
   compile --target clifford+t -o`), and cut each stream into runs of one-qubit gates on one qubit;
2. split the circuits in two by a hash of their names; from the training half, keep the runs of
   at least --min gates that occur in at least two training circuits, the most valuable
   ((circuits - 1) x length) first, up to --preset gates: the table;
3. on the held-out half, parse each run greedily as the encoder does (a copy from the program's
   own window first, at least --min gates), and count the gates a match in the table would
   cover on what is left.

Usage:
    cargo build --release
    scripts/estimate-corpus-words.py [--min 48] [--preset 16384] [--window 16384] DIR...
"""
import argparse
import collections
import concurrent.futures as cf
import hashlib
import os
import re
import subprocess
import sys
import tempfile

EQISA = os.path.join(os.path.dirname(__file__), "..", "target", "release", "eqisa")
PLAIN = {"h": "h", "s": "s", "sdg": "d", "t": "t", "tdg": "u", "x": "x", "y": "y", "z": "z",
         "reset": "r"}
LINE = re.compile(r"(\w+)(?:\([^)]*\))? q\[(\d+)\](?:, q\[(\d+)\])?;")


def runs_of(qasm):
    """The runs of one-qubit gates on one qubit, as strings of one letter per gate."""
    out, cur_q, cur = [], None, []
    for line in qasm.splitlines():
        m = LINE.match(line.strip())
        if not m:
            continue
        name, q, q2 = m.group(1), int(m.group(2)), m.group(3)
        if name in PLAIN and q2 is None and "if" not in line:
            if cur and cur_q == q:
                cur.append(PLAIN[name])
                continue
            if cur:
                out.append("".join(cur))
            cur_q, cur = q, [PLAIN[name]]
        else:
            if cur:
                out.append("".join(cur))
            cur_q, cur = None, []
    if cur:
        out.append("".join(cur))
    return out


def lower(path, tmp):
    dst = os.path.join(tmp, hashlib.sha1(path.encode()).hexdigest() + ".qasm")
    p = subprocess.run([EQISA, "compile", path, "--target", "clifford+t", "--fidelity", "0.99",
                        "-o", dst],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return path, None
    with open(dst) as fh:
        return path, runs_of(fh.read())


def greedy(runs, minlen, window, table):
    """Gates covered by in-program copies and, on the rest, by table words."""
    own = extra = 0
    hist = ""
    for r in runs:
        i = 0
        while i < len(r):
            win = (hist + r[:i])[-window:]
            if i + minlen <= len(r) and r[i:i + minlen] in win:
                n = minlen
                while i + n < len(r) and r[i:i + n + 1] in win:
                    n += 1
                own += n
                i += n
            elif table and i + minlen <= len(r) and r[i:i + minlen] in table:
                n = minlen
                while i + n < len(r) and r[i:i + n + 1] in table:
                    n += 1
                extra += n
                i += n
            else:
                i += 1
        hist += r
    return own, extra


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--min", type=int, default=48)
    ap.add_argument("--preset", type=int, default=16384)
    ap.add_argument("--window", type=int, default=16384)
    args = ap.parse_args()
    files = sorted(os.path.join(root, f) for d in args.dirs for root, _, fs in os.walk(d)
                   for f in fs if f.endswith((".qasm", ".qasm3")))
    with tempfile.TemporaryDirectory() as tmp, cf.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
        streams = {p: r for p, r in ex.map(lambda p: lower(p, tmp), files) if r is not None}
    train = [p for p in streams if int(hashlib.md5(p.encode()).hexdigest(), 16) % 2 == 0]
    test = [p for p in streams if p not in train]
    seen_in = collections.defaultdict(set)
    for p in train:
        for r in streams[p]:
            if len(r) >= args.min:
                seen_in[r].add(p)
    ranked = sorted(((len(ps) - 1) * len(r), r) for r, ps in seen_in.items() if len(ps) >= 2)
    table = ""
    words = 0
    for _, r in reversed(ranked):
        if len(table) + len(r) <= args.preset:
            table += r
            words += 1
    total = sum(len(r) for p in test for r in streams[p])
    own = extra = 0
    for p in test:
        o, e = greedy(streams[p], args.min, args.window, table)
        own += o
        extra += e
    print(f"circuits: {len(train)} training, {len(test)} held out; "
          f"held-out one-qubit gates in runs: {total}")
    print(f"table: {words} words recurring in training circuits, {len(table)} gates")
    print(f"covered by in-program copies: {own} ({own / max(1, total):.3f})")
    print(f"covered by table words on the rest: {extra} ({extra / max(1, total):.3f})")


if __name__ == "__main__":
    sys.exit(main())
