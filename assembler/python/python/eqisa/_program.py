"""What ``assemble`` and ``decode`` return: an assembled program, and decoded programs as
sequences of timed native operations."""

from __future__ import annotations

import json
from typing import Any, Iterator, NamedTuple, overload

from . import _eqisa

# Operations fetched from the native module at a time while iterating.
_CHUNK = 4096


class Op(NamedTuple):
    """One timed native operation."""

    #: OpenQASM name: ``rz``, ``sx``, ``x``, ``cz``, ``ecr``, ``measure``, ``h``, ``t``…
    name: str
    #: Qubits it acts on.
    qubits: tuple[int, ...]
    #: Parameters: an ``rz`` angle (radians), a ``delay``'s length (ns).
    params: tuple[float, ...]
    #: Classical bits it writes (a ``measure``'s).
    clbits: tuple[int, ...]
    #: When it starts, ns from the circuit's start.
    start_ns: float
    #: How long it takes, ns.
    duration_ns: float
    #: The condition it runs under, as OpenQASM 3 text (``c == 3``), or ``None``.
    condition: str | None


def _op(t: tuple) -> Op:
    name, qubits, params, clbits, start, duration, cond = t
    return Op(name, qubits, params, clbits, start, duration, None if cond is None else cond[0])


class Assembly:
    """An assembled program: ``bytes()`` is exactly the ``.eqb`` file ``eqisa assemble`` writes
    for the same input and options."""

    def __init__(self, native: _eqisa.Assembled) -> None:
        self._native = native
        #: The whole report, as ``eqisa assemble --json`` prints it.
        self.report: dict[str, Any] = json.loads(native.report_json)

    def bytes(self) -> bytes:
        """The ``.eqb`` file's bytes."""
        return self._native.bytes()

    def save(self, path: Any) -> None:
        """Write the program to ``path`` (whole, or not at all)."""
        self._native.save(path)

    @property
    def bits(self) -> dict[str, int | None]:
        """Bits per encoding, the CLI's JSON ``bits``: ``eqisa``, ``binary``, ``xz``, ``zstd``,
        ``bzip2``, the paper's pipeline… (``None`` where not measured)."""
        return self.report["bits"]

    @property
    def native_ops(self) -> int:
        """Native operations (a job's summed over its circuits)."""
        return self._native.native_ops

    @property
    def fidelity_bound(self) -> float:
        """The lowering's fidelity bound (a job's lowest)."""
        return self._native.fidelity_bound

    @property
    def circuits(self) -> int:
        """Circuits in the program: 1, or a job's."""
        return self._native.circuits

    def __len__(self) -> int:
        return len(self._native)

    def __repr__(self) -> str:
        what = f"{self.circuits} circuits" if self.circuits > 1 else "1 circuit"
        return (
            f"<eqisa.Assembly {len(self)} bytes, {what}, {self.native_ops} native ops, "
            f"fidelity bound {self.fidelity_bound:.6f}>"
        )


class Program:
    """A decoded circuit: a sequence of timed native operations (``len()`` is the number it
    runs; loops are run out, each real-time ``while`` loop's body counted once)."""

    def __init__(self, decoded: _eqisa.Decoded, index: int, data: bytes, codebook: Any) -> None:
        self._decoded = decoded
        self._index = index
        self._data = data
        self._codebook = codebook
        qubits, clbits, duration, target, looped = decoded.info(index)
        #: Its name: a job's circuit name; for a single program, the stem of the file it was
        #: read from, else ``program``.
        self.name: str = decoded.name(index)
        #: Qubits and classical bits.
        self.num_qubits: int = qubits
        self.num_clbits: int = clbits
        #: End of its last operation, ns.
        self.duration_ns: float = duration
        #: ``native`` or ``clifford+t``.
        self.target: str = target
        #: Whether it keeps loops (``to_qasm()`` writes them as OpenQASM 3 loops).
        self.has_loops: bool = looped
        self._len = decoded.native_ops(index)

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, i: int) -> Op: ...
    @overload
    def __getitem__(self, i: slice) -> list[Op]: ...
    def __getitem__(self, i: int | slice) -> Op | list[Op]:
        if isinstance(i, slice):
            start, stop, step = i.indices(self._len)
            if step == 1:
                return [_op(t) for t in self._decoded.ops(self._index, start, max(start, stop))]
            return [self[j] for j in range(start, stop, step)]
        if not isinstance(i, int):
            raise TypeError(f"Program indices are integers or slices, not {type(i).__name__}")
        j = i + self._len if i < 0 else i
        if not 0 <= j < self._len:
            raise IndexError(f"operation {i} of a program of {self._len}")
        return _op(self._decoded.ops(self._index, j, j + 1)[0])

    def __iter__(self) -> Iterator[Op]:
        for start in range(0, self._len, _CHUNK):
            for t in self._decoded.ops(self._index, start, start + _CHUNK):
                yield _op(t)

    def to_arrays(self) -> dict[str, Any]:
        """The operations as numpy columns, without building an `Op` each: ``name`` (uint8
        codes into ``names``, a list), ``qubit0``, ``qubit1`` (-1 where absent), ``num_qubits``
        (a barrier's further qubits are in ``self[i].qubits``), ``param`` (NaN where none),
        ``clbit`` (-1 where none), ``condition`` (-1, or the condition's index in the program),
        ``start_ns`` and ``duration_ns``."""
        keys = ("names", "name", "qubit0", "qubit1", "num_qubits", "param", "clbit", "condition", "start_ns", "duration_ns")
        return dict(zip(keys, self._decoded.columns(self._index)))

    def to_qasm(self) -> str:
        """The circuit as OpenQASM: 2 where it can be, 3 for loops and conditions OpenQASM 2
        lacks; what ``eqisa decode -o`` writes."""
        return self._decoded.qasm(self._index)

    def to_circuit(self) -> Any:
        """The circuit as a ``qiskit.QuantumCircuit`` (Qiskit must be installed): one
        instruction per operation, loops run out, each ``delay`` in ns, each condition an
        ``if_test``. Timing is not kept (``Op.start_ns`` has it)."""
        try:
            from ._qiskit import build_circuit  # noqa: PLC0415
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("Program.to_circuit needs Qiskit: pip install 'eqisa[qiskit]'") from e
        return build_circuit(self)

    def samples(self, *, with_channels: bool = False) -> Any:
        """The pulse section's samples: an int16 array of shape (channels, samples, 2), the DAC's
        I and Q codes, bit for bit what ``eqisa decode --samples`` writes; with
        ``with_channels``, also the channels' names (row ``i`` is channel ``i``)."""
        array, channels = _eqisa.decode_samples(self._data, self._codebook)
        return (array, channels) if with_channels else array

    def __repr__(self) -> str:
        loops = ", with loops" if self.has_loops else ""
        return (
            f"<eqisa.Program '{self.name}': {self._len} ops on {self.num_qubits} qubits, "
            f"{self.duration_ns:.1f} ns, {self.target}{loops}>"
        )


class Job:
    """A decoded job: its circuits, each a `Program`, in order."""

    def __init__(self, decoded: _eqisa.Decoded, data: bytes, codebook: Any) -> None:
        self._programs = [Program(decoded, i, data, codebook) for i in range(len(decoded))]

    def __len__(self) -> int:
        return len(self._programs)

    def __getitem__(self, i: int) -> Program:
        return self._programs[i]

    def __iter__(self) -> Iterator[Program]:
        return iter(self._programs)

    @property
    def names(self) -> list[str]:
        """The circuits' names."""
        return [p.name for p in self._programs]

    def __repr__(self) -> str:
        return f"<eqisa.Job of {len(self)} circuits: {', '.join(self.names[:5])}{'…' if len(self) > 5 else ''}>"

