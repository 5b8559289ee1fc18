"""Dependency graph: order, reverse order, cycles, and the parallel walk."""
from __future__ import annotations

import threading

import pytest

from provisioner.addresses import address
from provisioner.errors import ProvisionerError
from provisioner.graph import CycleError, Graph, Status


def stack_graph() -> Graph[str]:
    # An assistant uses a vector store built from two files; an unrelated file stands apart.
    return Graph.from_dependencies({
        "assistants.support": ["vector_stores.kb", "files.policy"],
        "vector_stores.kb": ["files.policy", 'file_sets.docs["a.md"]'],
        "files.readme": [],
    })


def test_topological_order_puts_dependencies_first_and_breaks_ties_by_name():
    assert stack_graph().topological_order() == [
        'file_sets.docs["a.md"]', "files.policy", "files.readme", "vector_stores.kb", "assistants.support",
    ]


def test_order_does_not_depend_on_insertion_order():
    forward = Graph.from_dependencies({"c": ["a", "b"], "b": [], "a": []})
    backward = Graph.from_dependencies({"a": [], "b": [], "c": ["b", "a"]})
    assert forward.topological_order() == backward.topological_order() == ["a", "b", "c"]


def test_reversed_graph_orders_deletes_dependents_first():
    order = stack_graph().reversed().topological_order()
    assert order.index("assistants.support") < order.index("vector_stores.kb") < order.index("files.policy")
    assert stack_graph().reversed().predecessors("vector_stores.kb") == ["assistants.support"]


def test_a_cycle_is_named_in_the_error():
    graph = Graph.from_dependencies({"assistants.a": ["vector_stores.b"], "vector_stores.b": ["assistants.a"]})
    with pytest.raises(CycleError) as raised:
        graph.topological_order()
    assert isinstance(raised.value, ProvisionerError)
    assert "assistants.a -> vector_stores.b -> assistants.a" in str(raised.value)


def test_every_separate_cycle_is_reported_and_bystanders_are_not():
    graph = Graph.from_dependencies(
        {"b": ["a"], "c": ["b"], "a": ["c"], "self": ["self"], "tail": ["a"], "ok": []}
    )
    assert graph.cycles() == [["a", "b", "c", "a"], ["self", "self"]]
    with pytest.raises(CycleError, match="a -> b -> c -> a; self -> self"):
        graph.topological_order()


def test_an_acyclic_graph_has_no_cycles():
    assert stack_graph().cycles() == []


def test_a_long_chain_does_not_hit_the_recursion_limit():
    graph = Graph.from_dependencies({f"n{i:05}": [f"n{i - 1:05}"] for i in range(1, 5000)})
    graph.add_edge("n04999", "n00000")
    assert len(graph.cycles()[0]) == 5001


def test_walk_runs_every_node_after_its_dependencies_and_returns_results():
    done: set[str] = set()
    graph = stack_graph()

    def run(key):
        assert all(dep in done for dep in graph.predecessors(key)), f"{key} started too early"
        done.add(key)
        return f"id-of-{key}"

    outcomes = graph.walk(run, parallelism=4)
    assert list(outcomes) == graph.topological_order()
    assert all(o.ok and o.result == f"id-of-{k}" for k, o in outcomes.items())


def test_walk_runs_independent_nodes_at_the_same_time():
    # Each node waits for all three to be running at once; a serial walk would break the barrier.
    together = threading.Barrier(3, timeout=10)
    graph = Graph.from_dependencies({"files.a": [], "files.b": [], "files.c": []})
    outcomes = graph.walk(lambda key: together.wait(), parallelism=3)
    assert all(o.ok for o in outcomes.values()), outcomes


def test_walk_never_runs_more_than_parallelism_nodes_at_once():
    lock = threading.Lock()
    running, most = 0, 0
    pairs = threading.Barrier(2, timeout=10)

    def run(key):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        pairs.wait()  # forces two at a time to overlap, proving the limit is reached, not just respected
        with lock:
            running -= 1

    outcomes = Graph.from_dependencies({f"files.f{i}": [] for i in range(6)}).walk(run, parallelism=2)
    assert all(o.ok for o in outcomes.values())
    assert most == 2


def test_a_failure_skips_only_what_depends_on_it():
    graph = Graph.from_dependencies({
        "vector_stores.kb": ["files.policy"],
        "assistants.support": ["vector_stores.kb"],
        "assistants.other": ["files.policy"],
        "vector_stores.faq": ["files.faq"],
    })
    ran: list[str] = []

    def run(key):
        ran.append(key)
        if key == "vector_stores.kb":
            raise RuntimeError("quota exceeded")

    outcomes = graph.walk(run, parallelism=2)
    assert outcomes["vector_stores.kb"].status == Status.FAILED
    assert str(outcomes["vector_stores.kb"].error) == "quota exceeded"
    skipped = outcomes["assistants.support"]
    assert skipped.status == "skipped" and skipped.failed_ancestor == "vector_stores.kb"
    assert "vector_stores.kb" in str(skipped)
    assert "assistants.support" not in ran
    for independent in ("files.policy", "assistants.other", "files.faq", "vector_stores.faq"):
        assert outcomes[independent].ok


def test_a_node_with_one_failed_parent_of_two_is_skipped():
    graph = Graph.from_dependencies({"b": ["a"], "c": ["a"], "d": ["b", "c"]})

    def run(key):
        if key == "c":
            raise ValueError("bad")

    outcomes = graph.walk(run, parallelism=2)
    assert [outcomes[k].status for k in "abcd"] == ["ok", "ok", "failed", "skipped"]
    assert outcomes["d"].failed_ancestor == "c"


def test_walk_refuses_a_cyclic_graph_before_running_anything():
    ran = []
    graph = Graph.from_dependencies({"a": ["b"], "b": ["a"], "c": []})
    with pytest.raises(CycleError):
        graph.walk(ran.append, parallelism=2)
    assert ran == []


def test_walk_needs_at_least_one_worker():
    with pytest.raises(ValueError, match="parallelism"):
        stack_graph().walk(lambda key: None, parallelism=0)


def test_an_empty_graph_walks_to_nothing():
    assert Graph().walk(lambda key: None, parallelism=2) == {}


def test_resource_addresses_work_as_keys():
    policy, kb = address("files", "policy"), address("vector_stores", "kb")
    docs = address("file_sets", "docs", "a.md")
    graph = Graph.from_dependencies({kb: [policy, docs]})
    assert graph.topological_order() == [docs, policy, kb]
