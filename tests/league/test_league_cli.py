"""brawl-league league status / history / export."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from brawl_league.cli import app
from league.store import League

runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


@pytest.fixture
def league_dir(tmp_path):
    with League.open(tmp_path / "lg", create=True) as lg:
        lg.add_player("learner")
        lg.add_bot("ConstantBot")
        snap = lg.register_snapshot(b"w", step=5000, run="exp1")
        lg.record_match("learner", "BasedBot", "win", seed=1, stocks=(2, 0), damage=(120, 40), kos=(3, 1))
        lg.record_match("learner", snap, "draw", seed=2)
        lg.record_match("BasedBot", snap, "loss", seed=3)
    return tmp_path / "lg"


def test_league_help_lists_commands():
    result = runner.invoke(app, ["league", "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    for command in ("status", "history", "export"):
        assert command in result.output


def test_status_table(league_dir):
    result = runner.invoke(app, ["league", "status", str(league_dir)], env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (
        "player",
        "kind",
        "Elo",
        "games",
        "W/D/L",
        "last played",
        "learner",
        "external",
        "exp1@5000",
        "snapshot",
        "bot (anchor)",
        "1000",
        "1/1/0",
        "0/0/2",
        "never",
    ):
        assert text in out, text
    names = ["exp1@5000", "learner", "BasedBot", "ConstantBot"]  # strongest first
    body = out.split("last played", 1)[1]
    assert sorted(names, key=body.index) == names


def test_status_takes_the_league_as_every_command_does(league_dir):
    """--league DIR, as history, export, match and tournament take it; the older positional DIR still works."""
    new = runner.invoke(app, ["league", "status", "--league", str(league_dir)], env=WIDE)
    old = runner.invoke(app, ["league", "status", str(league_dir)], env=WIDE)
    assert new.exit_code == old.exit_code == 0 and new.stdout == old.stdout and "exp1@5000" in new.stdout


def test_history_finds_players_as_users_type_them(tmp_path):
    """A learner is stored as learner:RUN; `history RUN` finds it, and names ignore case."""
    with League.open(tmp_path / "lg", create=True) as lg:
        lg.add_player("learner:smoke1")
        lg.record_match("learner:smoke1", "BasedBot", "win", seed=1)
    for typed in ("smoke1", "learner:smoke1", "LEARNER:Smoke1"):
        result = runner.invoke(app, ["league", "history", typed, "--league", str(tmp_path / "lg")], env=WIDE)
        assert result.exit_code == 0, result.output
        assert "learner:smoke1: Elo" in result.stdout and "BasedBot" in result.stdout
    result = runner.invoke(app, ["league", "history", "smok1", "--league", str(tmp_path / "lg")], env=WIDE)
    assert result.exit_code == 2
    assert "unknown player 'smok1' (did you mean 'learner:smoke1'?)" in result.stderr
    assert "known: BasedBot, learner:smoke1" in result.stderr


def test_history_table(league_dir):
    result = runner.invoke(app, ["league", "history", "learner", "--league", str(league_dir)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "BasedBot" in result.output and "win" in result.output and "+16.0" in result.output
    assert "2-0" in result.output and "120-40" in result.output


def test_export_csv_and_json(league_dir, tmp_path):
    """--json and --csv print on stdout (and nothing else there); --out FILE writes the file instead."""
    out_csv, out_json = tmp_path / "r.csv", tmp_path / "all.json"
    result = runner.invoke(
        app, ["league", "export", "--league", str(league_dir), "--csv", "--out", str(out_csv)]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and "wrote 4 ratings rows" in result.stderr
    with out_csv.open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["name"] == "exp1@5000" and rows[0]["games"] == "2" and rows[0]["wins"] == "1"
    assert {"rating", "games", "wins", "draws", "losses", "last_played"} <= set(rows[0])
    stdout_csv = runner.invoke(app, ["league", "export", "--league", str(league_dir), "--csv"])
    assert stdout_csv.exit_code == 0 and stdout_csv.stdout == out_csv.read_text()
    result = runner.invoke(app, ["league", "export", "--league", str(league_dir), "--out", str(out_json)])
    assert result.exit_code == 0, result.output  # the .json suffix picks the format
    stdout_json = runner.invoke(app, ["league", "export", "--league", str(league_dir), "--json"])
    assert stdout_json.exit_code == 0 and json.loads(stdout_json.stdout) == json.loads(out_json.read_text())
    data = json.loads(out_json.read_text())
    assert data["scale"] == {"k": 32.0, "anchor": "BasedBot", "anchor_rating": 1000.0}
    assert len(data["matches"]) == 3 and data["matches"][0]["stocks_a"] == 2
    with League.open(league_dir) as lg:
        assert {r["name"]: r["rating"] for r in data["ratings"]} == {
            r.player.name: r.rating for r in lg.ratings()
        }
    matches_csv = tmp_path / "m.csv"
    result = runner.invoke(
        app,
        [
            "league",
            "export",
            "--league",
            str(league_dir),
            "--csv",
            "--out",
            str(matches_csv),
            "--table",
            "matches",
        ],
    )
    assert result.exit_code == 0, result.output
    with matches_csv.open() as fh:
        assert [r["seed"] for r in csv.DictReader(fh)] == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "{missing}"], "no league database at"),
        (["history", "ghost", "--league", "{lg}"], "unknown player 'ghost'"),
        (["export", "--league", "{lg}"], "give --json or --csv"),
        (["export", "--league", "{lg}", "--json", "--csv"], "give --json or --csv"),
        (["export", "--league", "{lg}", "--out", "x.txt"], "give --json or --csv"),
        (["status", "--league", "{lg}", "{missing}"], "two leagues given"),
        (["history", "lerner", "--league", "{lg}"], "did you mean 'learner'?"),
        (
            ["export", "--league", "{lg}", "--csv", "--table", "players"],
            "--table is 'ratings' or 'matches'",
        ),
        (["status", "{corrupt}"], "unreadable or damaged"),
    ],
)
def test_errors_exit_2_with_a_message(league_dir, tmp_path, args, message):
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "league.db").write_bytes(b"garbage" * 200)
    paths = {"missing": str(tmp_path / "nope"), "lg": str(league_dir), "corrupt": str(corrupt)}
    result = runner.invoke(app, ["league", *[a.format(**paths) for a in args]], env=WIDE)
    assert result.exit_code == 2
    assert message in result.output


def _run_league(tmp_path, curriculum="pfsp"):
    """A run directory as `brawl-league train` leaves it: config.toml with [league], the league beside it."""
    run = tmp_path / "a-rather-long-run-name-s0-20260101-120000"
    run.mkdir()
    (run / "config.toml").write_text(
        '[league]\nmix = { "ConstantBot" = 0.25, "BasedBot" = 0.25, "self_play" = 0.5 }\n'
        f'curriculum = "{curriculum}"\npfsp_window = 50\n'
    )
    with League.open(run / "league", create=True) as lg:
        learner = lg.add_player(f"learner:{run.name}")
        lg.add_bot("ConstantBot")
        snap = lg.register_snapshot(b"w", step=25_600, run=run.name)
        rows = [dict(a=learner, b="ConstantBot", result="win", seed=k) for k in range(20)]
        rows += [dict(a=learner, b="BasedBot", result="loss", seed=k) for k in range(10)]
        rows += [
            dict(a=learner, b=snap, result=r, seed=k) for k, r in enumerate(["win", "loss", "draw", "win"])
        ]
        lg.record_matches(rows)
    return run


def test_status_shows_the_learners_curriculum_within_80_columns(tmp_path):
    run = _run_league(tmp_path)
    result = runner.invoke(app, ["league", "status", str(run / "league")], env=WIDE)
    assert result.exit_code == 0, result.output
    curriculum = result.output[result.output.index("curriculum of learner:") :]
    assert max(len(line) for line in curriculum.splitlines()) <= 80
    words = " ".join(curriculum.split())
    assert "curriculum pfsp: draws by these weights" in words and "last 50 games" in words
    rows = {
        line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
        for line in curriculum.splitlines()
        if line.startswith("│") and "%" in line
    }
    snap = f"{run.name}@25600"
    # the snapshot's name is folded over two lines in 80 columns: find it by its start
    snap_row = next(v for k, v in rows.items() if snap.startswith(k))
    assert rows["ConstantBot"][:3] == ["bot", "20", "1.00"]
    assert rows["BasedBot"][:3] == ["bot", "10", "0.00"]
    assert snap_row[:3] == ["snapshot", "4", "0.62"]
    weight = {k: float(v[-1].rstrip(" %")) for k, v in rows.items()}
    assert weight["BasedBot"] > weight["ConstantBot"]  # pfsp: the learner still loses to BasedBot
    assert sum(weight.values()) == pytest.approx(100, abs=0.3)


def test_status_says_when_a_run_draws_by_mix_shares(tmp_path):
    run = _run_league(tmp_path, curriculum="mix")
    result = runner.invoke(app, ["league", "status", str(run / "league")], env=WIDE)
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert "curriculum mix: draws by fixed mix shares; pfsp weights shown" in words


def test_status_of_a_league_without_a_learner_has_no_curriculum(league_dir):
    result = runner.invoke(app, ["league", "status", str(league_dir)], env=WIDE)
    assert result.exit_code == 0 and "curriculum of" not in result.output


def test_read_only_commands_work_on_a_read_only_league(shared_tmp, read_only):
    folder = shared_tmp / "lg"
    with League.open(folder, create=True) as lg:
        lg.add_bot("RandomBot")
        lg.record_match("RandomBot", "BasedBot", "win", seed=1)
        lg.record_match("RandomBot", "BasedBot", "loss", seed=2)
    out = shared_tmp / "out"
    out.mkdir()
    out.chmod(0o777)
    commands = [
        ["league", "status", str(folder)],
        ["league", "history", "RandomBot", "--league", str(folder)],
        ["league", "export", "--league", str(folder), "--out", str(out / "all.json")],
    ]
    runner.invoke(app, ["league", "status", str(shared_tmp / "nothing")], env=WIDE)  # imports, as root
    with read_only(folder):
        results = [runner.invoke(app, args, env=WIDE) for args in commands]
        left = sorted(p.name for p in folder.iterdir())
    for args, result in zip(commands, results):
        assert result.exit_code == 0, (args, result.output)  # was: unable to open database file (WAL switch)
    assert "RandomBot" in results[0].output and "1/0/1" in results[0].output
    assert len(json.loads((out / "all.json").read_text())["matches"]) == 2
    assert left == ["league.db", "snapshots"] or left == ["league.db"]  # nothing written beside it
    with League.open(folder, read_only=True) as lg:
        with pytest.raises(Exception, match="opened read-only"):
            lg.add_player("x")
    bad = runner.invoke(
        app, ["league", "export", "--league", str(folder), "--csv", "--out", str(folder / "no" / "x.csv")]
    )
    assert bad.exit_code == 2 and "error: cannot write" in bad.output  # not a traceback
