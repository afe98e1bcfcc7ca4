# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The placement benchmark's code on a tiny instance: it runs, and its figures agree with the engine (no timing)."""

import os
import sys

import pytest

from placement_cases import DECIDED_AT, classes_for, gpu_machine, pod

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench", "placement")
sys.path.insert(0, os.path.abspath(BENCH))

import baselines  # noqa: E402  pylint: disable=wrong-import-position,import-error
import bench_placement  # noqa: E402  pylint: disable=wrong-import-position,import-error
import lp_bound  # noqa: E402  pylint: disable=wrong-import-position,import-error
import metrics  # noqa: E402  pylint: disable=wrong-import-position,import-error
import workload  # noqa: E402  pylint: disable=wrong-import-position,import-error
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.place import prepare, summarize  # noqa: E402


@pytest.fixture(scope="module")
def tiny():
    return workload.generate(seed=3, nodes=10, pods=24, tenants=2, workrooms_per_tenant=2)


def test_the_generator_is_seeded(tiny):
    again = workload.generate(seed=3, nodes=10, pods=24, tenants=2, workrooms_per_tenant=2)
    assert again.pods == tiny.pods and again.machines == tiny.machines and again.inventories == tiny.inventories
    other = workload.generate(seed=4, nodes=10, pods=24, tenants=2, workrooms_per_tenant=2)
    assert other.pods != tiny.pods


def test_sessions_grow_their_prefix_chain(tiny):
    chains = [document["context"]["prefixDigests"] for document in tiny.pods]
    assert any(len(chain) > 2 for chain in chains)
    for document in tiny.pods:
        counts = document["context"]["prefixTokenCounts"]
        assert counts == sorted(counts) and counts[-1] == document["context"]["prefixTokens"]


def test_every_policy_runs_and_ours_breaks_nothing(tiny, capsys):
    rows = bench_placement.run_policies(tiny, seed=3)
    assert [name for name, _figures, _seconds in rows] == [name for name, _chooser in baselines.policies(3)]
    ours = rows[0][1]
    assert ours.violations == 0
    assert ours.placed + ours.unplaced == len(tiny.pods)
    bench_placement.print_policies("tiny", rows)
    bench_placement.print_ratios(rows)
    assert "least-allocated" in capsys.readouterr().out


def test_the_independent_score_agrees_with_the_engine(tiny):
    engine, pods = prepare(tiny.pods, **tiny.options())
    result = engine.place(pods)
    figures = metrics.score(tiny, tiny.pods, result.placements, engine.fleet.ids, engine.cost_model.parameters)
    summary = summarize(result)
    assert figures.total == pytest.approx(summary["coldStartSeconds"]["total"], abs=1e-3)
    assert figures.bytes_downloaded == summary["bytesDownloaded"]
    assert figures.cold_loads == summary["coldLoads"]


def test_the_check_finds_what_kubernetes_cannot_see():
    machines = [gpu_machine("a", gpus=1, gpu_gib=24), gpu_machine("b", gpus=1, gpu_gib=24)]
    pods = [pod("p1", accelerator_gib=16), pod("p2", accelerator_gib=16)]
    work = workload.Workload(0, machines, pods, [], {}, classes_for(machines), {}, [], {})
    engine, requests = prepare(pods, **work.options())
    blind = engine.place(requests, chooser=baselines.kube_visible(baselines.first_fit()))
    assert [placement.node for placement in blind.placements] == [0, 0]
    assert metrics.score(work, pods, blind.placements, engine.fleet.ids, engine.cost_model.parameters).violation_kinds == \
        {"device-memory": 1}
    ours = engine.place(requests)
    assert metrics.score(work, pods, ours.placements, engine.fleet.ids, engine.cost_model.parameters).violations == 0


def test_lp_bounds_are_below_ours():
    rows = bench_placement.small_instances([5], nodes=8, pods=10, time_limit=30.0)
    _seed, ours, relaxed, exact, optimal, placed, total = rows[0]
    assert placed == total
    assert optimal
    assert relaxed <= exact + 1e-6 <= ours + 1e-3


def test_lp_model_prices_a_download_once():
    machines = [gpu_machine("a", gpus=2), gpu_machine("b", gpus=2)]
    pods = [pod("p%d" % number, accelerator_gib=8, model="same") for number in range(3)]
    engine, requests = prepare(pods, machines, volume_classes=classes_for(machines))
    found = lp_bound.bounds(engine, requests, [0, 1, 2], time_limit=10.0)
    cost = engine.cost_model
    one_machine = pods[0]["model"]["sizeBytes"] / cost.link_bandwidth[0] + cost.parameters.load_overhead + \
        pods[0]["model"]["sizeBytes"] / cost.disk_bandwidth[0]
    assert found["milp"] == pytest.approx(one_machine, rel=1e-6)
    assert engine.place(requests).decisions(DECIDED_AT)[2]["cost"]["downloadSeconds"] == 0.0
