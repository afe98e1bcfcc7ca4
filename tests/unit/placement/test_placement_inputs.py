# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bad placement input fails with one error naming the field; odd but valid input is accepted."""

import pytest

from placement_cases import DECIDED_AT, URN, classes_for, digest, gpu_machine, machine_id, pod
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_pod import AgentPod
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.errors import PlacementInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.documents import plain
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.place import place_pods


def fails(field, pods=None, machines=None, **options):
    machines = machines if machines is not None else [gpu_machine("a")]
    with pytest.raises(PlacementInputError) as caught:
        place_pods(pods if pods is not None else [pod("p")], machines, **options)
    assert caught.value.field == field, str(caught.value)
    return str(caught.value)


def test_invalid_pod_names_its_position_and_path():
    bad = pod("p")
    bad["resources"]["cpu"] = "4"
    message = fails("pods[1]", pods=[pod("ok"), bad])
    assert "$.resources.cpu" in message


def test_duplicate_pod_ids():
    assert "pods[0]" in fails("pods[1].id", pods=[pod("p"), pod("p")])


def test_invalid_machine():
    machine = gpu_machine("a")
    del machine["cpu"]
    assert "$.cpu" in fails("machines[0]", machines=[machine])


def test_duplicate_machine_ids():
    fails("machines[1].id", machines=[gpu_machine("a"), gpu_machine("a")])


def test_pods_must_be_a_list():
    fails("pods", pods={"not": "a list"})


def test_the_same_accelerator_type_twice():
    document = pod("p")
    document["resources"]["accelerators"].append(dict(document["resources"]["accelerators"][0]))
    fails("pods[0].resources.accelerators[1].type", pods=[document])


@pytest.mark.parametrize("options, field", [
    ({"cordoned": [machine_id("typo")]}, "cordoned[0]"),
    ({"inventories": {machine_id("typo"): {}}}, "inventories[%s]" % machine_id("typo")),
    ({"inventories": {machine_id("a"): {"prefixes": [{"digest": "sha256:xyz"}]}}},
     "inventories[%s].prefixes[0].digest" % machine_id("a")),
    ({"inventories": {machine_id("a"): {"models": [{"digest": digest("m"), "onDisk": "yes"}]}}},
     "inventories[%s].models[0].onDisk" % machine_id("a")),
    ({"inventories": [{"prefixes": []}]}, "inventories[0].agentMachineId"),
    ({"loaded_models": {machine_id("a"): ["not-a-digest"]}}, "loaded_models[%s][0]" % machine_id("a")),
    ({"volume_classes": {machine_id("a"): ["agent-gpu"]}}, "volume_classes[%s][0]" % machine_id("a")),
    ({"storage_receipts": [{"kind": "StorageReceipt"}]}, "storage_receipts[0]"),
    ({"scopes": {machine_id("a"): {"allowed": {"networkExposure": ["public"]}}}},
     "scopes[%s].allowed.networkExposure[0]" % machine_id("a")),
    ({"scopes": {machine_id("a"): {"allowed": {"providerIds": ["llama"]}}}}, "scopes[%s].allowed.providerIds[0]" % machine_id("a")),
    ({"scopes": {machine_id("a"): {"permitted": {}}}}, "scopes[%s].permitted" % machine_id("a")),
    ({"running": [{"agentMachineId": machine_id("a"), "agentPod": {"kind": "AgentPod"}}]}, "running[0].agentPod"),
    ({"running": [{"agentMachineId": machine_id("b"), "agentPod": None}]}, "running[0].agentMachineId"),
    ({"anti_affinity": {"workroom:a": 0}}, "anti_affinity[workroom:a]"),
    ({"parameters": {"machines": {machine_id("b"): {}}}}, "parameters.machines[%s]" % machine_id("b")),
    ({"decided_at": "yesterday"}, "decided_at"),
])
def test_bad_options_name_the_field(options, field):
    fails(field, **options)


def test_ansible_values_become_plain_types():
    class Tagged(str):
        pass

    converted = plain({Tagged("key"): [Tagged("value"), (1, 2.5, True, None)]})
    assert converted == {"key": ["value", [1, 2.5, True, None]]}
    assert not isinstance(list(converted)[0], Tagged) and not isinstance(converted["key"][0], Tagged)


def test_prefix_token_counts_must_match_the_digests():
    document = pod("p", prefixes=[digest("a"), digest("b")], prefix_tokens=10, token_counts=[10])
    message = fails("pods[0]", pods=[document])
    assert "prefixTokenCounts has 1 entries, prefixDigests 2" in message
    with pytest.raises(ValueError, match="must not decrease"):
        AgentPod.model_validate(pod("q", prefixes=[digest("a"), digest("b")], prefix_tokens=10, token_counts=[20, 10]))
    with pytest.raises(ValueError, match="must equal prefixTokens"):
        AgentPod.model_validate(pod("q", prefixes=[digest("a")], prefix_tokens=10, token_counts=[5]))


def test_empty_batch_and_mapping_or_list_inventories():
    machines = [gpu_machine("a")]
    assert place_pods([], machines, decided_at=DECIDED_AT)["decisions"] == []
    listed = place_pods([pod("p")], machines, decided_at=DECIDED_AT, volume_classes=classes_for(machines),
                        inventories=[{"agentMachineId": machine_id("a"), "models": [], "prefixes": []}])
    assert listed["decisions"][0]["status"] == "placed"
    assert URN in listed["decisions"][0]["id"]
