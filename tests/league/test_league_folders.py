"""league.folders: the league folder's name in runs and tournaments (old name still read), writability."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from league.folders import NotWritableError, check_writable, league_dir
from league.store import League


def test_new_folders_use_league_db_and_old_ones_keep_league(tmp_path):
    assert league_dir(tmp_path / "new") == tmp_path / "new" / "league_db"
    old = tmp_path / "old"
    League.open(old / "league", create=True).close()  # a run made before the rename
    assert league_dir(old) == old / "league"
    League.open(old / "league_db", create=True).close()  # once both exist, the new one is used
    assert league_dir(old) == old / "league_db"


def test_python_run_inside_a_run_folder_imports_the_league_package(tmp_path):
    """With an editable install, a folder named ``league`` in the current folder became the ``league``
    package (a namespace package, found before the install's own finder): data shadowed code."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as a user's shell, not pytest's path
    code = "import league; print(getattr(league, '__file__', None))"
    probe = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    if probe.returncode != 0 or probe.stdout.strip() == "None":
        pytest.skip("brawl-league is not installed for this interpreter outside pytest's path")
    run = tmp_path / "run"
    League.open(league_dir(run), create=True).close()  # the folder the trainer makes
    found = subprocess.run([sys.executable, "-c", code], cwd=run, env=env, capture_output=True, text=True)
    assert found.returncode == 0 and found.stdout.strip().endswith("__init__.py"), found.stdout + found.stderr


def test_check_writable_names_the_folder(tmp_path, shared_tmp, read_only):
    (tmp_path / "f").write_text("")
    with pytest.raises(NotWritableError, match=r"--out: cannot create .*: .*/f is not a folder"):
        check_writable(tmp_path / "f" / "x", "--out")
    check_writable(tmp_path / "a" / "b", "--out")  # missing folders that can be made are fine
    assert not (tmp_path / "a").exists()  # and nothing is made by checking
    folder = shared_tmp / "ro"
    folder.mkdir()
    (folder / "league.db").write_text("")
    with read_only(folder):
        with pytest.raises(NotWritableError, match="--runs-dir: cannot write into .*its parent .*read-only"):
            check_writable(folder / "run", "--runs-dir")
    folder.chmod(0o777)
    with read_only(folder / "league.db"):
        with pytest.raises(NotWritableError, match="cannot write .*league.db"):
            check_writable(folder, "--league", files=("league.db",))
