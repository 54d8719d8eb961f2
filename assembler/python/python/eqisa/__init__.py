"""eqisa: compress the classical control stream of quantum computers.

A circuit (a ``qiskit.QuantumCircuit``, OpenQASM 2/3 or Stim text, or a path) is lowered to
native gates (and, with ``pulses=True``, to a device's control pulses) and coded with a learned
codebook into a compact EQISA program, which a small streaming decoder rebuilds::

    >>> import eqisa
    >>> program = eqisa.assemble("circuits/examples/bell.qasm")
    >>> program.bits["eqisa"] < program.bits["xz"]
    True
    >>> len(eqisa.decode(program.bytes())) == program.native_ops
    True

Every step is the command line's (``eqisa assemble``, ``decode``, ``compile``, ``train``,
``report``, ``firmware``), with the same defaults and the same bytes. Long calls release the GIL
and can be interrupted with Ctrl-C. Errors are `EqisaError` (and subclasses) whose message names
the file, the place and the problem.
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
import warnings
from typing import Any, Sequence

from . import _eqisa
from ._eqisa import (
    Codebook,
    CodebookError,
    DecodeError,
    Device,
    DeviceError,
    EqisaError,
    LoweringError,
    OptionsError,
    ParseError,
)
from ._program import Assembly, Job, Op, Program
from ._report import Report
from . import _sources

__version__: str = _eqisa.__version__

__all__ = [
    "Assembly",
    "Codebook",
    "CodebookError",
    "Compiled",
    "DecodeError",
    "Device",
    "DeviceError",
    "EqisaError",
    "Job",
    "LoweringError",
    "Op",
    "OptionsError",
    "ParseError",
    "Program",
    "Report",
    "assemble",
    "compile",
    "decode",
    "report",
    "simulate",
    "train",
]


def _lowering(
    target: str,
    fidelity: float,
    eps: float | None,
    synth: str,
    two_qubit: str | None,
    target_file: Any,
    sk_depth: int,
    sk_recursion: int,
) -> dict[str, Any]:
    return {
        "target": target,
        "fidelity": float(fidelity),
        "eps": None if eps is None else float(eps),
        "synth": synth,
        "two_qubit": two_qubit,
        "target_file": None if target_file is None else os.fspath(target_file),
        "sk_depth": int(sk_depth),
        "sk_recursion": int(sk_recursion),
    }


def _pulse(device: Any, direct: bool, no_route: bool, infidelity: float) -> dict[str, Any]:
    """The pulse options; ``device`` is a path, a `Device` (read from a file: its path, so that
    messages name it; built in memory: the object itself) or ``None`` (the default)."""
    path, given = None, None
    if isinstance(device, Device):
        if device.path is None:
            given = device
        else:
            path = os.fspath(device.path)
    elif isinstance(device, (str, os.PathLike)):
        path = os.fspath(device)
    elif device is not None:
        raise TypeError(f"device is a path or an eqisa.Device, not {type(device).__name__}")
    return {
        "device": path,
        "given_device": given,
        "direct": bool(direct),
        "no_route": bool(no_route),
        "infidelity": float(infidelity),
    }


def _paper(paper: bool, at_own_fidelity: bool, depth: int, recursion: int) -> dict[str, Any]:
    return {
        "paper": bool(paper),
        "paper_at_own_fidelity": bool(at_own_fidelity),
        "paper_depth": int(depth),
        "paper_recursion": int(recursion),
    }


def _codebook(codebook: Any) -> Codebook | None:
    if codebook is None or isinstance(codebook, Codebook):
        return codebook
    if isinstance(codebook, (str, os.PathLike)):
        return Codebook.load(os.fspath(codebook))
    if isinstance(codebook, (bytes, bytearray, memoryview)):
        return Codebook.from_bytes(bytes(codebook))
    raise TypeError(f"codebook is a path, bytes or an eqisa.Codebook, not {type(codebook).__name__}")


def _inputs(inputs: dict[str, Any] | None) -> list[tuple[str, str]]:
    if inputs is None:
        return []
    if not isinstance(inputs, dict):
        raise TypeError(f"inputs is a dict of input name to value, not {type(inputs).__name__}")
    return [(str(k), repr(v) if isinstance(v, float) else str(v)) for k, v in inputs.items()]


def assemble(
    circuit: Any,
    *,
    target: str = "native",
    fidelity: float = 0.999,
    eps: float | None = None,
    synth: str = "gridsynth",
    two_qubit: str | None = None,
    target_file: str | os.PathLike | None = None,
    sk_depth: int = 3,
    sk_recursion: int = 3,
    codebook: Codebook | str | os.PathLike | bytes | None = None,
    pulses: bool = False,
    device: Device | str | os.PathLike | None = None,
    direct: bool = False,
    no_route: bool = False,
    pulse_infidelity: float = _eqisa.DEFAULT_PULSE_INFIDELITY,
    inputs: dict[str, Any] | None = None,
    inputs_table: str | os.PathLike | None = None,
    flat: bool = False,
    repeat_window: int = _eqisa.DEFAULT_REPEAT_WINDOW,
    baselines: bool = True,
    paper: bool = True,
    paper_at_own_fidelity: bool = False,
    paper_depth: int = 3,
    paper_recursion: int = 3,
) -> Assembly:
    """Lower and code ``circuit`` into an EQISA program, as ``eqisa assemble`` does.

    Parameters
    ----------
    circuit
        A ``qiskit.QuantumCircuit``, OpenQASM 2/3 or Stim text, a path to a ``.qasm``,
        ``.qasm3`` or ``.stim`` file, or a directory of them. A list (or a directory) makes a
        *job*: one program whose circuits run one after another.
    target, fidelity, eps, synth, two_qubit, target_file, sk_depth, sk_recursion
        How to lower: ``target`` is ``"native"`` (rz/sx/x/cz, or ``two_qubit="ecr"``) or
        ``"clifford+t"`` (``synth`` ``"gridsynth"`` or ``"sk"``); ``fidelity`` is the
        whole-circuit budget (``eps`` a per-rotation error instead).
    codebook
        The codebook to code with (default: the embedded one); decoding needs the same.
    pulses, device, direct, no_route, pulse_infidelity
        Also lower to the device's control pulses (default device: IBM's ibmq_lima, or a grid
        built from it for larger circuits) and add them as the program's pulse section.
    inputs
        Values of an OpenQASM 3 program's ``input`` variables.
    inputs_table
        A CSV of input values, one row per point: a parameter sweep of one program.
    flat, repeat_window
        Code the program unrolled; or look for repeats within this many operations.
    baselines, paper, paper_at_own_fidelity, paper_depth, paper_recursion
        Measure the baselines (binary, xz, zstd, bzip2, the paper's pipeline) in ``.bits``.

    Returns
    -------
    Assembly
        ``bytes()`` is exactly what ``eqisa assemble -o`` writes; ``bits`` the CLI's JSON
        ``bits``; ``native_ops``; ``fidelity_bound``; ``report`` the whole JSON.

    Raises
    ------
    ParseError, LoweringError, OptionsError, CodebookError, DeviceError, OSError, TypeError
    """
    if pulses and not baselines:
        # As on the command line: the pulse section's baselines come from its coder.
        raise OptionsError("baselines=False does not combine with pulses=True")
    sources, job = _sources.expand(circuit)
    native = _eqisa.assemble(
        sources,
        _lowering(target, fidelity, eps, synth, two_qubit, target_file, sk_depth, sk_recursion),
        _pulse(device, direct, no_route, pulse_infidelity),
        _paper(paper, paper_at_own_fidelity, paper_depth, paper_recursion),
        codebook=_codebook(codebook),
        pulses=bool(pulses),
        inputs=_inputs(inputs),
        flat=bool(flat),
        baselines=bool(baselines),
        repeat_window=int(repeat_window),
        job=job,
        sweep=None if inputs_table is None else os.fspath(inputs_table),
    )
    return Assembly(native)


def _program_bytes(data: Any) -> tuple[bytes, str]:
    if isinstance(data, Assembly):
        return data.bytes(), "<assembly>"
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), "<bytes>"
    if isinstance(data, (str, os.PathLike)):
        path = os.fspath(data)
        with open(path, "rb") as f:
            return f.read(), path
    if hasattr(data, "read"):
        if getattr(data, "closed", False):
            raise ValueError("decode: the file is closed")
        got = data.read()
        if not isinstance(got, bytes):
            raise TypeError("decode: the file must be opened in binary mode ('rb')")
        return got, getattr(data, "name", "<file>")
    raise TypeError(
        f"decode takes bytes, a path, a binary file or an Assembly, not {type(data).__name__}"
    )


def decode(data: Any, *, codebook: Codebook | str | os.PathLike | bytes | None = None) -> Program | Job:
    """Decode an EQISA program (bytes, a path, a binary file, or an `Assembly`).

    Returns a `Program`, a sequence of timed native operations (``len()`` is the number of
    native operations, as ``eqisa decode --json`` counts them), or for a job a `Job` of them.
    ``codebook`` must be the one it was assembled with (default: the embedded one).
    """
    raw, name = _program_bytes(data)
    cb = _codebook(codebook)
    # A program read from a file is named by its stem, as `eqisa decode --output-dir` names it.
    stem = pathlib.PurePath(name).stem if not name.startswith("<") else "program"
    decoded = _eqisa.decode(raw, cb, name, stem or "program")
    if decoded.is_job:
        return Job(decoded, raw, cb)
    return Program(decoded, 0, raw, cb)


class Compiled:
    """A circuit lowered to a native target: its OpenQASM and what ``eqisa compile --json``
    reports (``ops``, ``depth``, ``fidelity_bound``, ``fidelity_exact``…)."""

    def __init__(self, qasm: str, qasm3: bool, report: dict[str, Any]) -> None:
        self.qasm = qasm
        self.is_qasm3 = qasm3
        self.report = report

    @property
    def fidelity_bound(self) -> float:
        """The lowering's fidelity bound."""
        return self.report["fidelity_bound"]

    def to_qasm(self) -> str:
        """The lowered circuit as OpenQASM (what ``eqisa compile -o`` writes)."""
        return self.qasm

    def __repr__(self) -> str:
        ops = sum(self.report["ops"].values())
        return f"<eqisa.Compiled {self.report['target']}: {ops} ops, fidelity bound {self.fidelity_bound:.6f}>"


def compile(  # noqa: A001  (the CLI's verb)
    circuit: Any,
    *,
    target: str = "native",
    fidelity: float = 0.999,
    eps: float | None = None,
    synth: str = "gridsynth",
    two_qubit: str | None = None,
    target_file: str | os.PathLike | None = None,
    sk_depth: int = 3,
    sk_recursion: int = 3,
    inputs: dict[str, Any] | None = None,
    flat: bool = False,
) -> Compiled:
    """Lower one circuit to a native target, as ``eqisa compile`` does (same options as
    `assemble`)."""
    source = _sources.one(circuit, "compile")
    qasm, qasm3, report = _eqisa.compile(
        source,
        _lowering(target, fidelity, eps, synth, two_qubit, target_file, sk_depth, sk_recursion),
        inputs=_inputs(inputs),
        flat=bool(flat),
    )
    return Compiled(qasm, qasm3, json.loads(report))


def train(
    corpus: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    targets: Sequence[str] = ("native", "clifford+t"),
    haar: int = 0,
    seed: int = 1,
    words: int = _eqisa.MAX_WORDS,
    paper_haar: int = 1000,
    description: str = "EQISA codebook",
    fidelity: float = 0.999,
    synth: str = "gridsynth",
    sk_depth: int = 3,
    sk_recursion: int = 3,
) -> Codebook:
    """Train a codebook on circuit files (paths to files or directories searched for ``.qasm``
    and ``.qasm3``), as ``eqisa train`` does (without pulse atoms). A file that does not parse
    or lower is skipped with a warning naming it and why, as the CLI notes it."""
    cb, summary = _eqisa.train(
        _sources.paths(corpus),
        _lowering("native", fidelity, None, synth, None, None, sk_depth, sk_recursion),
        list(targets),
        haar=int(haar),
        seed=int(seed),
        words=int(words),
        paper_haar=int(paper_haar),
        description=str(description),
    )
    for skipped in json.loads(summary)["skipped"]:
        warnings.warn(f"skipped {skipped['file']}: {skipped['reason']}", stacklevel=2)
    return cb


def _controller(
    link_gbps: float | None,
    clock_mhz: float | None,
    startup_ns: float | None,
    dt_ns: float | None = None,
    seed: int = 0,
    p_true: float = 0.5,
    answers: Sequence[bool] | None = None,
    max_while_iterations: int | None = None,
) -> dict[str, Any]:
    return {
        "link_gbps": None if link_gbps is None else float(link_gbps),
        "clock_mhz": None if clock_mhz is None else float(clock_mhz),
        "startup_ns": None if startup_ns is None else float(startup_ns),
        "dt_ns": None if dt_ns is None else float(dt_ns),
        "seed": int(seed),
        "p_true": float(p_true),
        "answers": None if answers is None else [bool(a) for a in answers],
        "max_while_iterations": None if max_while_iterations is None else int(max_while_iterations),
    }


def report(
    circuits: Any,
    *,
    target: str = "native",
    fidelity: float = 0.999,
    eps: float | None = None,
    synth: str = "gridsynth",
    two_qubit: str | None = None,
    target_file: str | os.PathLike | None = None,
    sk_depth: int = 3,
    sk_recursion: int = 3,
    codebook: Codebook | str | os.PathLike | bytes | None = None,
    device: Device | str | os.PathLike | None = None,
    direct: bool = False,
    no_route: bool = False,
    pulse_infidelity: float = _eqisa.DEFAULT_PULSE_INFIDELITY,
    paper: bool = True,
    paper_at_own_fidelity: bool = False,
    paper_depth: int = 3,
    paper_recursion: int = 3,
    link_gbps: float | None = None,
    clock_mhz: float | None = None,
    startup_ns: float | None = None,
    energy_model: str | os.PathLike | None = None,
    memory: bool = True,
    controllers: bool = True,
    job: bool = True,
) -> Report:
    """Measure circuits under every encoding, as ``eqisa report --json`` does: per circuit and
    in total, bits, link bandwidth, energy, fidelity and the qubits one link serves, for the
    instruction stream (binary, the paper's pipeline, bzip2/xz/zstd, eqisa) and the pulses
    (raw samples, DCT, zstd, eqisa), with the firmware simulation of eqisa's rows.

    ``circuits`` is one circuit or several (paths, directories, ``QuantumCircuit``s, text);
    those held in memory are written as ``NAME.qasm`` to a temporary directory, whose path the
    report then names. ``link_gbps``, ``clock_mhz`` and ``startup_ns`` default to the CLI's
    (10 Gb/s, 500 MHz, 100 µs). ``memory`` codes the device's whole waveform memory,
    ``controllers`` finds how many controllers each circuit needs, ``job`` codes several
    circuits as one job too. Notes (circuits skipped and why) come as warnings.

    Returns a `Report`: the JSON as a dict, with ``to_pandas()``.
    """
    sources, _ = _sources.expand(circuits)
    controller = _controller(link_gbps, clock_mhz, startup_ns)
    with tempfile.TemporaryDirectory(prefix="eqisa-report-") as tmp:
        files = _sources.as_files(sources, tmp)
        text, notes = _eqisa.report(
            files,
            _lowering(target, fidelity, eps, synth, two_qubit, target_file, sk_depth, sk_recursion),
            _pulse(device, direct, no_route, pulse_infidelity),
            _paper(paper, paper_at_own_fidelity, paper_depth, paper_recursion),
            controller,
            codebook=_codebook(codebook),
            energy_model=None if energy_model is None else os.fspath(energy_model),
            memory=bool(memory),
            controllers=bool(controllers),
            job=bool(job),
        )
    for note in notes:
        warnings.warn(note, stacklevel=2)
    return Report(json.loads(text))


def simulate(
    program: Any,
    *,
    codebook: Codebook | str | os.PathLike | bytes | None = None,
    link_gbps: float | None = None,
    clock_mhz: float | None = None,
    startup_ns: float | None = None,
    dt_ns: float | None = None,
    energy_model: str | os.PathLike | None = None,
    seed: int = 0,
    p_true: float = 0.5,
    answers: Sequence[bool] | None = None,
    max_while_iterations: int | None = None,
) -> dict[str, Any]:
    """Run a program (bytes, a path, a binary file or an `Assembly`) on the modelled
    controller, as ``eqisa firmware --json`` does: link, FIFO, the real decoders at their
    clock, waveform memory and DACs; underruns, peak FIFO, the lowest link rate without
    underruns, latency, events and energy. Real-time ``while`` loops take ``answers`` in order,
    or draw each with probability ``p_true`` from ``seed``."""
    raw, name = _program_bytes(program)
    text = _eqisa.simulate(
        raw,
        _controller(link_gbps, clock_mhz, startup_ns, dt_ns, seed, p_true, answers, max_while_iterations),
        codebook=_codebook(codebook),
        energy_model=None if energy_model is None else os.fspath(energy_model),
        name=name,
    )
    return json.loads(text)
