#!/usr/bin/env python3
"""The QEC table of issue 15: every Stim circuit of a directory (default ../shared/corpus/qec)
assembled on both targets with its loops kept, side by side in one run with the baselines over
the same stream: xz -9 and zstd -19 of the fixed-width binary stream (null past 2^24 executed
operations, where the stream is not unrolled), xz -9 of the Stim text without annotations and
noise, and the paper's pipeline (which codes gate words only: no operands, measurements or
resets). Also bits per round per qubit, assemble time, and the decoder's throughput when it
unrolls (`decode --flatten`, every iteration replayed from the buffer, counted not written).

    cargo build --release
    python3 scripts/qec-table.py [DIR] [--eqisa target/release/eqisa] [--decode-max-ops N]

Rounds come from the file name (`_r1000`), qubits from the program's header. Prints a Markdown
table; needs only the Python standard library.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import time


def run_json(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def fmt(v):
    return "—" if v is None else f"{v:,}"


def main():
    here = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=str(here.parent / "shared/corpus/qec"))
    ap.add_argument("--eqisa", default=str(here / "target/release/eqisa"))
    ap.add_argument(
        "--decode-max-ops",
        type=int,
        default=200_000_000,
        help="decode (unrolled) only programs that run at most this many operations",
    )
    ap.add_argument("--no-paper", action="store_true", help="skip the paper's pipeline")
    args = ap.parse_args()
    files = sorted(pathlib.Path(args.dir).glob("*.stim"))
    if not files:
        sys.exit(f"no .stim files in {args.dir}")
    tmp = pathlib.Path("/tmp") / f"eqisa-qec-{int(time.time())}"
    tmp.mkdir(parents=True, exist_ok=True)
    print(
        "| circuit | target | ops run | ops coded | eqisa bits | xz -9 bin | zstd -19 bin "
        "| xz -9 Stim text | eqisa / Stim xz | paper Huffman | bits/round/qubit "
        "| assemble s | decode M ops/s |"
    )
    print("|" + "---|" * 13)
    for f in files:
        m = re.search(r"_r(\d+)$", f.stem)
        rounds = int(m.group(1)) if m else 1
        for target in ["native", "clifford+t"]:
            eqb = tmp / f"{f.stem}.{target}.eqb"
            cmd = [args.eqisa, "assemble", str(f), "--target", target, "-o", str(eqb), "--json"]
            if args.no_paper:
                cmd.append("--no-paper")
            t0 = time.time()
            a = run_json(cmd)
            secs = time.time() - t0
            b = a["bits"]
            head = run_json([args.eqisa, "decode", str(eqb), "--json"])
            qubits = head["qubits"]
            rate = "—"
            if a["native_ops"] <= args.decode_max_ops:
                t0 = time.time()
                d = run_json([args.eqisa, "decode", str(eqb), "--flatten", "--json"])
                dt = time.time() - t0
                assert d["native_ops"] == a["native_ops"], (d["native_ops"], a["native_ops"])
                rate = f"{d['native_ops'] / dt / 1e6:.0f}"
            ratio = b["eqisa"] / b["stim_text_xz"]
            print(
                f"| {f.stem} | {target} | {fmt(a['native_ops'])} | {fmt(a['loops']['text_ops'])} "
                f"| {fmt(b['eqisa'])} | {fmt(b['xz'])} | {fmt(b['zstd'])} | {fmt(b['stim_text_xz'])} "
                f"| {ratio:.2f} | {fmt(b['paper_huffman'])} "
                f"| {b['eqisa'] / rounds / qubits:.3g} | {secs:.1f} | {rate} |"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
