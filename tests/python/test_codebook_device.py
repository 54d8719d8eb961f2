"""`eqisa.Codebook`, `eqisa.train`, `eqisa.compile` and `eqisa.Device`."""

from __future__ import annotations

import numpy as np
import pytest

import eqisa
from conftest import EXAMPLES, ROOT


def test_codebook_save_and_load(tmp_path):
    cb = eqisa.Codebook.default()
    cb.save(tmp_path / "d.eqcb")
    again = eqisa.Codebook.load(tmp_path / "d.eqcb")
    assert again == cb and again.to_bytes() == cb.to_bytes()
    assert again.id in repr(again)
    a = eqisa.assemble(EXAMPLES / "bell.qasm", codebook=tmp_path / "d.eqcb", baselines=False)
    assert a.bytes() == eqisa.assemble(EXAMPLES / "bell.qasm", baselines=False).bytes()


def test_train_gives_a_codebook_programs_decode_with(run_cli, tmp_path):
    cb = eqisa.train([EXAMPLES / "qft4.qasm", EXAMPLES / "adder4.qasm"], paper_haar=0, seed=5)
    path = tmp_path / "t.eqcb"
    cb.save(path)
    run_cli("train", EXAMPLES / "qft4.qasm", EXAMPLES / "adder4.qasm", "--paper-haar", "0", "--seed", "5", "-o", tmp_path / "cli.eqcb")
    assert (tmp_path / "cli.eqcb").read_bytes() == path.read_bytes()
    a = eqisa.assemble(EXAMPLES / "qft4.qasm", codebook=cb, baselines=False)
    assert len(eqisa.decode(a.bytes(), codebook=path)) == a.native_ops


def test_compile_matches_the_cli(run_cli, tmp_path):
    out = tmp_path / "q.qasm"
    run_cli("compile", EXAMPLES / "qft4.qasm", "-o", out)
    c = eqisa.compile(EXAMPLES / "qft4.qasm")
    assert c.to_qasm() == out.read_text()
    assert c.report == run_cli("compile", EXAMPLES / "qft4.qasm", "--json")
    assert c.fidelity_bound >= 0.999


def test_device_load_save_and_pulses(run_cli, tmp_path):
    path = ROOT / "circuits" / "pulse" / "devices" / "default.toml"
    d = eqisa.Device.load(path)
    assert d.num_qubits == 5 and ("x", [0]) in d.gates
    d.save(tmp_path / "d.toml")
    again = eqisa.Device.load(tmp_path / "d.toml")
    assert again.to_toml() == d.to_toml()
    a = eqisa.assemble(EXAMPLES / "bell.qasm", pulses=True, device=again, paper=False)
    out = tmp_path / "b.eqb"
    run_cli("assemble", EXAMPLES / "bell.qasm", "--pulses", "--device", tmp_path / "d.toml", "--no-paper", "-o", out)
    assert a.bytes() == out.read_bytes()


def gaussian(n: int, amp: float) -> np.ndarray:
    t = np.arange(n)
    return (amp * np.exp(-0.5 * ((t - n / 2) / (n / 6)) ** 2)).astype(np.complex128)


def toy_device() -> eqisa.Device:
    return eqisa.Device.from_arrays(
        "toy",
        0.5,
        np.array([5.0, 5.1]),
        np.array([-0.33, -0.34]),
        {"x0": gaussian(64, 0.2), "sx0": gaussian(64, 0.1), "x1": gaussian(64, 0.2), "sx1": gaussian(64, 0.1), "cr": gaussian(256, 0.05)},
        [
            ("x", [0], [("play", "d0", 0, "x0")]),
            ("sx", [0], [("play", "d0", 0, "sx0")]),
            ("rz", [0], [("shift_phase", "d0", 0, "-P0")]),
            ("x", [1], [("play", "d1", 0, "x1")]),
            ("sx", [1], [("play", "d1", 0, "sx1")]),
            ("rz", [1], [("shift_phase", "d1", 0, "-P0")]),
            ("cx", [0, 1], [("play", "u0", 0, "cr")]),
            ("measure", [0], [("acquire", 0, 512, [0])]),
            ("measure", [1], [("acquire", 0, 512, [1])]),
        ],
        control_channels=[(0, 1)],
    )


def test_device_from_arrays(run_cli, tmp_path):
    d = toy_device()
    assert d.path is None
    assert d.num_qubits == 2 and d.coupling_map == [(0, 1)]
    assert "toy" in d.to_toml()
    # A device built in memory codes pulses as the same device read from its TOML does.
    a = eqisa.assemble(EXAMPLES / "bell.qasm", pulses=True, device=d, paper=False)
    assert "held in memory" in a.report["pulses"]["device"] or a.report["pulses"]["device"] == "toy"
    d.save(tmp_path / "toy.toml")
    out = tmp_path / "b.eqb"
    run_cli("assemble", EXAMPLES / "bell.qasm", "--pulses", "--device", tmp_path / "toy.toml", "--no-paper", "-o", out)
    assert a.bytes() == out.read_bytes()
    samples = eqisa.decode(a.bytes()).samples()
    assert samples.shape[0] >= 2 and samples.any()
    with pytest.raises(eqisa.DeviceError, match="waveform 'nope'"):
        eqisa.Device.from_arrays("bad", 0.5, np.array([5.0]), np.array([-0.3]), {}, [("x", [0], [("play", "d0", 0, "nope")])])
    with pytest.raises(eqisa.DeviceError, match="channel"):
        eqisa.Device.from_arrays("bad", 0.5, np.array([5.0]), np.array([-0.3]), {"w": gaussian(8, 0.1)}, [("x", [0], [("play", "q0", 0, "w")])])
    with pytest.raises(eqisa.DeviceError, match="2 values for 1 qubits"):
        eqisa.Device.from_arrays("bad", 0.5, np.array([5.0]), np.array([-0.3, -0.3]), {}, [])
    with pytest.raises(eqisa.DeviceError, match="dt"):
        eqisa.Device.from_arrays("bad", -1.0, np.array([5.0]), np.array([-0.3]), {}, [])
