"""Compiler flags live in one place: every kernel caches and none uses fast-math."""

import ast
from pathlib import Path

import brawl_env._jit as jit

ROOT = Path(jit.__file__).parent


def test_flags_are_cache_on_fastmath_off():
    for flags in (jit.KERNEL_FLAGS, jit.HELPER_FLAGS):
        assert flags["cache"] is True
        assert flags["fastmath"] is False
    assert set(jit.HELPER_FLAGS) - set(jit.KERNEL_FLAGS) == {"inline"}


def test_no_hard_coded_numba_decorators_outside_jit():
    offenders = []
    for path in ROOT.rglob("*.py"):
        if path.name == "_jit.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef,)):
                for dec in node.decorator_list:
                    text = ast.unparse(dec)
                    if "njit" in text or "jit(" in text or text.endswith(".jit") or "vectorize" in text:
                        offenders.append(f"{path.name}:{node.lineno} {text}")
            if isinstance(node, ast.Call) and "njit" in ast.unparse(node.func):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_cache_folder_changes_with_the_source(tmp_path, monkeypatch):
    before = jit._source_hash()
    assert before == jit._source_hash()
    monkeypatch.setattr(jit, "_ENGINE_ROOT", tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    one = jit._source_hash()
    (tmp_path / "a.py").write_text("x = 2\n")
    assert jit._source_hash() != one


def test_importing_brawl_env_is_light():
    import subprocess
    import sys

    code = (
        "import sys, brawl_env; bad = [m for m in ('numba', 'pygame', 'torch') if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]" and out.stderr == ""
