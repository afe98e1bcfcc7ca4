# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cold-start cost model: each term's arithmetic, partial prefix hits, parameters and their errors."""

import pytest

from placement_cases import DECIDED_AT, GIB, asahi_machine, classes_for, digest, edge_machine, gpu_machine, machine_id, pod
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.cost import DEFAULT_PARAMETERS, parse_parameters
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.errors import PlacementInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.place import place_pods

PARAMETERS = {
    "link_bandwidth_bytes_per_second": 1e9,
    "disk_bandwidth_bytes_per_second": 2e9,
    "load_overhead_seconds": 10.0,
    "prefill_seconds_per_token_per_gib": {"cuda": 1e-4, "vulkan": 1e-3, "cpu": 1e-2},
    "balance_weight_seconds": 4.0,
    "memory_reserved_fraction": 0.0,
}
SIZE = 3 * GIB


def decide(pods, machines, **options):
    options.setdefault("parameters", PARAMETERS)
    return place_pods(pods, machines, decided_at=DECIDED_AT, volume_classes=classes_for(machines), **options)["decisions"]


def test_cold_start_terms_on_an_empty_gpu_machine():
    # 3 GiB model, 2000 prefix tokens, nothing resident; 16 threads, 64 GiB RAM, one 24 GiB GPU.
    document = pod("p", cpu=4.0, memory_gib=8, accelerator_gib=12, model_bytes=SIZE, prefixes=[digest("x")], prefix_tokens=2000)
    cost = decide([document], [gpu_machine("a")])[0]["cost"]
    assert cost["downloadSeconds"] == pytest.approx(SIZE / 1e9, abs=1e-6)
    assert cost["loadSeconds"] == pytest.approx(10.0 + SIZE / 2e9, abs=1e-6)
    assert cost["prefillSeconds"] == pytest.approx(2000 * 1e-4 * 3, abs=1e-6)
    # balance: weight x busiest resource after the pod: GPU 12/24 = 0.5 (CPU 4/16, RAM 8/64).
    assert cost["balance"] == pytest.approx(4.0 * 0.5, abs=1e-6)
    assert cost["total"] == pytest.approx(sum(cost[key] for key in ("downloadSeconds", "loadSeconds", "prefillSeconds", "balance")),
                                          abs=1e-5)


def test_cpu_fallback_prefills_at_the_cpu_rate():
    document = pod("p", required=False, accelerator_gib=12, model_bytes=SIZE, prefixes=[digest("x")], prefix_tokens=2000)
    cost = decide([document], [edge_machine("e", threads=16, memory_gib=64)])[0]["cost"]
    assert cost["prefillSeconds"] == pytest.approx(2000 * 1e-2 * 3, abs=1e-6)


def test_unified_memory_accelerator_rate_and_balance():
    document = pod("p", accelerator="vulkan", cpu=2.0, memory_gib=4, accelerator_gib=8, model_bytes=SIZE,
                   prefixes=[digest("x")], prefix_tokens=1000)
    cost = decide([document], [asahi_machine("m", memory_gib=24)])[0]["cost"]
    assert cost["prefillSeconds"] == pytest.approx(1000 * 1e-3 * 3, abs=1e-6)
    assert cost["balance"] == pytest.approx(4.0 * 12 / 24, abs=1e-6)  # RAM 4 + unified 8 of 24 GiB


def test_a_partial_prefix_hit_saves_the_cached_tokens():
    pack, turn = digest("pack"), digest("turn")
    inventories = {machine_id("a"): {"prefixes": [{"digest": pack}]}}
    document = pod("p", model_bytes=SIZE, prefixes=[pack, turn], prefix_tokens=5000, token_counts=[3000, 5000])
    costs = {entry["agentMachineId"]: entry["cost"] for entry in
             decide([document], [gpu_machine("a"), gpu_machine("b")], inventories=inventories)[0]["candidates"]}
    assert costs[machine_id("a")]["prefillSeconds"] == pytest.approx(2000 * 1e-4 * 3, abs=1e-6)
    assert costs[machine_id("b")]["prefillSeconds"] == pytest.approx(5000 * 1e-4 * 3, abs=1e-6)


def test_without_token_counts_the_prefix_tokens_split_evenly():
    first, second = digest("one"), digest("two")
    inventories = {machine_id("a"): {"prefixes": [{"digest": first}]}}
    document = pod("p", model_bytes=SIZE, prefixes=[first, second], prefix_tokens=4000)
    cost = decide([document], [gpu_machine("a")], inventories=inventories)[0]["cost"]
    assert cost["prefillSeconds"] == pytest.approx(2000 * 1e-4 * 3, abs=1e-6)


def test_the_deepest_cached_prefix_counts():
    first, second = digest("one"), digest("two")
    inventories = {machine_id("a"): {"prefixes": [{"digest": second}]}}
    document = pod("p", model_bytes=SIZE, prefixes=[first, second], prefix_tokens=4000, token_counts=[1000, 4000])
    assert decide([document], [gpu_machine("a")], inventories=inventories)[0]["cost"]["prefillSeconds"] == 0.0


def test_per_machine_bandwidth():
    parameters = dict(PARAMETERS, machines={machine_id("a"): {"link_bandwidth_bytes_per_second": 1e8}})
    decision = decide([pod("p", model_bytes=SIZE)], [gpu_machine("a"), gpu_machine("b")], parameters=parameters)[0]
    costs = {entry["agentMachineId"]: entry["cost"] for entry in decision["candidates"]}
    assert costs[machine_id("a")]["downloadSeconds"] == pytest.approx(SIZE / 1e8, abs=1e-5)
    assert costs[machine_id("b")]["downloadSeconds"] == pytest.approx(SIZE / 1e9, abs=1e-6)
    assert decision["agentMachineId"] == machine_id("b")


def test_defaults_follow_the_published_load_times():
    parameters = parse_parameters()
    for size, seconds in ((16e9, 48.0), (140e9, 84.0)):
        assert parameters.load_overhead + size / parameters.disk_bandwidth == pytest.approx(seconds, rel=0.02)
    assert set(DEFAULT_PARAMETERS["prefill_seconds_per_token_per_gib"]) == {"cpu", "cuda", "rocm", "vulkan", "metal", "mlx", "unknown"}


@pytest.mark.parametrize("given, field", [
    ({"link_bandwidth_bytes_per_second": 0}, "parameters.link_bandwidth_bytes_per_second"),
    ({"load_overhead_seconds": -1}, "parameters.load_overhead_seconds"),
    ({"balance_weight_seconds": "2"}, "parameters.balance_weight_seconds"),
    ({"memory_reserved_fraction": 1.0}, "parameters.memory_reserved_fraction"),
    ({"prefill_seconds_per_token_per_gib": {"tpu": 1}}, "parameters.prefill_seconds_per_token_per_gib.tpu"),
    ({"machines": {"x": {"speed": 1}}}, "parameters.machines[x].speed"),
    ({"unknown": 1}, "parameters.unknown"),
    ({"spread_weight_seconds": True}, "parameters.spread_weight_seconds"),
])
def test_bad_parameters_name_the_field(given, field):
    with pytest.raises(PlacementInputError) as caught:
        parse_parameters(given)
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ": ")
