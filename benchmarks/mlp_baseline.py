"""A feed-forward baseline: SB3's plain PPO("MlpPolicy") on our LeagueVecEnv, against one bot.

    python benchmarks/mlp_baseline.py --frames 600000 --repeat 4 --gamma 0.98 --epochs 10 --batch 512 --lr 1e-3

Used to tell "the game and its rewards are hard" from "our recurrent learner is slow": the same env,
rewards and action repeat, with the simplest learner SB3 has. Trains for ``--frames`` game frames, then
plays 50 seeded matches (sampling the policy) against ConstantBot and BasedBot under the same rules
(30 s matches decided by damage at the limit) and prints one JSON line. The table in docs/trainer.md
("What made the smoke preset learn") was made with it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=600_000)
    ap.add_argument("--repeat", type=int, default=1, help="action repeat (frames per decision)")
    ap.add_argument("--gamma", type=float, default=0.995)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--ent", type=float, default=0.01)
    ap.add_argument(
        "--p0", type=float, default=None, help="initial key press probability (default: SB3's 0.5)"
    )
    ap.add_argument("--no-reward-scaling", action="store_true")
    ap.add_argument(
        "--rewards",
        default='{"damage_interaction": 10, "win": 20, "knockout": 8, "distance_to_opponent": -1}',
    )
    ap.add_argument("--opponent", default="ConstantBot")
    ap.add_argument("--games", type=int, default=50)
    args = ap.parse_args(argv)

    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecNormalize

    from brawl_env.bots import bot_agent
    from trainers.envs import LeagueVecEnv
    from trainers.evaluate import play_games, summarise

    torch.set_num_threads(1)
    cfg = dict(max_frames=900, damage_tiebreak=True, rewards=json.loads(args.rewards))
    env = LeagueVecEnv(
        32,
        env_config=cfg,
        choose_opponent=lambda rng: args.opponent,
        make_opponent=lambda spec: bot_agent(spec),
        seed=0,
        action_repeat=args.repeat,
    )
    if not args.no_reward_scaling:
        env = VecNormalize(env, norm_obs=False, norm_reward=True, gamma=args.gamma)
    model = PPO(
        "MlpPolicy",
        env,
        n_steps=128,
        batch_size=args.batch,
        n_epochs=args.epochs,
        learning_rate=args.lr,
        gamma=args.gamma,
        ent_coef=args.ent,
        seed=0,
        device="cpu",
        verbose=0,
    )
    if args.p0 is not None:
        with torch.no_grad():
            model.policy.action_net.weight.mul_(0.01)
            model.policy.action_net.bias.fill_(float(np.log(args.p0 / (1 - args.p0))))
    t0 = time.perf_counter()
    model.learn(args.frames // args.repeat)
    train_s = time.perf_counter() - t0

    class Runner:  # the policy, deciding every `repeat` frames like in training
        def __init__(self):
            self.t, self.held = 0, None

        def reset_rows(self, rows):
            self.t, self.held = 0, None

        def act(self, obs, rows):
            if self.t % args.repeat == 0 or self.held is None or len(self.held) != len(rows):
                self.held = model.predict(obs, deterministic=False)[0].astype(np.int8)
            self.t += 1
            return self.held

    out = {"args": vars(args), "train_s": round(train_s, 1)}
    for bot in ("ConstantBot", "BasedBot"):
        s = summarise(
            play_games(Runner(), bot_agent(bot), args.games, seed=7919, max_frames=900, damage_tiebreak=True)
        )
        out[bot] = {k: round(v, 3) if isinstance(v, float) else v for k, v in s.items()}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
