"""The links a run works with: read from the sync state as records come by, kept in memory, saved together.

A run never reads all links unless it reconciles: links are fetched for the ids of each page read (by origin id or
by target id) and cached; once a flow's links were all read (:meth:`LinkCache.load_all`) the cache answers alone. A
link changed in memory is marked (:meth:`LinkCache.touch`) and written with the others in the transaction that
commits the step (:meth:`LinkCache.save`); until then memory wins over the row.
"""

from __future__ import annotations

from collections.abc import Iterable

from harness.sync.state import Link, SyncState

__all__ = ["LinkCache"]


class LinkCache:
    def __init__(self, state: SyncState) -> None:
        self.state = state
        self._links: dict[str, dict[str, Link]] = {}
        self._complete: set[str] = set()  # flows whose links are all in memory
        self._dirty: dict[tuple[str, str], Link] = {}

    def start(self, flows: Iterable[str]) -> None:
        """Forget what an earlier run cached (another process may have synced since); keep changes not yet saved."""
        self._links = {flow: {} for flow in flows}
        self._complete = set()

    def get(self, flow: str, origin_id: str) -> Link | None:
        return self._links[flow].get(origin_id)

    def add(self, link: Link) -> None:
        self._links[link.flow][link.origin_id] = link
        self.touch(link)

    def every(self, flow: str) -> list[Link]:
        """Every link of the flow in memory (all of them after :meth:`load_all`)."""
        return list(self._links[flow].values())

    def load_all(self, flow: str) -> None:
        if flow not in self._complete:
            self._links[flow].update(self.state.links(flow))
            self._complete.add(flow)

    def by_origin(self, flow: str, ids: Iterable[str]) -> list[Link]:
        """The links of these origin ids, read from the state once and then kept in memory."""
        cache = self._links[flow]
        ids = list(ids)
        if flow not in self._complete:
            wanted = [i for i in ids if i not in cache]
            for link in self.state.links_for(flow, "origin_id", wanted):
                cache[link.origin_id] = link
        return [cache[i] for i in ids if i in cache]

    def by_target(self, flow: str, ids: Iterable[str]) -> list[Link]:
        """The links to these target ids."""
        cache = self._links[flow]
        if flow in self._complete:
            wanted = set(ids)
            return [link for link in cache.values() if link.target_id in wanted]
        # A link already in memory may be newer than its row (not yet committed): memory wins.
        return [cache.setdefault(link.origin_id, link) for link in self.state.links_for(flow, "target_id", ids)]

    def touch(self, link: Link) -> None:
        """The link changed: save it with the next committed step."""
        self._dirty[(link.flow, link.origin_id)] = link

    @property
    def unsaved(self) -> int:
        """Links changed since the last :meth:`save`."""
        return len(self._dirty)

    def save(self) -> None:
        """Write the changed links; call inside the state's transaction that commits the step."""
        if self._dirty:
            self.state.save_links(self._dirty.values())
            self._dirty.clear()
