"""Rendering: PettingZoo's render_test, frame shapes, read-only drawing, hitboxes, videos, the play loop.

Windows use SDL's dummy video driver (set per test with monkeypatch), so nothing needs a screen.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import imageio
import numpy as np
import pygame
import pytest
from helpers import make_engine, settle, step
from pettingzoo.test import render_test
from test_replay import Brawler
from typer.testing import CliRunner

import brawl_env
from brawl_env import render as R
from brawl_env import replay as rp
from brawl_env.bots.builtin import BasedBot, ConstantBot
from brawl_env.engine import layout as L
from brawl_env.engine.state import State
from brawl_env.match import state_hash

runner = CliRunner()
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


@pytest.fixture
def dummy_display(monkeypatch):
    """A headless SDL display for 'human' windows; closed again after the test."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    yield
    pygame.display.quit()


def _copy(state: State) -> State:
    return State(*(a.copy() for a in state))


def _fight_actions(rng: np.random.Generator) -> dict:
    """Random keys biased to attack, pick up and move (both players)."""
    probs = np.array([0.1, 0.3, 0.1, 0.3, 0.1, 0.2, 0.05, 0.35, 0.2, 0.02])
    return {a: (rng.random(10) < probs).astype(np.int8) for a in ("player_0", "player_1")}


# --- the PettingZoo door --------------------------------------------------------------------------------------
def test_import_and_unrendered_env_keep_pygame_out() -> None:
    code = textwrap.dedent("""
        import os, sys
        import brawl_env
        env = brawl_env.parallel_env(render_mode="rgb_array", max_frames=50)
        env.reset(seed=0)
        env.step({a: env.action_space(a).sample() for a in env.agents})
        assert "pygame" not in sys.modules, "pygame imported before any render()"
        frame = env.render()
        assert "pygame" in sys.modules and frame.shape == (480, 720, 3)
        assert "SDL_VIDEODRIVER" not in os.environ, "rgb_array must not touch the video driver"
        assert not __import__("pygame").display.get_init(), "rgb_array must not open the display"
        print("ok")
    """)
    env = {k: v for k, v in __import__("os").environ.items() if k != "SDL_VIDEODRIVER"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok", out.stdout  # nothing else printed (no pygame banner)


def test_pettingzoo_render_test(dummy_display) -> None:
    # render_test raises on a broken renderer (test_render_test_fails_on_a_broken_renderer)
    render_test(lambda render_mode=None: brawl_env.env(render_mode=render_mode, max_frames=200))
    env = brawl_env.env(render_mode="rgb_array", max_frames=200)
    env.reset(seed=0)
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8 and frame.any()
    env.close()


class _FlatRender(brawl_env.raw_env):
    """A deliberately broken renderer (a flat float image), to show render_test can fail."""

    def render(self):
        frame = super().render()
        return None if frame is None else frame.astype(float).mean(axis=2)


def test_render_test_fails_on_a_broken_renderer(dummy_display) -> None:
    from pettingzoo.utils.conversions import parallel_to_aec

    with pytest.raises(AssertionError):
        render_test(
            lambda render_mode=None: parallel_to_aec(_FlatRender(render_mode=render_mode, max_frames=50))
        )


def test_render_mode_none_returns_none() -> None:
    env = brawl_env.parallel_env(max_frames=20)
    env.reset(seed=0)
    assert env.render() is None


@pytest.mark.parametrize(
    "resolution,size", [("480p", (720, 480)), ("720p", (1280, 720)), ("1080p", (1920, 1080))]
)
def test_rgb_array_frames_at_each_resolution(resolution: str, size: tuple[int, int]) -> None:
    env = brawl_env.parallel_env(render_mode="rgb_array", max_frames=200)
    env.render_resolution = resolution
    env.reset(seed=1)
    rng = np.random.default_rng(0)
    for _ in range(30):
        env.step(_fight_actions(rng))
    frame = env.render()
    w, h = size
    assert isinstance(frame, np.ndarray) and frame.shape == (h, w, 3) and frame.dtype == np.uint8
    assert frame.flags.writeable and frame.flags.c_contiguous
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 50  # a picture, not a blank
    again = env.render()
    np.testing.assert_array_equal(frame, again)  # the same state draws the same pixels
    assert again is not frame
    env.close()


def test_human_mode_opens_a_window_and_returns_none(dummy_display) -> None:
    env = brawl_env.parallel_env(render_mode="human", max_frames=50)
    env.render_resolution = "720p"
    env.reset(seed=0)
    assert env.render() is None
    assert pygame.display.get_init() and pygame.display.get_surface().get_size() == (1280, 720)
    env.close()
    assert not pygame.display.get_init()


def test_rendering_does_not_change_the_trajectory() -> None:
    """Observations, rewards and every state array are identical with and without rendering."""
    plain = brawl_env.parallel_env(render_mode=None, max_frames=400)
    shown = brawl_env.parallel_env(render_mode="rgb_array", max_frames=400)
    shown.render_hitboxes = True
    plain.reset(seed=7)
    shown.reset(seed=7)
    rng = np.random.default_rng(3)
    attacks = 0
    for _ in range(400):
        actions = _fight_actions(rng)
        r1 = plain.step(actions)
        before = state_hash(shown.engine.state)
        r2 = shown.step(actions)
        after_step = state_hash(shown.engine.state)
        shown.render()
        assert state_hash(shown.engine.state) == after_step != before
        for a in ("player_0", "player_1"):
            np.testing.assert_array_equal(r1[0][a], r2[0][a])
            assert r1[1][a] == r2[1][a]
        attacks += int((shown.engine.state.pi[0, :, L.STATE] == L.S_ATTACK).any())
        if not plain.agents:
            break
    for x, y in zip(plain.engine.state, shown.engine.state):
        np.testing.assert_array_equal(x, y)
    assert attacks > 50


# --- the renderer ------------------------------------------------------------------------------------------------
def test_bad_renderer_arguments_name_the_allowed_values() -> None:
    with pytest.raises(ValueError, match="480p"):
        R.Renderer(resolution="4k")
    with pytest.raises(ValueError, match="rgb_array"):
        R.Renderer(mode="ansi")
    with pytest.raises(ValueError, match="render_mode"):
        brawl_env.parallel_env(render_mode="ansi")


def _attack_engine(facing: int):
    """Player 0 standing alone on the right floor, facing ``facing``, stepped into a live side-light."""
    e = make_engine(seed=0)
    settle(e)
    pf, pi = e.state.pf[0], e.state.pi[0]
    pf[0, L.PX], pf[1, L.PX] = 4.5, -5.0
    for _ in range(3):
        step(e)
    key = L.K_RIGHT if facing > 0 else L.K_LEFT
    renderer = R.Renderer(hitboxes=True)
    for _ in range(20):
        step(e, (key, L.K_LIGHT))
        if renderer.live_hitboxes(pf[0], pi[0]):
            return e, renderer
    raise AssertionError("no live hitbox in 20 frames")


@pytest.mark.parametrize("facing", [1, -1])
def test_hitbox_overlay_is_mirrored_by_facing(facing: int) -> None:
    e, boxed = _attack_engine(facing)
    pf, pi = e.state.pf[0], e.state.pi[0]
    assert pi[0, L.FACING] == facing
    boxes = boxed.live_hitboxes(pf[0], pi[0])
    ph = pi[0, L.PHASE]
    table = boxed.moves.boxes[ph]
    for (cx, cy, bw, bh, spent), (bx, by, tw, th) in zip(boxes, table):
        assert cx == pytest.approx(pf[0, L.PX] + facing * bx) and cy == pytest.approx(pf[0, L.PY] + by)
        assert (bw, bh, spent) == (tw, th, False)
        assert (cx - pf[0, L.PX]) * facing > 0  # in front of the attacker
    plain = R.Renderer(hitboxes=False)
    with_boxes = boxed.array(boxed.draw(e.state))
    without = plain.array(plain.draw(e.state))
    cx, cy, bw, bh, _ = boxes[0]
    # The overlay's outline runs along the hitbox's edge: red there, only with the overlay.
    ex, ey = boxed.cam.pt(cx - bw / 2, cy)
    assert with_boxes[ey, ex, 0] > 200 and with_boxes[ey, ex, 1] < 120
    assert not (without[ey, ex, 0] > 200 and without[ey, ex, 1] < 120)


def test_live_hitboxes_follow_the_phase_window() -> None:
    e, r = _attack_engine(1)
    pf, pi = e.state.pf[0], e.state.pi[0]
    ph = pi[0, L.PHASE]
    start = r.moves.pi[ph, 0]
    active = r.moves.pi[ph, 1]
    assert start <= pi[0, L.PHASE_FRAME] < start + active
    pi2 = pi[0].copy()
    pi2[L.PHASE_FRAME] = start + active
    assert r.live_hitboxes(pf[0], pi2) == []
    pi2[L.PHASE_FRAME] = start - 1 if start > 0 else start + active + 1
    assert r.live_hitboxes(pf[0], pi2) == []


def _cue_states():
    e = make_engine(seed=2)
    settle(e)
    base = _copy(e.state)
    cues = {}
    for name, st, extra in (
        ("stun", L.S_STUN, {}),
        ("dodge", L.S_DODGE, {}),
        ("taunt", L.S_TAUNT, {}),
        ("dash", L.S_DASH, {}),
        ("invulnerable", L.S_STANDING, {L.INVULN_TIMER: 60}),
        ("ko", L.S_KO, {}),
        ("attack", L.S_ATTACK, {L.PHASE: 0, L.MOVE: 1, L.PHASE_FRAME: 3}),
    ):
        s = _copy(base)
        s.pi[0, 0, L.STATE] = st
        s.pi[0, 0, L.STATE_FRAMES] = 2
        for k, v in extra.items():
            s.pi[0, 0, k] = v
        if st == L.S_KO:
            s.pf[0, 0, L.PX] = 15.2
        cues[name] = s
    off = _copy(base)
    off.pf[0, 0, L.PY] = 7.5
    cues["offscreen"] = off
    over = _copy(base)
    over.mi[0, L.DONE], over.mi[0, L.RESULT] = L.TERMINATED, L.R_P1_WINS
    cues["game_over"] = over
    return base, cues


def test_every_state_cue_draws_differently_and_reads_only() -> None:
    base, cues = _cue_states()
    r = R.Renderer()
    plain = r.array(r.draw(base))
    for name, s in cues.items():
        kept = _copy(s)
        frame = r.array(r.draw(s))
        assert not np.array_equal(frame, plain), f"{name} looks like a standing player"
        for a, b in zip(kept, s):
            np.testing.assert_array_equal(a, b)


def test_hud_shows_damage_percent_as_five_sevenths() -> None:
    base, _ = _cue_states()
    r = R.Renderer()
    base.pf[0, 0, L.DAMAGE] = 70.0  # 50 %
    r.draw(base)
    assert ("50%", int(46 * r.cam.u), R.damage_color(50.0), True) in r._texts
    assert R.damage_color(0) == (255, 255, 255) and R.damage_color(500)[0] < 200


def test_weapons_on_stage_are_drawn_with_their_type() -> None:
    base, _ = _cue_states()
    r = R.Renderer()
    empty = r.array(r.draw(base))
    for weapon, label in ((L.W_SPEAR, "SPEAR"), (L.W_HAMMER, "HAMMER")):
        s = _copy(base)
        item = s.it[0, 0]
        item[L.IKIND], item[L.IWEAPON], item[L.IAGE], item[L.ITIMER] = L.I_SHOWING, weapon, 50, 200
        s.itf[0, 0, L.IX], s.itf[0, 0, L.IY] = 4.0, -0.85 + 0.415
        s.pi[0, 1, L.WEAPON] = weapon
        frame = r.array(r.draw(s))
        x, y = r.cam.pt(4.0, -0.43)
        assert not np.array_equal(
            frame[y - 20 : y + 20, x - 20 : x + 20], empty[y - 20 : y + 20, x - 20 : x + 20]
        )
        assert any(k[0] == label for k in r._texts)


# --- videos ------------------------------------------------------------------------------------------------
def _reader_meta(path: Path):
    reader = imageio.get_reader(str(path), format="FFMPEG")
    try:
        return reader.get_meta_data(), reader.count_frames(), reader.get_data(0)
    finally:
        reader.close()


def test_video_of_a_replay(tmp_path: Path) -> None:
    from brawl_env.match import run_match

    res = run_match(BasedBot(), Brawler(), seed=3, max_frames=90, record_keys=True)
    # (a full-suite run once made a video of 0 played frames: say why if a bot forfeits again)
    assert res.forfeit is None and res.frames == 90, res.forfeit
    path = tmp_path / "game.mp4"
    sim = R.write_video(rp.from_match(res), path)
    assert sim.matches_recording is True
    meta, frames, first = _reader_meta(path)
    assert frames == 90 + R.END_HOLD_FRAMES
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p") and meta["fps"] == 30
    assert meta["size"] == (720, 480) and first.shape == (480, 720, 3)
    assert not list(tmp_path.glob(".*part*"))  # the temporary file was renamed


def test_video_keeps_1080p_size(tmp_path: Path) -> None:
    r = R.Renderer(resolution="1080p")
    e = make_engine(seed=0)
    with R.VideoWriter(tmp_path / "hd.mp4", r.size) as video:
        for _ in range(5):
            step(e)
            video.write(r.render(e.state))
    meta, frames, _ = _reader_meta(tmp_path / "hd.mp4")
    assert meta["size"] == (1920, 1080) and frames == 5
    with pytest.raises(ValueError, match="uint8"), R.VideoWriter(tmp_path / "bad.mp4", r.size) as video:
        video.write(np.zeros((10, 10, 3), np.uint8))
    assert not (tmp_path / "bad.mp4").exists()


def _app():
    from brawl_league.cli import app

    return app


def test_cli_match_video_and_video_dir(tmp_path: Path) -> None:
    one = tmp_path / "one.mp4"
    result = runner.invoke(
        _app(), ["match", "BasedBot", "RandomBot", "--frames", "60", "--video", str(one)], env=WIDE
    )
    assert result.exit_code == 0, result.output
    assert _reader_meta(one)[1] == 60 + R.END_HOLD_FRAMES
    bad = runner.invoke(
        _app(), ["match", "BasedBot", "RandomBot", "--games", "2", "--video", str(one)], env=WIDE
    )
    assert bad.exit_code == 2 and "--video-dir" in bad.output
    bad = runner.invoke(
        _app(), ["match", "BasedBot", "RandomBot", "--video", str(one), "--resolution", "4k"], env=WIDE
    )
    assert bad.exit_code == 2 and "480p" in bad.output
    vids = tmp_path / "vids"
    result = runner.invoke(
        _app(),
        [
            "match",
            "BasedBot",
            "RandomBot",
            "--games",
            "2",
            "--frames",
            "30",
            "--video-dir",
            str(vids),
            "--resolution",
            "720p",
            "--json",
        ],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    files = sorted(vids.glob("*.mp4"))
    assert [f.name for f in files] == [
        "game000-seed0-BasedBot-vs-RandomBot.mp4",
        "game001-seed1-RandomBot-vs-BasedBot.mp4",
    ]
    assert [g["video"] for g in json.loads(result.stdout)["games"]] == [str(f) for f in files]
    meta, frames, _ = _reader_meta(files[1])
    assert meta["size"] == (1280, 720) and frames == 30 + R.END_HOLD_FRAMES


def test_cli_replay_to_video(tmp_path: Path) -> None:
    result = runner.invoke(
        _app(),
        ["match", "BasedBot", "ConstantBot", "--frames", "45", "--replay-dir", str(tmp_path)],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    replay = next(tmp_path.glob("*.replay"))
    out = tmp_path / "again.mp4"
    result = runner.invoke(_app(), ["replay", str(replay), "--video", str(out), "--hitboxes"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "re-simulated exactly" in result.output and _reader_meta(out)[1] == 45 + R.END_HOLD_FRAMES


def test_cli_screenshots(tmp_path: Path) -> None:
    result = runner.invoke(_app(), ["screenshots", "--out", str(tmp_path)], env=WIDE)
    assert result.exit_code == 0, result.output
    names = {p.name for p in tmp_path.glob("*.png")}
    assert {"screenshot_480p.png", "screenshot_720p.png", "screenshot_hitboxes.png"} <= names
    assert pygame.image.load(str(tmp_path / "screenshot_720p.png")).get_size() == (1280, 720)


# --- human play --------------------------------------------------------------------------------------------
def test_key_mapping_follows_the_original_keys() -> None:
    assert R.keys_from_pressed({}).tolist() == [0] * 10
    letters = (
        pygame.K_w,
        pygame.K_a,
        pygame.K_s,
        pygame.K_d,
        pygame.K_SPACE,
        pygame.K_h,
        pygame.K_l,
        pygame.K_j,
        pygame.K_k,
        pygame.K_g,
    )
    for k, code in enumerate(letters):
        keys = R.keys_from_pressed({code: True})
        assert keys.dtype == np.uint8 and keys.tolist() == [int(i == k) for i in range(10)]
        assert L.KEY_LETTERS[k].lower() == pygame.key.name(code)
    both = R.keys_from_pressed({pygame.K_d: 1, pygame.K_j: 1, pygame.K_q: 1, pygame.K_p: 1})
    assert both.tolist() == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0]


def test_key_mapping_reads_pygame_key_state(dummy_display) -> None:
    pygame.display.init()
    pygame.display.set_mode((64, 64))
    assert R.keys_from_pressed(pygame.key.get_pressed()).tolist() == [0] * 10


def _key(code: int):
    return pygame.event.Event(pygame.KEYDOWN, key=code)


def test_play_session_pause_restart_quit(dummy_display, tmp_path: Path) -> None:
    renderer = R.Renderer(mode="human", headless=True, names=("You", "ConstantBot"))
    saved = []
    session = R.PlaySession(
        ConstantBot(), renderer=renderer, seed=4, max_frames=300, replay_dir=tmp_path, on_saved=saved.append
    )
    held = []
    for t in range(10):  # walk right, jabbing on even frames
        pressed = {pygame.K_d: True, pygame.K_j: t % 2 == 0}
        held.append(R.keys_from_pressed(pressed))
        assert session.step([], pressed)
    assert session.frame == 10
    assert session.step([_key(pygame.K_p)], {pygame.K_d: True})
    assert session.paused and session.frame == 10
    for _ in range(4):
        session.step([], {pygame.K_d: True})
    assert session.frame == 10  # paused: no frames pass, keys are ignored
    session.step([_key(pygame.K_p)], {})
    held.append(np.zeros(10, np.uint8))
    assert not session.paused and session.frame == 11
    session.step(
        [_key(pygame.K_r)], {pygame.K_a: True}
    )  # restart saves game 1, then plays game 2's first frame
    assert session.games == 1 and session.frame == 1 and session.seed == 5 and len(saved) == 1
    assert not session.step([_key(pygame.K_ESCAPE)], {})
    assert not session.running and len(saved) == 2 and session.saved == saved
    renderer.close()

    first, second = (rp.load(p) for p in saved)
    assert first.names == ("You", "ConstantBot") and first.frames == 11 and second.frames == 1
    np.testing.assert_array_equal(first.keys[:, 0], np.stack(held))
    assert not first.keys[:, 1].any()
    assert second.keys[0, 0].tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0] and second.seed == 5
    for rec in (first, second):
        sim = rp.simulate(rec)
        assert sim.ended_by == "unfinished" and sim.matches_recording is True


def test_play_session_saves_at_match_end_and_runs_from_an_event_source(tmp_path: Path) -> None:
    session = R.PlaySession(BasedBot(), renderer=None, seed=1, max_frames=20, replay_dir=tmp_path)
    script = [[] for _ in range(25)] + [[pygame.event.Event(pygame.QUIT)]]
    ticks = []
    saved = session.run(
        events=iter(script).__next__, pressed=lambda: {pygame.K_s: True}, tick=lambda: ticks.append(1)
    )
    assert session.over and session.frame == 20 and len(ticks) == 25
    assert len(saved) == 1  # saved when the match ended; quitting afterwards saves nothing more
    rec = rp.load(saved[0])
    assert rec.frames == 20 and rec.outcome["ended_by"] == "time" and rec.keys[:, 0, L.K_DOWN].all()
    assert rp.simulate(rec).matches_recording is True


def test_play_needs_a_display(monkeypatch) -> None:
    pygame.display.quit()
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(var, raising=False)
    if sys.platform.startswith("linux"):
        with pytest.raises(RuntimeError, match="no display"):
            R.Renderer(mode="human", headless=False)


@pytest.mark.parametrize("size", [(720, 480), (322, 181)])
def test_frame_arrays_match_pygames_own_conversion(size) -> None:
    """The fast 24-bit path gives exactly pygame's RGB bytes (also with padded rows)."""
    e = make_engine(seed=5)
    for _ in range(20):
        step(e, (L.K_RIGHT, L.K_LIGHT))
    r = R.Renderer(resolution=size)
    surf = r.draw(e.state)
    ref = np.frombuffer(pygame.image.tobytes(surf, "RGB"), np.uint8).reshape(size[1], size[0], 3)
    np.testing.assert_array_equal(r.array(), ref)
    assert r.raw() == ref.tobytes()
    r.draw(e.state)  # the canvas is free again after a conversion


def test_cli_play_refuses_without_a_display_or_with_a_bad_bot(monkeypatch) -> None:
    pygame.display.quit()
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        monkeypatch.delenv(var, raising=False)
    bad = runner.invoke(_app(), ["play", "--vs", "NoSuchBot"], env=WIDE)
    assert bad.exit_code == 2 and "NoSuchBot" in bad.output
    if sys.platform.startswith("linux"):
        result = runner.invoke(_app(), ["play", "--vs", "BasedBot"], env=WIDE)
        assert result.exit_code == 2 and "no display" in result.output
