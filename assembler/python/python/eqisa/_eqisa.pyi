"""Type stubs of the native module ``eqisa._eqisa`` (import ``eqisa``, not this module)."""

from os import PathLike
from typing import Any

import numpy as np
import numpy.typing as npt

__version__: str
DEFAULT_PULSE_INFIDELITY: float
DEFAULT_REPEAT_WINDOW: int
MAX_WORDS: int

class EqisaError(Exception):
    """Base class of every error eqisa raises."""

class ParseError(EqisaError):
    """A circuit that does not parse, naming file, line and column."""

class LoweringError(EqisaError):
    """A circuit that cannot be lowered, routed or placed."""

class DecodeError(EqisaError):
    """Bytes that are not a valid program for the codebook."""

class CodebookError(EqisaError):
    """A codebook that cannot be read or does not suit the program."""

class DeviceError(EqisaError):
    """A device calibration that cannot be read or is inconsistent."""

class OptionsError(EqisaError):
    """Options out of range or that do not go together."""

class Codebook:
    """A codebook: the instruction model, macro words, the paper's dictionary, pulse atoms."""

    @staticmethod
    def load(path: str | PathLike[str]) -> Codebook: ...
    @staticmethod
    def from_bytes(data: bytes, name: str = "<bytes>") -> Codebook: ...
    @staticmethod
    def default() -> Codebook: ...
    def save(self, path: str | PathLike[str]) -> None: ...
    def to_bytes(self) -> bytes: ...
    @property
    def id(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def has_pulse_atoms(self) -> bool: ...
    def __len__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

ScheduleItem = tuple[str, Any, Any, Any]

class Device:
    """A device calibration."""

    @property
    def path(self) -> str | None: ...
    @staticmethod
    def load(path: str | PathLike[str]) -> Device: ...
    @staticmethod
    def default() -> Device: ...
    @staticmethod
    def from_arrays(
        name: str,
        dt_ns: float,
        frequencies_ghz: npt.NDArray[np.float64],
        anharmonicities_ghz: npt.NDArray[np.float64],
        waveforms: dict[str, npt.NDArray[np.complex128]],
        gates: list[tuple[str, list[int], list[ScheduleItem]]],
        control_channels: list[tuple[int, int]] = ...,
        dac_bits: int = 16,
    ) -> Device: ...
    def to_toml(self) -> str: ...
    def save(self, path: str | PathLike[str]) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def dt_ns(self) -> float: ...
    @property
    def num_qubits(self) -> int: ...
    @property
    def coupling_map(self) -> list[tuple[int, int]]: ...
    @property
    def gates(self) -> list[tuple[str, list[int]]]: ...

class Assembled:
    report_json: str
    native_ops: int
    fidelity_bound: float
    circuits: int
    def bytes(self) -> bytes: ...
    def save(self, path: str | PathLike[str]) -> None: ...
    def __len__(self) -> int: ...

OpTuple = tuple[
    str,
    tuple[int, ...],
    tuple[float, ...],
    tuple[int, ...],
    float,
    float,
    tuple[str, str | None, str | None, str | None] | None,
]

class Decoded:
    is_job: bool
    def __len__(self) -> int: ...
    def name(self, i: int) -> str: ...
    def native_ops(self, i: int) -> int: ...
    def info(self, i: int) -> tuple[int, int, float, str, bool]: ...
    def cregs(self, i: int) -> list[tuple[str, int, int]]: ...
    def qregs(self, i: int) -> list[tuple[str, int, int]]: ...
    def qasm(self, i: int) -> str: ...
    def ops(self, i: int, start: int, stop: int) -> list[OpTuple]: ...
    def columns(self, i: int) -> tuple[
        list[str],
        npt.NDArray[np.uint8],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.uint32],
        npt.NDArray[np.float64],
        npt.NDArray[np.int64],
        npt.NDArray[np.int64],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
    ]: ...

SourceTuple = tuple[str, str, str]

def assemble(
    sources: list[SourceTuple],
    lowering: dict[str, Any],
    pulse: dict[str, Any],
    paper: dict[str, Any],
    codebook: Codebook | None = None,
    pulses: bool = False,
    inputs: list[tuple[str, str]] = ...,
    flat: bool = False,
    baselines: bool = True,
    repeat_window: int = ...,
    job: bool = False,
    sweep: str | None = None,
) -> Assembled: ...
def decode(
    data: bytes, codebook: Codebook | None = None, name: str = "<bytes>", stem: str = "program"
) -> Decoded: ...
def decode_samples(
    data: bytes, codebook: Codebook | None = None, name: str = "<bytes>"
) -> tuple[npt.NDArray[np.int16], list[str]]: ...
def compile(
    source: SourceTuple,
    lowering: dict[str, Any],
    inputs: list[tuple[str, str]] = ...,
    flat: bool = False,
) -> tuple[str, bool, str]: ...
def train(
    corpus: list[str],
    lowering: dict[str, Any],
    targets: list[str],
    haar: int = 0,
    seed: int = 0,
    words: int = 0,
    paper_haar: int = 0,
    description: str = "",
) -> tuple[Codebook, str]: ...
def report(
    files: list[str],
    lowering: dict[str, Any],
    pulse: dict[str, Any],
    paper: dict[str, Any],
    controller: dict[str, Any],
    codebook: Codebook | None = None,
    energy_model: str | None = None,
    memory: bool = True,
    controllers: bool = True,
    job: bool = True,
) -> tuple[str, list[str]]: ...
def simulate(
    data: bytes,
    controller: dict[str, Any],
    codebook: Codebook | None = None,
    energy_model: str | None = None,
    name: str = "<bytes>",
) -> str: ...
