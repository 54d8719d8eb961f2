"""The type stubs say what the native module holds, no more and no less."""

from __future__ import annotations

import ast
import pathlib

import eqisa
from eqisa import _eqisa


def stub_names() -> dict[str, set[str]]:
    """Top-level names of ``_eqisa.pyi``, with each class's methods and properties."""
    path = pathlib.Path(eqisa.__file__).with_name("_eqisa.pyi")
    tree = ast.parse(path.read_text())
    out: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = {n.name for n in node.body if isinstance(n, ast.FunctionDef)}
            members |= {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
            out[node.name] = members
        elif isinstance(node, ast.FunctionDef):
            out[node.name] = set()
        elif isinstance(node, ast.AnnAssign):
            out[node.target.id] = set()
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                out[t.id] = set()
    return out


ALIASES = {"ScheduleItem", "OpTuple", "SourceTuple"}


def test_every_native_name_has_a_stub_and_every_stub_a_name():
    stubs = stub_names()
    native = {n for n in dir(_eqisa) if not n.startswith("_")} | {"__version__"}
    assert native == set(stubs) - ALIASES
    for name, members in stubs.items():
        if name in ALIASES or not members:
            continue
        cls = getattr(_eqisa, name)
        for m in members:
            if not m.startswith("__") or m in ("__len__", "__eq__", "__hash__"):
                assert hasattr(cls, m), f"{name}.{m} is in the stubs but not in the module"


def test_public_api_is_documented():
    for name in eqisa.__all__:
        obj = getattr(eqisa, name)
        assert obj.__doc__, f"eqisa.{name} has no docstring"
