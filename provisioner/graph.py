"""Dependency graph of resources: order, reverse order for deletes, cycles, and a parallel walk.

Owns the DAG of address keys, where an edge `before -> after` means `after` depends on `before`,
and the rules of walking it: a node starts only when everything it depends on succeeded, a
failure skips only what depends on it. It must not know what a node is or what running one
means: the caller passes `fn`, and reports and state are the caller's business.
"""
from __future__ import annotations

import heapq
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Generic, Hashable, Iterable, Mapping, TypeVar

from provisioner.errors import ProvisionerError

K = TypeVar("K", bound=Hashable)


def _order(key: Hashable) -> str:
    # Ties are broken by the key's text, so any hashable key sorts.
    return str(key)


class CycleError(ProvisionerError):
    """The dependencies loop; carries every cycle found, each as [a, b, ..., a]."""

    def __init__(self, cycles: list[list[Any]]):
        self.cycles = cycles
        described = "; ".join(" -> ".join(str(k) for k in cycle) for cycle in cycles)
        super().__init__(
            f"dependency cycle: {described}",
            hint="a resource cannot depend on itself, directly or through others; remove one of the references",
        )


class Status(str, Enum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    """How one node of a walk ended: ok with fn's result, failed with its error, or skipped."""

    status: Status
    result: Any = None
    error: BaseException | None = None
    failed_ancestor: Any = None  # for a skipped node: the failed node it depends on

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def __str__(self) -> str:
        if self.status is Status.FAILED:
            return f"failed: {self.error}"
        if self.status is Status.SKIPPED:
            return f"skipped: depends on {self.failed_ancestor}, which failed"
        return "ok"


class Graph(Generic[K]):
    def __init__(self) -> None:
        # Adjacency both ways: a walk counts what each node waits on, orders follow what comes next.
        self._succ: dict[K, set[K]] = {}
        self._pred: dict[K, set[K]] = {}

    @classmethod
    def from_dependencies(cls, dependencies: Mapping[K, Iterable[K]]) -> "Graph[K]":
        """A graph from `{node: nodes it depends on}`; nodes only named as dependencies are added too."""
        graph: Graph[K] = cls()
        for node, needs in dependencies.items():
            graph.add_node(node)
            for before in needs:
                graph.add_edge(before, node)
        return graph

    def add_node(self, key: K) -> None:
        self._succ.setdefault(key, set())
        self._pred.setdefault(key, set())

    def add_edge(self, before: K, after: K) -> None:
        """`after` depends on `before`: it is created after it, and deleted before it."""
        self.add_node(before)
        self.add_node(after)
        self._succ[before].add(after)
        self._pred[after].add(before)

    @property
    def nodes(self) -> list[K]:
        return sorted(self._succ, key=_order)

    def predecessors(self, key: K) -> list[K]:
        """What `key` depends on directly."""
        return sorted(self._pred[key], key=_order)

    def descendants(self, key: K) -> set[K]:
        """Everything that depends on `key`, directly or through others."""
        seen: set[K] = set()
        todo = [key]
        while todo:
            for nxt in self._succ[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def reversed(self) -> "Graph[K]":
        """The same nodes with every edge turned round: the order in which to delete."""
        flipped: Graph[K] = Graph()
        for key in self._succ:
            flipped.add_node(key)
        for before, afters in self._succ.items():
            for after in afters:
                flipped.add_edge(after, before)
        return flipped

    def topological_order(self, rank: Callable[[K], Any] = _order) -> list[K]:
        """Every node after all it depends on; ties by `rank` (default: key text), so the order is reproducible."""
        remaining = {key: len(preds) for key, preds in self._pred.items()}
        ready = [(rank(k), i, k) for i, k in enumerate(self._succ) if remaining[k] == 0]
        heapq.heapify(ready)
        order: list[K] = []
        # The insertion index breaks ties between keys with the same text without comparing keys.
        index = {k: i for i, k in enumerate(self._succ)}
        while ready:
            _, _, key = heapq.heappop(ready)
            order.append(key)
            for nxt in self._succ[key]:
                remaining[nxt] -= 1
                if remaining[nxt] == 0:
                    heapq.heappush(ready, (rank(nxt), index[nxt], nxt))
        if len(order) != len(self._succ):
            raise CycleError(self.cycles())
        return order

    def cycles(self) -> list[list[K]]:
        """One cycle per tangle of mutually dependent nodes, each as [a, b, ..., a]; [] if none."""
        found = []
        for component in self._strongly_connected():
            members = set(component)
            start = min(component, key=_order)
            if len(members) > 1 or start in self._succ[start]:
                found.append(self._shortest_cycle_through(start, members))
        return sorted(found, key=lambda cycle: _order(cycle[0]))

    def _shortest_cycle_through(self, start: K, within: set[K]) -> list[K]:
        parent: dict[K, K] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in sorted(self._succ[node] & within, key=_order):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parent[path[-1]])
                    return [*reversed(path), start]
                if nxt not in parent:
                    parent[nxt] = node
                    queue.append(nxt)
        raise AssertionError("a strongly connected component always has a cycle")

    def _strongly_connected(self) -> list[list[K]]:
        # Tarjan's algorithm, iterative so that long dependency chains cannot hit the recursion limit.
        index: dict[K, int] = {}
        low: dict[K, int] = {}
        stack: list[K] = []
        on_stack: set[K] = set()
        components: list[list[K]] = []

        def visit(node: K) -> None:
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            work.append((node, iter(sorted(self._succ[node], key=_order))))

        for root in self.nodes:
            if root in index:
                continue
            work: list[tuple[K, Any]] = []
            visit(root)
            while work:
                node, pending = work[-1]
                for nxt in pending:
                    if nxt not in index:
                        visit(nxt)
                        break
                    if nxt in on_stack:
                        low[node] = min(low[node], index[nxt])
                else:
                    work.pop()
                    if work:
                        parent = work[-1][0]
                        low[parent] = min(low[parent], low[node])
                    if low[node] == index[node]:
                        component = []
                        while True:
                            member = stack.pop()
                            on_stack.discard(member)
                            component.append(member)
                            if member == node:
                                break
                        components.append(component)
        return components

    def walk(self, fn: Callable[[K], Any], parallelism: int = 1, rank: Callable[[K], Any] = _order) -> dict[K, Outcome]:
        """Run `fn(node)` for every node, at most `parallelism` at a time, in dependency order
        (among nodes ready at once, the lowest `rank` first).

        A node starts once all it depends on returned; if one raised, everything depending on it
        is skipped while independent branches carry on. Returns every node's Outcome, in
        topological order. Raises CycleError before running anything if the graph loops.
        """
        if parallelism < 1:
            raise ValueError(f"parallelism must be at least 1, not {parallelism}")
        order = self.topological_order(rank)
        place = {key: i for i, key in enumerate(order)}
        waiting_on = {key: len(self._pred[key]) for key in order}
        ready = [(place[k], k) for k in order if waiting_on[k] == 0]
        heapq.heapify(ready)
        outcomes: dict[K, Outcome] = {}
        running: dict[Future[Any], K] = {}

        with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="graph-walk") as pool:
            # Only `parallelism` nodes are handed to the pool at once, so nothing sits queued in it
            # and an interrupt leaves just the running nodes to finish.
            while ready or running:
                while ready and len(running) < parallelism:
                    _, key = heapq.heappop(ready)
                    running[pool.submit(fn, key)] = key
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: place[running[f]]):
                    key = running.pop(future)
                    error = future.exception()
                    if error is None:
                        outcomes[key] = Outcome(Status.OK, result=future.result())
                        for nxt in self._succ[key]:
                            waiting_on[nxt] -= 1
                            if waiting_on[nxt] == 0 and nxt not in outcomes:
                                heapq.heappush(ready, (place[nxt], nxt))
                    else:
                        outcomes[key] = Outcome(Status.FAILED, error=error)
                        for below in self.descendants(key):
                            outcomes.setdefault(below, Outcome(Status.SKIPPED, failed_ancestor=key))
        return {key: outcomes[key] for key in order}
