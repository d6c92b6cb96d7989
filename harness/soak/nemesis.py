"""The soak's nemesis: trouble at ``harness proxy``, drawn from the soak's seed, between the users' actions.

``harness soak --proxy URL --nemesis RATE`` puts a trouble action before a user action with probability RATE (so
about RATE x operations faults in a history), never inside a burst. Each is one fault rule on the product's next
requests to one tenant, in the words of the features' trouble sentences, so a shrunk history prints it as a step:

- throttled (429) or unavailable (503) for the next 1-3 requests, asking to retry after 1-3 s;
- the connection dropped on the next 1-2 requests (nothing applied);
- the answers to the next 1-2 changes lost after the tenant carried them out (the duplicate trap);
- the product killed right after its next write lands, and started again: only when ``harness proxy`` started it
  (``--product-command``).

The draws come from a random stream of their own (seeded by the soak's seed), so the users' actions of a seed are
the same with or without the nemesis, and the same seed and rate give the same schedule.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from harness.proxy.client import ProxyControl
from harness.soak.history import BC, CRM, Action, sentence

__all__ = ["KINDS", "add_nemesis", "inject", "sentence"]

KINDS = ("throttle", "unavailable", "reset", "lose-answer", "crash")


def add_nemesis(actions: Sequence[Action], *, rate: float, seed: int, crash: bool) -> list[Action]:
    """``actions`` with trouble actions drawn in before some of them (none inside a group of concurrent actions)."""
    if not 0 < rate <= 1:
        raise ValueError(f"the nemesis rate is a share of the actions, above 0 and at most 1; got {rate:g}")
    rng = random.Random(f"nemesis {seed}")
    kinds = KINDS if crash else tuple(k for k in KINDS if k != "crash")
    out: list[Action] = []
    previous_group: int | None = None
    troubles = 0
    for action in actions:
        starts_group = action.group != previous_group
        previous_group = action.group
        if starts_group and action.kind != "pause" and rng.random() < rate:
            troubles += 1
            out.append(_draw(rng, kinds, group=-troubles))  # a group of its own: it runs alone, before the action
        out.append(action)
    return out


def _draw(rng: random.Random, kinds: Sequence[str], *, group: int) -> Action:
    kind = rng.choice(kinds)
    side = rng.choice((CRM, BC)) if kind != "crash" else BC
    values = {"fault": kind}
    if kind in ("throttle", "unavailable"):
        values |= {"times": str(rng.randint(1, 3)), "retry_after": str(rng.randint(1, 3))}
    elif kind in ("reset", "lose-answer"):
        values["times"] = str(rng.randint(1, 2))
    return Action("trouble", side, "", "", values, group=group)


def inject(proxy: ProxyControl, action: Action) -> None:
    """The trouble action's fault rule at the proxy, on the product's next requests to that tenant."""
    values = action.values
    kind, times = values["fault"], int(values.get("times", "1"))
    if kind in ("throttle", "unavailable"):
        proxy.add_fault(action.side, kind, times=times, retry_after=float(values["retry_after"]))
    elif kind == "reset":
        proxy.add_fault(action.side, "reset", times=times)
    else:  # lose-answer, crash: a write of the product's
        proxy.add_fault(action.side, kind, method="WRITE", times=times)
