"""An example bot to copy: ``brawl-league match examples/my_bot.py:Stalker BasedBot``."""

from brawl_env.bots import Bot, press


class Stalker(Bot):
    """Keeps to the stage, walks at the opponent, hops up to it, and heavy-attacks at close range."""

    def act(self, view):
        me, opp = view.me, view.opponent
        if abs(me.x) > 6.0:  # near a floor's outer edge: turn back toward the middle
            return press("left" if me.x > 0 else "right")
        keys = ["right" if opp.x > me.x else "left"]
        if opp.y > me.y + 0.5 and me.grounded:
            keys.append("jump")
        if abs(opp.x - me.x) < 1.5 and abs(opp.y - me.y) < 1.0:
            keys.append("heavy")
        return press(*keys)
