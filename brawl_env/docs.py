"""Generate ``docs/env.md`` from the code: the env's module docstring plus the observation table.

Run ``python -m brawl_env.docs > docs/env.md``; a test fails when the file and the code disagree.
"""

from __future__ import annotations

import inspect

from . import parallel
from .engine import layout as L
from .engine.obs import OBS_DIM, PLAYER_BLOCK, layout_table


def render() -> str:
    lines = [inspect.getdoc(parallel).strip(), "", "## Observation layout", ""]
    lines.append(f"`OBS_DIM = {OBS_DIM}`: two player blocks of {PLAYER_BLOCK} floats (me, opponent), then the "
                 "world block. Signed fields lie in [-1, 1], the others in [0, 1]; a value is "
                 "`clip(quantity / scale)`, and `ObsView` multiplies the scale back.")
    lines += ["", "| offset | name | size | range | scale | meaning |", "|---:|---|---:|---|---:|---|"]
    for row in layout_table():
        rng = "[-1, 1]" if row["low"] < 0 else "[0, 1]"
        scale = "" if row["kind"] in ("onehot", "flag") else f"{row['scale']:g}"
        lines.append(f"| {row['offset']} | `{row['name']}` | {row['size']} | {rng} | {scale} | {row['doc']} |")
    lines += ["", "State indices (the `state` one-hot): "
              + ", ".join(f"{i} {n}" for i, n in enumerate(L.STATE_NAMES)) + ".",
              "", "Move slots (the `move` one-hot): " + ", ".join(f"{i} {n}" for i, n in enumerate(L.MOVE_NAMES))
              + ".", "", "Events (`infos[agent]['events']`): " + ", ".join(f"`{n}`" for n in L.EVENT_NAMES) + ".",
              "", "Statistics (`infos[agent]['stats']` at the end): " + ", ".join(f"`{n}`" for n in L.STAT_NAMES)
              + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
