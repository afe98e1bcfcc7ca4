# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The batch: capacity accounting, determinism, unplaceable pods, spread, residency and cache locality."""

import copy
import json

from jsonschema import Draft202012Validator

from placement_cases import (
    DECIDED_AT, GIB, asahi_machine, candidate, classes_for, digest, edge_machine, gpu_machine, machine_id, pod, reasons_of,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import schema_text
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.place import place_pods, prepare, summarize

SCHEMA = Draft202012Validator(json.loads(schema_text("placement-decision")))


def place(pods, machines, **options):
    options.setdefault("volume_classes", classes_for(machines))
    return place_pods(pods, machines, decided_at=DECIDED_AT, **options)


def chosen(decisions):
    return [decision["agentMachineId"] and decision["agentMachineId"].rsplit(":", 1)[1] for decision in decisions]


def test_later_pods_see_the_accelerator_memory_earlier_pods_took():
    # One 24 GiB GPU: two 10 GiB pods fit, the third goes to the other machine.
    machines = [gpu_machine("a", gpu_gib=24), gpu_machine("b", gpu_gib=24)]
    pods = [pod("p%d" % number, accelerator_gib=10, model="m") for number in range(3)]
    decisions = place(pods, machines, inventories={machine_id("a"): {"models": [{"digest": digest("model m")}]}})["decisions"]
    assert chosen(decisions) == ["a", "a", "b"]
    reason = reasons_of(decisions[2], "a")["memory-fit"]
    assert "largest free: %d bytes" % (4 * GIB) in reason["message"]


def test_capacity_runs_out_and_the_pod_is_unplaceable_with_reasons():
    machines = [gpu_machine("a", gpus=1, threads=4)]
    pods = [pod("p1", cpu=3.0, accelerator_gib=8), pod("p2", cpu=3.0, accelerator_gib=8)]
    result = place(pods, machines)
    first, second = result["decisions"]
    assert first["status"] == "placed"
    assert second["status"] == "unplaceable"
    assert second["agentMachineId"] is None and second["cost"] is None
    assert [reason["code"] for reason in second["reasons"]] == ["no-feasible-machine"]
    assert second["reasons"][0]["message"] == "all 1 machines were rejected by hard filters (cpu-fit 1)"
    assert reasons_of(second, "a")["cpu-fit"]["message"] == "needs 3 CPUs, 1 of 4 allocatable free"
    assert result["summary"]["unplaceable"] == 1
    assert result["summary"]["unplaceablePods"] == [second["agentPodId"]]
    for decision in result["decisions"]:
        assert list(SCHEMA.iter_errors(decision)) == []


def test_an_unplaceable_pod_does_not_stop_the_batch():
    machines = [edge_machine("edge")]
    pods = [pod("gpu-only", accelerator="cuda"), pod("cpu-ok", accelerator=None)]
    decisions = place(pods, machines)["decisions"]
    assert [decision["status"] for decision in decisions] == ["unplaceable", "placed"]
    assert reasons_of(decisions[0], "edge")["accelerator-missing"]["field"] == "$.resources.accelerators[0]"


def test_no_machines_is_a_reason_not_an_error():
    decision = place([pod("p")], [])["decisions"][0]
    assert decision["status"] == "unplaceable"
    assert decision["reasons"][0]["code"] == "no-machines"
    assert decision["candidates"] == []


def test_exclusive_requests_take_whole_idle_devices():
    machines = [gpu_machine("a", gpus=2)]
    pods = [pod("shared", accelerator_gib=4), pod("whole", accelerator_gib=None), pod("whole-2", accelerator_gib=None)]
    decisions = place(pods, machines)["decisions"]
    assert [decision["status"] for decision in decisions] == ["placed", "placed", "unplaceable"]
    assert reasons_of(decisions[2], "a")["accelerator-count"]["message"] == "0 idle cuda devices, the pod requires 1"


def test_unified_memory_is_charged_to_ram():
    # 24 GiB Asahi machine, 21.6 GiB allocatable: pods of 1 GiB RAM + 9 GiB GPU, two fit; the third's RAM would.
    machines = [asahi_machine("mac", memory_gib=24)]
    pods = [pod("p%d" % number, accelerator="vulkan", memory_gib=1, accelerator_gib=9, model="m") for number in range(3)]
    decisions = place(pods, machines)["decisions"]
    assert [decision["status"] for decision in decisions] == ["placed", "placed", "unplaceable"]
    assert set(reasons_of(decisions[2], "mac")) == {"memory-fit"}


def test_running_pods_take_capacity_before_the_batch():
    machines = [gpu_machine("a", gpu_gib=24), gpu_machine("b", gpu_gib=24)]
    running = [{"agentMachineId": machine_id("a"), "agentPod": pod("old", accelerator_gib=20, model="old")}]
    decision = place([pod("new", accelerator_gib=10)], machines, running=running)["decisions"][0]
    assert decision["agentMachineId"] == machine_id("b")
    assert "memory-fit" in reasons_of(decision, "a")


def test_same_input_same_decisions_whatever_the_machine_order():
    machines = [gpu_machine(slug, gpus=2) for slug in ("c", "a", "b")] + [edge_machine("e")]
    pods = [pod("p%d" % number, accelerator_gib=6, model="m%d" % (number % 3), required=number % 2 == 0,
                prefixes=[digest("pack %d" % (number % 2))], prefix_tokens=4000) for number in range(12)]
    first = place(copy.deepcopy(pods), machines)
    again = place(copy.deepcopy(pods), list(reversed(machines)))
    for result in (first, again):
        del result["summary"]["placementSeconds"]
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert len(set(chosen(first["decisions"]))) > 1


def test_ties_go_to_the_first_machine_in_id_order():
    machines = [gpu_machine(slug) for slug in ("zeta", "alpha", "mid")]
    decision = place([pod("p")], machines)["decisions"][0]
    assert decision["agentMachineId"] == machine_id("alpha")
    assert [entry["agentMachineId"] for entry in decision["candidates"]] == [machine_id(slug) for slug in ("alpha", "mid", "zeta")]


def test_the_machine_with_the_model_loaded_wins():
    machines = [gpu_machine("a"), gpu_machine("b"), gpu_machine("c")]
    model = digest("model m")
    inventories = {machine_id("b"): {"models": [{"digest": model, "onDisk": True}]}}
    decision = place([pod("p", model="m")], machines, inventories=inventories, loaded_models={machine_id("c"): [model]})["decisions"][0]
    assert decision["agentMachineId"] == machine_id("c")
    assert decision["cost"]["downloadSeconds"] == 0.0 and decision["cost"]["loadSeconds"] == 0.0
    on_disk = candidate(decision, "b")["cost"]
    assert on_disk["downloadSeconds"] == 0.0 and on_disk["loadSeconds"] > 0
    cold = candidate(decision, "a")["cost"]
    assert cold["downloadSeconds"] > 0 and cold["loadSeconds"] > 0


def test_a_model_listed_but_not_on_disk_is_not_resident():
    machines = [gpu_machine("a"), gpu_machine("b")]
    model = digest("model m")
    inventories = [{"agentMachineId": machine_id("a"), "models": [{"digest": model, "onDisk": False}]},
                   {"agentMachineId": machine_id("b"), "models": [{"digest": model, "onDisk": True}]}]
    decision = place([pod("p", model="m")], machines, inventories=inventories)["decisions"][0]
    assert decision["agentMachineId"] == machine_id("b")


def test_a_session_follows_its_prefix_cache():
    machines = [gpu_machine(slug, gpus=4) for slug in ("a", "b", "c")]
    pack, turn = digest("pack"), digest("turn 1")
    inventories = {machine_id("c"): {"prefixes": [{"digest": pack}]}}
    pods = [pod("step-1", prefixes=[pack], prefix_tokens=6000),
            pod("step-2", prefixes=[pack, turn], prefix_tokens=7000, token_counts=[6000, 7000])]
    decisions = place(pods, machines, inventories=inventories)["decisions"]
    assert chosen(decisions) == ["c", "c"]
    assert decisions[0]["cost"]["prefillSeconds"] == 0.0
    second = decisions[1]["cost"]
    elsewhere = candidate(decisions[1], "a")["cost"]
    assert second["prefillSeconds"] < elsewhere["prefillSeconds"]
    assert second["downloadSeconds"] == 0.0 and second["loadSeconds"] == 0.0


def test_spread_weight_moves_a_workroom_apart():
    machines = [gpu_machine("a", gpus=4), gpu_machine("b", gpus=4)]
    pods = [pod("p%d" % number, accelerator_gib=4) for number in range(2)]
    packed = place(pods, machines)["decisions"]
    assert chosen(packed) == ["a", "a"]  # model already downloaded and loaded on a
    spread = place(pods, machines, parameters={"spread_weight_seconds": 1000.0})["decisions"]
    assert chosen(spread) == ["a", "b"]
    assert candidate(spread[1], "a")["cost"]["balance"] > 1000.0


def test_decision_on_demand_equals_the_batch_decision():
    machines = [gpu_machine("a", gpus=2), gpu_machine("b", gpus=1), edge_machine("e")]
    pods = [pod("p%d" % number, accelerator_gib=10, required=number % 2 == 1) for number in range(6)]
    engine, requests = prepare(pods, machines, volume_classes=classes_for(machines))
    result = engine.place(requests)
    batch = result.decisions(DECIDED_AT)
    for position in (0, 3, 5):
        assert result.decision(position, DECIDED_AT) == batch[position]
    summary = summarize(result)
    assert summary["placed"] == sum(1 for decision in batch if decision["status"] == "placed")
    total = sum(decision["cost"]["downloadSeconds"] + decision["cost"]["loadSeconds"] + decision["cost"]["prefillSeconds"]
                for decision in batch if decision["status"] == "placed")
    assert abs(summary["coldStartSeconds"]["total"] - total) < 1e-3


def test_every_decision_lists_every_machine_once():
    machines = [gpu_machine("a"), edge_machine("e"), asahi_machine("m")]
    decisions = place([pod("p1"), pod("p2", accelerator=None)], machines)["decisions"]
    for decision in decisions:
        assert sorted(entry["agentMachineId"] for entry in decision["candidates"]) == sorted(m["id"] for m in machines)
        for entry in decision["candidates"]:
            assert entry["feasible"] == (entry["cost"] is not None) == (not entry["rejectionReasons"])
