#!/usr/bin/env python3
"""Scale measurements of the bounded-memory pipeline (issue 16): peak RSS and wall time of
`eqisa assemble --no-baselines` and `eqisa decode -o` on a large flattened QEC program, against
Qiskit's `qasm2.load` of the same file; and a synthetic flat program generated on the fly through
a pipe into `eqisa assemble -`, its program piped through `eqisa decode -`.

  scripts/scale-bench.py qec  [--rounds 1200] [--distance 11] [--target native] [--bin B] [--work DIR]
  scripts/scale-bench.py pipe [--ops 1000000000] [--qubits 64] [--max-rss-mb 8192] [--bin B]
  scripts/scale-bench.py loops [--rounds 700000] [--distance 7] [--bin B]
  scripts/scale-bench.py gen OPS [--qubits 64]       # the synthetic program, to standard output

`qec` needs Stim in the running Python (`python3 -m venv /work/venv-dec &&
/work/venv-dec/bin/pip install stim qiskit`, then run this script with that Python) and Qiskit's
figure comes from `../shared/tools/peer-bench/peer-bench parse` (median of 5 loads). Every eqisa
run is measured with `/usr/bin/time -v`. `pipe` caps each stage's address space at --max-rss-mb
(a stage that holds the whole program then fails instead of exhausting the machine; the report
says so). `loops` reaches 10^9 operations without a flat source: Stim's surface code with
`--rounds` rounds (a REPEAT), assembled with its loop kept, `-o -` piped into `eqisa decode -
--flatten -o -`, which writes every operation of every round as OpenQASM into a pipe. Prints one
JSON object; progress goes to standard error.
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEER_BENCH = os.path.join(ROOT, "..", "shared", "tools", "peer-bench", "peer-bench")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def default_bin():
    return os.path.join(ROOT, "target", "release", "eqisa")


def parse_time_v(path):
    """Peak RSS (MB) and wall seconds from a `/usr/bin/time -v` report."""
    text = open(path).read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    status = re.search(r"Exit status: (\d+)", text)
    seconds = 0.0
    if wall:
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    return {
        "peak_rss_mb": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "wall_s": round(seconds, 2),
        "exit_status": int(status.group(1)) if status else None,
    }


def timed(cmd, report, **kw):
    """`cmd` under `/usr/bin/time -v`, its report in `report`."""
    return ["/usr/bin/time", "-v", "-o", report] + cmd


# --- the synthetic program --------------------------------------------------------------------

def synthetic_round(qubits, barriers=False):
    """One round of a flat program on `qubits` qubits: sx and rz on every qubit, cz on pairs,
    measure every qubit; with `barriers`, a barrier over every qubit ends the round (as Stim's
    export ends each layer), so that `assemble` finds the rounds again as a loop. Returns the
    lines, one operation each."""
    lines = []
    for q in range(qubits):
        lines.append(f"sx q[{q}];")
        lines.append(f"rz(pi/4) q[{q}];")
    for q in range(0, qubits - 1, 2):
        lines.append(f"cz q[{q}],q[{q + 1}];")
    for q in range(qubits):
        lines.append(f"measure q[{q}] -> c[{q}];")
    if barriers:
        lines.append("barrier q;")
    return lines


def generate(ops, qubits, out, barriers=False):
    """Writes a flat OpenQASM 2 program of exactly `ops` operations to `out` (binary), one round
    at a time: nothing but one round is ever held."""
    out.write(f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{qubits}];\ncreg c[{qubits}];\n'.encode())
    lines = synthetic_round(qubits, barriers)
    block = ("\n".join(lines) + "\n").encode()
    full, rest = divmod(ops, len(lines))
    for _ in range(full):
        out.write(block)
    if rest:
        out.write(("\n".join(lines[:rest]) + "\n").encode())
    out.flush()


# --- qec: a large flattened QEC program --------------------------------------------------------

def make_qec(path, distance, rounds):
    import stim

    c = stim.Circuit.generated(
        "surface_code:rotated_memory_z", distance=distance, rounds=rounds)
    text = c.to_qasm(open_qasm_version=2, skip_dets_and_obs=True)
    with open(path, "w") as f:
        f.write(text)
    return os.path.getsize(path)


def cmd_qec(args):
    os.makedirs(args.work, exist_ok=True)
    src = os.path.join(args.work, f"surface_d{args.distance}_r{args.rounds}.qasm")
    if not os.path.exists(src):
        log(f"generating {src} with Stim")
        make_qec(src, args.distance, args.rounds)
    size = os.path.getsize(src)
    eqb = os.path.join(args.work, "qec.eqb")
    out = os.path.join(args.work, "qec.decoded.qasm")
    result = {"file": src, "bytes": size, "target": args.target}

    log("eqisa assemble --no-baselines")
    rep = os.path.join(args.work, "assemble.time")
    p = subprocess.run(timed([args.bin, "assemble", src, "--target", args.target,
                              "--no-baselines", "--json", "-o", eqb], rep),
                       capture_output=True, text=True)
    result["assemble"] = parse_time_v(rep)
    if p.returncode != 0:
        result["assemble"]["error"] = p.stderr.strip()[-500:]
        print(json.dumps(result, indent=2))
        return
    asm = json.loads(p.stdout)
    result["native_ops"] = asm["native_ops"]
    result["eqb_bytes"] = os.path.getsize(eqb)

    log("eqisa decode -o")
    rep = os.path.join(args.work, "decode.time")
    p = subprocess.run(timed([args.bin, "decode", eqb, "-o", out], rep),
                       capture_output=True, text=True)
    result["decode"] = parse_time_v(rep)
    if p.returncode != 0:
        result["decode"]["error"] = p.stderr.strip()[-500:]
    else:
        result["decode"]["output_bytes"] = os.path.getsize(out)
        os.remove(out)

    if not args.no_qiskit:
        log("Qiskit qasm2.load (peer-bench parse, median of 5)")
        p = subprocess.run([PEER_BENCH, "parse", src], capture_output=True, text=True)
        if p.returncode == 0:
            q = json.loads(p.stdout)
            q = q[0] if isinstance(q, list) else q
            result["qiskit_parse_s"] = round(q["qiskit_seconds"], 2)
            result["assemble_speedup_over_qiskit_parse"] = round(
                q["qiskit_seconds"] / max(result["assemble"]["wall_s"], 1e-9), 2)
        else:
            result["qiskit_parse_error"] = p.stderr.strip()[-500:]
    print(json.dumps(result, indent=2))


# --- pipe: a synthetic program through a pipe ---------------------------------------------------

def cmd_pipe(args):
    os.makedirs(args.work, exist_ok=True)
    limit = args.max_rss_mb * 1024 * 1024

    def capped():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    rep_a = os.path.join(args.work, "pipe-assemble.time")
    rep_d = os.path.join(args.work, "pipe-decode.time")
    err_a = open(os.path.join(args.work, "pipe-assemble.err"), "w+")
    err_d = open(os.path.join(args.work, "pipe-decode.err"), "w+")
    log(f"gen {args.ops} | eqisa assemble - --no-baselines -o - | eqisa decode - -o - | wc -c")
    t0 = time.monotonic()
    gen = subprocess.Popen([sys.executable, os.path.abspath(__file__), "gen", str(args.ops),
                            "--qubits", str(args.qubits)]
                           + (["--barriers"] if args.barriers else []), stdout=subprocess.PIPE)
    asm = subprocess.Popen(timed([args.bin, "assemble", "-", "--target", args.target,
                                  "--no-baselines", "--json", "-o", "-"], rep_a),
                           stdin=gen.stdout, stdout=subprocess.PIPE, stderr=err_a,
                           preexec_fn=capped)
    gen.stdout.close()
    # With barriers the program comes back with its loop: --flatten writes every operation.
    flatten = ["--flatten"] if args.barriers else []
    dec = subprocess.Popen(timed([args.bin, "decode", "-", "-o", "-"] + flatten, rep_d),
                           stdin=asm.stdout, stdout=subprocess.PIPE, stderr=err_d,
                           preexec_fn=capped)
    asm.stdout.close()
    written = 0
    while True:
        chunk = dec.stdout.read(1 << 20)
        if not chunk:
            break
        written += len(chunk)
    codes = (dec.wait(), asm.wait(), gen.wait())
    wall = time.monotonic() - t0
    result = {
        "ops": args.ops, "qubits": args.qubits, "target": args.target,
        "max_rss_mb_cap": args.max_rss_mb, "wall_s": round(wall, 2),
        "assemble": parse_time_v(rep_a), "decode": parse_time_v(rep_d),
        "decoded_qasm_bytes": written,
        "exit_codes": {"generator": codes[2], "assemble": codes[1], "decode": codes[0]},
    }
    ok = all(c == 0 for c in codes)
    if ok:
        result["source_ops_per_s"] = round(args.ops / wall)
    for name, f in (("assemble", err_a), ("decode", err_d)):
        f.seek(0)
        text = f.read()
        report = text.find("{")
        if name == "assemble" and report >= 0:
            try:
                j = json.loads(text[report:text.rfind("}") + 1])
                result["native_ops"] = j["native_ops"]
                result["eqb_bytes"] = j["sections"]["header_and_framing"] + sum(
                    j["sections"][k] for k in ("program", "metadata", "instructions", "control"))
                if ok:
                    result["native_ops_per_s"] = round(j["native_ops"] / wall)
            except (ValueError, KeyError):
                pass
        if not ok:
            result[name]["stderr"] = text.strip()[-400:]
    print(json.dumps(result, indent=2))


# --- loops: 10^9 operations released from a loop --------------------------------------------

def cmd_loops(args):
    import stim

    os.makedirs(args.work, exist_ok=True)
    src = os.path.join(args.work, f"surface_d{args.distance}_r{args.rounds}.stim")
    c = stim.Circuit.generated("surface_code:rotated_memory_z", distance=args.distance,
                               rounds=args.rounds)
    with open(src, "w") as f:
        f.write(str(c))
    rep_a = os.path.join(args.work, "loops-assemble.time")
    rep_d = os.path.join(args.work, "loops-decode.time")
    err_a = open(os.path.join(args.work, "loops-assemble.err"), "w+")
    err_d = open(os.path.join(args.work, "loops-decode.err"), "w+")
    log(f"eqisa assemble {src} --no-baselines -o - | eqisa decode - --flatten -o - | (count)")
    t0 = time.monotonic()
    asm = subprocess.Popen(timed([args.bin, "assemble", src, "--target", args.target,
                                  "--no-baselines", "--json", "-o", "-"], rep_a),
                           stdout=subprocess.PIPE, stderr=err_a)
    dec = subprocess.Popen(timed([args.bin, "decode", "-", "--flatten", "--json", "-o", "-"], rep_d),
                           stdin=asm.stdout, stdout=subprocess.PIPE, stderr=err_d)
    asm.stdout.close()
    written = 0
    while True:
        chunk = dec.stdout.read(1 << 20)
        if not chunk:
            break
        written += len(chunk)
    codes = (dec.wait(), asm.wait())
    wall = time.monotonic() - t0
    result = {"file": src, "target": args.target, "wall_s": round(wall, 2),
              "assemble": parse_time_v(rep_a), "decode": parse_time_v(rep_d),
              "decoded_qasm_bytes": written,
              "exit_codes": {"assemble": codes[1], "decode": codes[0]}}
    err_d.seek(0)
    text = err_d.read()
    try:
        j = json.loads(text[text.find("{"):text.rfind("}") + 1])
        result["native_ops"] = j["native_ops"]
        result["bytes"] = j["bytes"]
        result["native_ops_per_s"] = round(j["native_ops"] / wall)
    except (ValueError, KeyError):
        result["decode"]["stderr"] = text.strip()[-400:]
    print(json.dumps(result, indent=2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="write the synthetic flat program to standard output")
    g.add_argument("ops", type=int)
    g.add_argument("--qubits", type=int, default=64)
    g.add_argument("--barriers", action="store_true")
    q = sub.add_parser("qec", help="a large flattened QEC program: assemble, decode, Qiskit parse")
    q.add_argument("--rounds", type=int, default=1200)
    q.add_argument("--distance", type=int, default=11)
    q.add_argument("--no-qiskit", action="store_true")
    p = sub.add_parser("pipe", help="the synthetic program through assemble and decode, piped")
    p.add_argument("--ops", type=int, default=10**9)
    p.add_argument("--qubits", type=int, default=64)
    p.add_argument("--max-rss-mb", type=int, default=8192)
    p.add_argument("--barriers", action="store_true",
                   help="end each round with a barrier over every qubit (repeats become a loop)")
    lp = sub.add_parser("loops", help="10^9 operations from a loop, decoded --flatten into a pipe")
    lp.add_argument("--rounds", type=int, default=700000)
    lp.add_argument("--distance", type=int, default=7)
    for s in (q, p, lp):
        s.add_argument("--bin", default=default_bin())
        s.add_argument("--target", default="native")
        s.add_argument("--work", default=os.path.join("/tmp", f"eqisa-scale-{os.getpid()}"))
    args = ap.parse_args()
    if args.cmd == "gen":
        try:
            generate(args.ops, args.qubits, sys.stdout.buffer, args.barriers)
        except BrokenPipeError:
            # The reader stopped (a failed stage): nothing more to write.
            sys.stderr.close()
            os._exit(1)
        return
    if not shutil.which("/usr/bin/time"):
        sys.exit("needs /usr/bin/time (GNU time)")
    if not os.path.exists(args.bin):
        sys.exit(f"{args.bin}: no eqisa binary (cargo build --release)")
    {"qec": cmd_qec, "pipe": cmd_pipe, "loops": cmd_loops}[args.cmd](args)


if __name__ == "__main__":
    main()
