"""Videos: :class:`VideoWriter` encodes frames to H.264 mp4 (yuv420p, 30 fps) through imageio-ffmpeg, and
:func:`write_video` renders a replay to one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Self

import numpy as np

from .draw import FPS, Renderer


class VideoWriter:
    """Frames -> an mp4 file: H.264 (libx264), yuv420p, 30 fps, through imageio-ffmpeg's ffmpeg.

    Writes to a temporary file beside ``path`` and renames it on a clean close, so a crash never leaves
    a truncated video under the final name. Use as a context manager.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        size: tuple[int, int],
        fps: int = FPS,
        crf: int = 20,
        preset: str = "veryfast",
    ):
        import imageio_ffmpeg

        self.path = Path(path)
        self.size = (int(size[0]), int(size[1]))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.stem}.part{self.path.suffix or '.mp4'}")
        self.frames = 0
        self._gen = imageio_ffmpeg.write_frames(
            str(self._tmp),
            self.size,
            fps=fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=2,
            ffmpeg_log_level="error",
            output_params=["-crf", str(crf), "-preset", preset, "-movflags", "+faststart"],
        )
        self._gen.send(None)

    def write(self, frame: np.ndarray | bytes) -> None:
        """Append one ``(H, W, 3)`` uint8 frame (or its raw RGB bytes)."""
        if isinstance(frame, np.ndarray):
            w, h = self.size
            if frame.shape != (h, w, 3) or frame.dtype != np.uint8:
                raise ValueError(f"frames must be ({h}, {w}, 3) uint8; got {frame.shape} {frame.dtype}")
            frame = np.ascontiguousarray(frame)
        elif len(frame) != self.size[0] * self.size[1] * 3:
            raise ValueError(
                f"a raw frame must hold {self.size[0]} x {self.size[1]} x 3 bytes; got {len(frame)}"
            )
        self._gen.send(frame)
        self.frames += 1

    def close(self, keep: bool = True) -> None:
        if self._gen is None:
            return
        gen, self._gen = self._gen, None
        gen.close()
        if keep and self.frames and self._tmp.exists() and self._tmp.stat().st_size > 0:
            os.replace(self._tmp, self.path)
        else:
            self._tmp.unlink(missing_ok=True)
            if keep:
                raise RuntimeError(f"ffmpeg wrote no video to {self.path} ({self.frames} frames sent)")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(keep=exc_type is None)


#: Frames the last picture is held at the end of a video (1.5 s), so its result banner can be read.
END_HOLD_FRAMES = 45


def write_video(
    replay,
    path: str | os.PathLike,
    resolution: str = "480p",
    hitboxes: bool = False,
    hold_frames: int = END_HOLD_FRAMES,
    on_frame: Callable[[int], None] | None = None,
):
    """Re-simulate a replay (``brawl_env.replay.Replay``) and encode it to an mp4 (H.264, yuv420p, 30 fps);
    returns the re-simulation (``brawl_env.replay.Simulation``).

    The video holds one picture per simulated frame (the state after that frame), then the last picture
    again for ``hold_frames`` frames: ``replay.frames + hold_frames`` frames in all.
    """
    from ..replay import make_engine, simulate

    renderer = Renderer(
        resolution=resolution,
        names=replay.names,
        hitboxes=hitboxes,
        max_frames=replay.config["max_frames"],
        stocks=replay.config["stocks"],
    )
    count = 0
    try:
        with VideoWriter(path, renderer.size) as video:

            def record(engine) -> None:
                nonlocal count
                renderer.draw(engine.state)
                video.write(renderer.raw())
                count += 1
                if on_frame is not None:
                    on_frame(count)

            if replay.frames == 0:
                renderer.draw(make_engine(replay).state)
            sim = simulate(replay, on_frame=record)
            last = renderer.raw()
            for _ in range(hold_frames if replay.frames else max(hold_frames, 1)):
                video.write(last)
    finally:
        renderer.close()
    return sim
