"""`eqisa.report` and `eqisa.simulate` return what the CLI's JSON says."""

from __future__ import annotations

import pytest

import eqisa
from conftest import EXAMPLES


def test_report_equals_the_cli(run_cli):
    files = [EXAMPLES / "bell.qasm", EXAMPLES / "qft4.qasm"]
    r = eqisa.report(files, paper=False, memory=False, controllers=False)
    cli = run_cli("report", *files, "--no-paper", "--no-memory", "--no-controllers", "--json")
    assert r == cli
    assert [c["file"] for c in r["circuits"]] == [str(f) for f in files]
    assert r["job"]["circuits"] == 2


def test_report_to_pandas():
    pd = pytest.importorskip("pandas")
    r = eqisa.report(EXAMPLES / "bell.qasm", paper=False, memory=False, controllers=False)
    df = r.to_pandas()
    assert isinstance(df, pd.DataFrame)
    assert set(df["circuit"]) == {str(EXAMPLES / "bell.qasm"), "total"}
    bell = df[df["circuit"] != "total"].set_index("encoding")
    assert bell.loc["eqisa", "bits"] == r["circuits"][0]["encodings"]["eqisa"]["bits"]
    assert "events.link_bits" in df.columns


def test_report_of_circuits_held_in_memory():
    qiskit = pytest.importorskip("qiskit")
    qc = qiskit.QuantumCircuit(2, 2, name="pair")
    qc.h(0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    r = eqisa.report(qc, paper=False, memory=False, controllers=False)
    assert r["circuits"][0]["file"].endswith("pair.qasm")


def test_report_options_are_checked():
    with pytest.raises(eqisa.OptionsError, match="link_gbps"):
        eqisa.report(EXAMPLES / "bell.qasm", link_gbps=0)


def test_simulate_equals_the_cli(run_cli, tmp_path):
    for args in ([EXAMPLES / "qft4.qasm"], [EXAMPLES / "bell.qasm", EXAMPLES / "qft4.qasm"]):
        a = eqisa.assemble(args if len(args) > 1 else args[0], baselines=False)
        path = tmp_path / "p.eqb"
        a.save(path)
        sim = eqisa.simulate(path)
        assert sim == run_cli("firmware", path, "--json")
        assert sim["underruns"] == 0
    slow = eqisa.simulate(a, link_gbps=1e-4)
    assert slow["underruns"] > 0
    with pytest.raises(eqisa.OptionsError, match="p_true"):
        eqisa.simulate(a, p_true=2.0)
