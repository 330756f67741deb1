"""Bring your own learner: Stable-Baselines3 PPO on brawl_v0 through SuperSuit, in self-play.

    python examples/sb3_ppo_supersuit.py --steps 4096

``brawl_env.interop.sb3_vec_env`` is SuperSuit's ``pettingzoo_env_to_vec_env_v1`` +
``concat_vec_envs_v1`` with two upstream bugs fixed (``seed()`` and float32 actions); each agent of
each match is one SB3 env, so one policy plays both sides. Needs: pip install 'brawl-league[test]'.
"""

import argparse

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecMonitor

from brawl_env.interop import sb3_vec_env


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=4096, help="total agent-steps (frames x agents)")
    p.add_argument("--matches", type=int, default=4, help="matches run at once (2 SB3 envs each)")
    p.add_argument("--frames", type=int, default=300, help="frame limit per match (30 per second)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    # Shaped rewards: with the default sparse +1/-1 self-play's mean episode reward is always 0.
    env = VecMonitor(sb3_vec_env(args.matches, max_frames=args.frames, rewards="guide"))
    model = PPO("MlpPolicy", env, n_steps=128, batch_size=256, n_epochs=4, seed=args.seed, verbose=0)
    model.learn(total_timesteps=args.steps)
    episodes = [ep["r"] for ep in model.ep_info_buffer]
    if episodes:
        print(f"{len(episodes)} episodes, mean episode reward {np.mean(episodes):.3f}")
    else:
        print("no episode finished yet: raise --steps or lower --frames")
    env.close()


if __name__ == "__main__":
    main()
