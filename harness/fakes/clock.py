"""The one clock and the one id source a fake tenant (or a pair of them) runs on.

Fakes never call ``datetime.now()`` or ``uuid.uuid4()`` themselves: they ask a :class:`Clock` and an
:class:`IdSource`, so a test can freeze time, step it, and replay the same ids from the same seed.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "IdSource"]


def _truncate_ms(moment: datetime) -> datetime:
    # Both vendors store milliseconds; keeping more would make equal-looking timestamps compare unequal.
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


class Clock:
    """UTC time with millisecond resolution that runs with the wall clock from an offset, or stands frozen.

    ``set`` jumps to a moment (and keeps running from there unless frozen); ``advance`` steps forward;
    ``freeze``/``unfreeze`` stop and restart the flow of time.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._frozen_at: datetime | None = None
        self._offset = timedelta(0)
        moment = _aware(start) if start is not None else self._wall()
        self._offset = moment - self._wall()
        if frozen:
            self._frozen_at = _truncate_ms(moment)

    @staticmethod
    def _wall() -> datetime:
        return datetime.fromtimestamp(time.time(), UTC)

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return _truncate_ms(self._wall() + self._offset)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def set(self, moment: datetime, *, frozen: bool | None = None) -> None:
        moment = _truncate_ms(_aware(moment))
        with self._lock:
            freeze = self._frozen_at is not None if frozen is None else frozen
            self._offset = moment - self._wall()
            self._frozen_at = moment if freeze else None

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            step = timedelta(seconds=seconds)
            self._offset += step
            if self._frozen_at is not None:
                self._frozen_at = _truncate_ms(self._frozen_at + step)
        return self.now()

    def freeze(self) -> datetime:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = _truncate_ms(self._wall() + self._offset)
            return self._frozen_at

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._wall()
                self._frozen_at = None


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"clock times must carry a time zone, got naive {moment.isoformat()}")
    return moment.astimezone(UTC)


class IdSource:
    """Seedable GUIDs: the same seed gives the same sequence, so a failing run can be replayed."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.seed = seed

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._random = random.Random(seed)
            self.seed = seed

    def guid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def token(self, nbytes: int = 24) -> str:
        """An opaque secret (bearer tokens, client secrets): url-safe, from the same seeded source."""
        with self._lock:
            return self._random.randbytes(nbytes).hex()
