"""Generate docs from the code, so they cannot drift: a test fails when a file and the code disagree.

``python -m brawl_env.docs > docs/env.md``: the env's module docstring, ``BatchEnv``'s (``brawl_env.batch``)
and the observation table.
``python -m brawl_env.docs rewards > docs/rewards.md``: the reward terms, their kinds and weights.
"""

from __future__ import annotations

import inspect

from . import batch, parallel
from .engine import layout as L
from .engine.obs import OBS_DIM, PLAYER_BLOCK, layout_table


def render() -> str:
    lines = [
        inspect.getdoc(parallel).strip(),
        "",
        "## Batched matches",
        "",
        inspect.getdoc(batch).strip(),
        "",
        "## Observation layout",
        "",
    ]
    lines.append(
        f"`OBS_DIM = {OBS_DIM}`: two player blocks of {PLAYER_BLOCK} floats (me, opponent), then the "
        "world block. Signed fields lie in [-1, 1], the others in [0, 1]; a value is "
        "`clip(quantity / scale)`, and `ObsView` multiplies the scale back."
    )
    lines += ["", "| offset | name | size | range | scale | meaning |", "|---:|---|---:|---|---:|---|"]
    for row in layout_table():
        rng = "[-1, 1]" if row["low"] < 0 else "[0, 1]"
        scale = "" if row["kind"] in ("onehot", "flag") else f"{row['scale']:g}"
        lines.append(
            f"| {row['offset']} | `{row['name']}` | {row['size']} | {rng} | {scale} | {row['doc']} |"
        )
    lines += [
        "",
        "State indices (the `state` one-hot): "
        + ", ".join(f"{i} {n}" for i, n in enumerate(L.STATE_NAMES))
        + ".",
        "",
        "Move slots (the `move` one-hot): " + ", ".join(f"{i} {n}" for i, n in enumerate(L.MOVE_NAMES)) + ".",
        "",
        "Events (`infos[agent]['events']`): " + ", ".join(f"`{n}`" for n in L.EVENT_NAMES) + ".",
        "",
        "Statistics (`infos[agent]['stats']` at the end): " + ", ".join(f"`{n}`" for n in L.STAT_NAMES) + ".",
    ]
    return "\n".join(lines) + "\n"


def render_rewards() -> str:
    from . import rewards

    lines = [
        "# Reward terms",
        "",
        inspect.getdoc(rewards).strip(),
        "",
        "## Built-in terms",
        "",
        "| term | kind | value before weighting | `guide` weight |",
        "|---|---|---|---:|",
    ]
    for name, info in rewards.known_terms().items():
        if info.fn.__module__ != rewards.__name__:
            continue
        kind = "per event" if info.kind == "event" else "per second"
        weight = rewards.GUIDE.get(name)
        lines.append(f"| `{name}` | {kind} | {info.doc} | {'' if weight is None else f'{weight:g}'} |")
    lines += [
        "",
        "Presets: `sparse` = "
        + ", ".join(f"`{k} = {v:g}`" for k, v in rewards.SPARSE.items())
        + " (the default); `guide` = the training guide's weights above. With `guide`, a hit of 10",
        "damage is worth 10/140 = 0.07, a knockout 8, a win 50, a spawner Hammer 10 and a Spear 5;",
        "standing low over the blast line costs 0.5 per second (1/60 per frame), attacking 0.04 per",
        "second and holding more than three keys 0.01 per second. The guide's own code paid 20 for a",
        "Hammer and 10 for a Spear and paid pickups of dropped weapons too, so dropping and re-taking a",
        "Hammer earned reward for ever; here only spawner pickups pay.",
        "",
        "Parameters: `danger_zone` takes `height` (default -4.2: a centre below it counts),",
        "`weapon_pickup` takes `hammer` (1.0) and `spear` (0.5).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    print(render_rewards() if sys.argv[1:] == ["rewards"] else render(), end="")
