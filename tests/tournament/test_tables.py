"""Table outputs: every file is written, tournament.json keeps its contract shape, the CSVs have one row per
player, the PNGs are real images, and small or odd tournaments do not crash anything."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from rich.console import Console

from tournament.ratings import Game, rating_table
from tournament.tables import ROW_KEYS, print_table, write_outputs

FILES = {"tournament.json", "ratings.csv", "ratings.md", "head_to_head.csv", "heatmap.png", "ratings.png"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def games_for(strengths: dict[str, float], per_pair: int, seed: int) -> list[Game]:
    rng = np.random.default_rng(seed)
    names = list(strengths)
    games = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            p = 1.0 / (1.0 + 10.0 ** ((strengths[b] - strengths[a]) / 400.0))
            for _ in range(per_pair):
                u = rng.random()
                games.append(Game(a, b, 0.5 if u < 0.1 else 1.0 if u < 0.1 + 0.9 * p else 0.0))
    return games


@pytest.fixture
def table():
    strengths = {
        "BasedBot": 1000.0,
        "ConstantBot": 800.0,
        "snap_100": 1150.0,
        "snap_200": 1250.0,
        "snap|x": 1100.0,
    }
    return rating_table(games_for(strengths, 10, 0), bootstrap=200, forfeits={"snap_100": 2})


def check_png(path):
    import matplotlib.image

    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    assert float(image[..., :3].std()) > 0.05  # not a blank canvas


def test_write_outputs_writes_every_file(tmp_path, table):
    out = tmp_path / "run" / "tables"
    paths = write_outputs(table, out, meta={"name": "unit", "per_pair": 10})
    assert {p.name for p in paths} == FILES
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)
    assert {p.name for p in out.iterdir()} == FILES  # no temp files left behind
    check_png(out / "heatmap.png")
    check_png(out / "ratings.png")


def test_json_keeps_the_contract_shape(tmp_path, table):
    write_outputs(table, tmp_path, meta={"name": "unit", "seeds": [1, 2]})
    doc = json.loads((tmp_path / "tournament.json").read_text())
    assert set(doc) == {"format", "ratings", "anchor", "head_to_head", "warnings", "bootstrap", "meta"}
    assert doc["format"] == 1 and doc["bootstrap"] == 200
    assert doc["meta"] == {"name": "unit", "seeds": [1, 2]}
    assert doc["anchor"] == {"name": "BasedBot", "rating": 1000.0}
    assert isinstance(doc["warnings"], list)
    names = [row["name"] for row in doc["ratings"]]
    assert len(names) == 5
    for row in doc["ratings"]:
        assert set(row) == set(ROW_KEYS)
    assert doc["ratings"][-1]["los_next"] is None
    assert next(r for r in doc["ratings"] if r["name"] == "snap_100")["forfeits"] == 2
    h2h = doc["head_to_head"]
    assert set(h2h) == {"players", "score", "games", "points", "distinct"}
    assert h2h["players"] == names
    for key in ("score", "games", "points", "distinct"):
        assert len(h2h[key]) == 5 and all(len(r) == 5 for r in h2h[key])
    assert h2h["distinct"] == h2h["games"]  # games without keys are each distinct
    assert all(h2h["score"][k][k] is None for k in range(5))
    assert doc["ratings"] == json.loads(json.dumps(table.to_dict()))["ratings"]


def test_csvs_have_one_row_per_player(tmp_path, table):
    write_outputs(table, tmp_path)
    with open(tmp_path / "ratings.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["name"] for r in rows] == [r["name"] for r in table.rows]
    assert list(rows[0]) == list(ROW_KEYS)
    assert float(rows[0]["rating"]) == pytest.approx(table.rows[0]["rating"], abs=0.05)
    with open(tmp_path / "head_to_head.csv", newline="") as f:
        matrix = list(csv.reader(f))
    names = table.head_to_head["players"]
    assert matrix[0] == ["player", *names]
    assert [r[0] for r in matrix[1:]] == names
    assert all(len(r) == len(names) + 1 for r in matrix)
    assert matrix[1][1] == ""  # the diagonal


def test_markdown_has_both_tables_and_escapes_names(tmp_path, table):
    write_outputs(table, tmp_path, meta={"name": "unit"})
    text = (tmp_path / "ratings.md").read_text()
    assert text.startswith("# unit")
    assert "## Head to head" in text
    assert "snap\\|x" in text and "| snap|x |" not in text
    table_lines = [line for line in text.splitlines() if line.startswith("| ") and "snap_200" in line]
    assert len(table_lines) == 3  # its rating row, the matrix header, its matrix row


def test_small_and_odd_tournaments_do_not_crash(tmp_path):
    cases = {
        "one_game": rating_table([Game("A", "B", 1.0)], bootstrap=50),
        "two_players": rating_table([Game("A", "B", s) for s in (1.0, 0.5, 0.0, 1.0)], bootstrap=50),
        "never_met": rating_table(
            [Game("A", "B", 1.0), Game("B", "A", 1.0), Game("C", "D", 0.5)], players=["A", "B", "C", "D", "E"]
        ),
        "normal_approx": rating_table([Game("A", "B", 1.0), Game("B", "C", 0.5)], bootstrap=0),
        "empty": rating_table([], players=["A", "B"]),
    }
    for name, table in cases.items():
        out = tmp_path / name
        write_outputs(table, out)
        assert {p.name for p in out.iterdir()} == FILES, name
        assert (out / "ratings.png").read_bytes()[:8] == PNG_MAGIC
        doc = json.loads((out / "tournament.json").read_text())
        assert len(doc["ratings"]) == len(table.rows)
        if table.warnings:
            assert "## Warnings" in (out / "ratings.md").read_text()
        print_table(table, console=Console(file=io.StringIO(), width=100))
    never = json.loads((tmp_path / "never_met" / "tournament.json").read_text())
    h2h = never["head_to_head"]
    a, c = h2h["players"].index("A"), h2h["players"].index("C")
    assert h2h["score"][a][c] is None


def test_rewriting_replaces_files(tmp_path, table):
    write_outputs(table, tmp_path, meta={"run": 1})
    write_outputs(table, tmp_path, meta={"run": 2})
    assert json.loads((tmp_path / "tournament.json").read_text())["meta"] == {"run": 2}
    assert {p.name for p in tmp_path.iterdir()} == FILES


def test_meta_that_is_not_json_is_refused(tmp_path, table):
    with pytest.raises(ValueError, match="meta"):
        write_outputs(table, tmp_path, meta={"when": object()})


def test_print_table_shows_rows_and_warnings_literally():
    games = [Game("[bold]odd", "B", 1.0), Game("[bold]odd", "B", 1.0), Game("B", "C", 0.5)]
    table = rating_table(games, bootstrap=50)
    console = Console(record=True, width=140)
    print_table(table, console=console, title="demo")
    text = console.export_text()
    assert "demo" in text
    assert "[bold]odd" in text  # a name is never read as rich markup
    for row in table.rows:
        assert row["name"] in text
    assert "warning:" in text and "won every game" in text
    assert "anchored: mean rating = 1000" in text
