"""Fixtures of the Python package's tests: the repository, the CLI built from it (the reference
every figure and byte is compared with), and the shared corpus when it is beside the repository."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "circuits" / "examples"
PROGRAMS = ROOT / "circuits" / "programs"
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    """The ``eqisa`` binary: ``$EQISA_CLI``, else built from the repository (debug profile, as
    ``cargo test`` builds it)."""
    given = os.environ.get("EQISA_CLI")
    if given:
        return pathlib.Path(given)
    subprocess.run(["cargo", "build", "-q", "--bin", "eqisa"], cwd=ROOT, check=True)
    return ROOT / "target" / "debug" / "eqisa"


@pytest.fixture(scope="session")
def run_cli(cli):
    """Run the CLI; returns its standard output (JSON decoded when ``--json`` is given)."""

    def run(*args: str | os.PathLike) -> object:
        r = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True)
        assert r.returncode == 0, f"eqisa {' '.join(map(str, args))} failed: {r.stderr}"
        return json.loads(r.stdout) if "--json" in args else r.stdout

    return run


@pytest.fixture(scope="session")
def corpus() -> pathlib.Path:
    """The shared corpus (tests that need it are skipped when it is absent)."""
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is absent")
    return CORPUS
