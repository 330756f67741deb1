"""The ``brawl-league`` command's shell: help, version, the bench options, and a cheap import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from brawl_league import bench
from brawl_league.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


def test_help_lists_bench() -> None:
    result = runner.invoke(app, ["--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "bench" in result.output
    assert "--version" in result.output


def test_version_prints_distribution_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"brawl-league {version('brawl-league')}"
    assert version("brawl-league") == "0.1.0"


def test_bench_env_help_lists_options() -> None:
    result = runner.invoke(app, ["bench", "env", "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    for option in ("--json", "--quick", "--seconds", "--repeats"):
        assert option in result.output


def test_bench_help_lists_env() -> None:
    result = runner.invoke(app, ["bench", "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "env" in result.output


def _fake_result() -> dict:
    figures = {
        "import_s": 0.004,
        "warm_first_step_s": 0.6,
        "first_compile_s": 12.0,
        "parallel_steps_per_s": 45_000.0,
        "engine_steps_per_s_n1": 150_000.0,
        "door_engine_ratio": 0.3,
        "reset_ms": 2.0,
        "batch_match_steps_per_s_n1": 50_000.0,
        "batch_match_steps_per_s_n64": 900_000.0,
        "batch_match_steps_per_s_n1024": 1_500_000.0,
        "batch_state_bytes_per_match": 1024.0,
    }
    info = {"cores": 2, "cpu": "test cpu", "python": "3.11", "numpy": "2", "numba": "0.6", "date": "today"}
    return {**figures, **info, "seconds": 2.0, "repeats": 5, "quick": False}


def test_bench_env_json_writes_only_one_json_object(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(seconds: float, repeats: int, quick: bool, progress) -> dict:  # noqa: ANN001
        progress("a step that reports progress")
        print("stray print from the engine")
        return {**_fake_result(), "seconds": seconds, "repeats": repeats, "quick": quick}

    monkeypatch.setattr(bench, "run_env_bench", fake_run)
    result = runner.invoke(app, ["bench", "env", "--json", "--seconds", "0.5", "--repeats", "3"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)  # fails if anything else reached stdout
    assert payload["seconds"] == 0.5 and payload["repeats"] == 3 and payload["quick"] is False


def test_bench_table_judges_goals() -> None:
    from rich.console import Console

    console = Console(width=200, record=True, color_system=None)
    console.print(bench.render_table(_fake_result()))
    text = console.export_text()
    assert "not met" in text  # reset_ms 2.0 > 1 ms
    assert "met" in text
    goals = {g.key: g for g in bench.FIGURES}
    assert goals["parallel_steps_per_s"].met(30_000.0) is True
    assert goals["door_engine_ratio"].met(0.3) is False and goals["door_engine_ratio"].met(0.5) is True
    assert goals["engine_steps_per_s_n1"].met(1.0) is None
    row = next(line for line in text.splitlines() if "door / engine" in line)
    assert "0.3 x" in row and ">= 0.5" in row and "not met" in row  # the ratio, its goal, judged
    assert "150,000 steps/s" in text
    assert goals["reset_ms"].met(1.5) is False
    assert goals["first_compile_s"].met(99.0) is None


def test_run_env_bench_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="repeats"):
        bench.run_env_bench(seconds=1.0, repeats=0)
    with pytest.raises(ValueError, match="seconds"):
        bench.run_env_bench(seconds=0.0, repeats=1)


def test_importing_cli_imports_no_engine() -> None:
    code = textwrap.dedent(
        """
        import sys
        import brawl_league.cli
        heavy = ("numba", "numpy", "pydantic", "brawl_env", "torch", "stable_baselines3", "trainers",
                 "tournament", "brawl_league.bench")
        light = {"brawl_env", "brawl_env.defaults"}  # the lazy package and the default rules: no imports
        loaded = sorted(m for m in sys.modules
                        if m not in light and any(m == h or m.startswith(h + ".") for h in heavy))
        print(",".join(loaded))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"brawl_league.cli imported heavy modules: {proc.stdout.strip()}"


def test_bench_env_quick_measures_the_real_engine() -> None:
    result = runner.invoke(app, ["bench", "env", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "parallel_steps_per_s",
        "engine_steps_per_s_n1",
        "door_engine_ratio",
        "reset_ms",
        "batch_match_steps_per_s_n1024",
        "import_s",
        "warm_first_step_s",
        "first_compile_s",
        "batch_state_bytes_per_match",
    ):
        assert data[key] > 0, key
    # one repeat: the ratio is that repeat's door rate over its engine rate (no timing asserted)
    assert data["door_engine_ratio"] == pytest.approx(
        data["parallel_steps_per_s"] / data["engine_steps_per_s_n1"]
    )
    assert data["goals_met"]["door_engine_ratio"] == (data["door_engine_ratio"] >= 0.5)
    assert data["cores"] >= 1


def test_the_command_makes_openmp_threads_wait_passively(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("OMP_WAIT_POLICY", "unset")  # recorded, so the test's end restores the real value
    monkeypatch.delenv("OMP_WAIT_POLICY")
    result = runner.invoke(app, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")  # a user's own setting stays
    runner.invoke(app, ["bench", "--help"])
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_bench_opponents_measures_every_setup_in_one_run() -> None:
    result = bench.run_opponents_bench("smoke", counts=(1, 2), repeats=1, threads=1)
    setups = {(row["opponents"], row["fused"]): row for row in result["rows"]}
    assert set(setups) == {(1, False), (1, True), (2, False), (2, True)}
    assert setups[(2, True)]["fused_groups_at_end"] == 1 and setups[(2, False)]["fused_groups_at_end"] == 0
    for row in result["rows"]:
        parts = row["parts_ms"]
        assert parts["total"] > 0 and min(parts["learner"], parts["opponents"], parts["engine"]) > 0
    assert set(result["ratios"]) == {"2_vs_1_per_opponent", "2_vs_1_fused"}


def test_the_clis_frame_limit_default_is_the_games():
    import brawl_env.config
    import brawl_league.cli

    assert brawl_league.cli.MAX_FRAMES == brawl_env.config.MAX_FRAMES
