# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each hard filter rejects with its own reason code, field and message, and only the machine it should."""

import pytest

from placement_cases import (
    DECIDED_AT, URN, apple_gpu, asahi_machine, classes_for, edge_machine, gpu, gpu_machine, machine, machine_id, pod,
    reasons_of,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.filters import CODES
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.placement.place import place_pods


def place(pods, machines, **options):
    options.setdefault("volume_classes", classes_for(machines))
    return place_pods(pods, machines, decided_at=DECIDED_AT, **options)["decisions"]


def only_rejection(decision, slug):
    """The single reason a machine was rejected for."""
    reasons = reasons_of(decision, slug)
    assert len(reasons) == 1, reasons
    return next(iter(reasons.values()))


def test_every_code_is_distinct_and_kebab_case():
    assert len(set(CODES)) == len(CODES) == 13
    assert all(code == code.lower() and " " not in code for code in CODES)


def test_cordoned_machine_is_rejected():
    machines = [gpu_machine("a"), gpu_machine("b")]
    decision = place([pod("p")], machines, cordoned=[machine_id("a")])[0]
    assert decision["agentMachineId"] == machine_id("b")
    reason = only_rejection(decision, "a")
    assert (reason["code"], reason["field"]) == ("machine-cordoned", None)


def test_machine_not_selected():
    machines = [gpu_machine("a"), gpu_machine("b")]
    decision = place([pod("p", machine_ids=[machine_id("b")])], machines)[0]
    assert decision["agentMachineId"] == machine_id("b")
    reason = only_rejection(decision, "a")
    assert (reason["code"], reason["field"]) == ("machine-not-selected", "$.placement.machineIds")


def test_arch_mismatch():
    machines = [gpu_machine("a", arch="aarch64"), gpu_machine("b")]
    decision = place([pod("p", architectures=["x86_64"])], machines)[0]
    reason = only_rejection(decision, "a")
    assert reason["code"] == "arch-mismatch"
    assert reason["message"] == "architecture aarch64 is not one of x86_64"
    assert reason["field"] == "$.placement.architectures"
    assert decision["agentMachineId"] == machine_id("b")


def test_profile_mismatch():
    machines = [asahi_machine("mac"), edge_machine("edge")]
    decision = place([pod("p", accelerator="vulkan", accelerator_gib=4, profiles=["m2-asahi-linux"])], machines)[0]
    assert decision["agentMachineId"] == machine_id("mac")
    reasons = reasons_of(decision, "edge")
    assert reasons["profile-mismatch"]["message"] == "profile linux-edge-node is not one of m2-asahi-linux"


def test_accelerator_missing_names_the_request():
    machines = [edge_machine("edge"), gpu_machine("gpu")]
    decision = place([pod("p", accelerator="cuda", count=2, accelerator_gib=4)], machines)[0]
    reason = reasons_of(decision, "edge")["accelerator-missing"]
    assert reason["message"] == "no cuda accelerator (the pod requires 2)"
    assert reason["field"] == "$.resources.accelerators[0]"


def test_vulkan_is_served_by_a_gpu_when_the_machine_has_a_vulkan_driver():
    machines = [machine("radeon", devices=[gpu(0, 24, kind="rocm")], vulkan=True), machine("plain", devices=[gpu(0, 24, kind="rocm")])]
    decision = place([pod("p", accelerator="vulkan", accelerator_gib=4)], machines)[0]
    assert decision["agentMachineId"] == machine_id("radeon")
    assert only_rejection(decision, "plain")["code"] == "accelerator-missing"


def test_storage_class_missing_and_unknown():
    machines = [gpu_machine("a"), gpu_machine("b"), gpu_machine("c")]
    classes = {machine_id("a"): ["agent-models"], machine_id("b"): ["agent-models", "agent-cache-warm"]}
    decision = place([pod("p")], machines, volume_classes=classes)[0]
    assert decision["agentMachineId"] == machine_id("b")
    missing = only_rejection(decision, "a")
    assert missing["code"] == "storage-class-missing"
    assert missing["message"] == "volume class agent-cache-warm is not provisioned on this machine"
    assert missing["field"] == "$.storage[1].volumeClass"
    unknown = only_rejection(decision, "c")
    assert unknown["code"] == "storage-class-missing" and unknown["field"] == "$.storage"
    assert "unknown" in unknown["message"]


def test_runtime_managed_storage_needs_no_volume_class():
    document = pod("p", storage=())
    document["storage"] = [{"volumeClass": "agent-cache-hot", "mountPath": "/tmp", "accessMode": "runtime-managed",
                            "sizeBytes": None, "encryptionRequired": False, "quotaRequired": False}]
    decision = place([document], [gpu_machine("a")], volume_classes={})[0]
    assert decision["status"] == "placed"


def test_storage_receipts_provision_volume_classes():
    receipt = __import__("placement_cases").load_example("storage-receipt.json")
    receipt["agentMachineId"] = machine_id("a")
    receipt["volumeClass"] = "agent-models"
    decision = place([pod("p", storage=("agent-models",))], [gpu_machine("a")], volume_classes={}, storage_receipts=[receipt])[0]
    assert decision["status"] == "placed"


def test_provider_not_allowed_by_scope():
    machines = [gpu_machine("a"), gpu_machine("b")]
    scopes = {machine_id("a"): {"allowed": {"providerIds": [URN + "provider:vllm"]}},
              machine_id("b"): {"denied": {"providerIds": [URN + "provider:vllm"]}}}
    decision = place([pod("p")], machines, scopes=scopes)[0]
    assert decision["agentMachineId"] == machine_id("b")
    reason = only_rejection(decision, "a")
    assert (reason["code"], reason["field"]) == ("provider-not-allowed", "$.providerId")


def test_exposure_not_allowed_by_scope():
    machines = [gpu_machine("a"), gpu_machine("b"), gpu_machine("c")]
    scopes = {machine_id("a"): {"allowed": {"networkExposure": ["none", "loopback"]}},
              machine_id("b"): {"denied": {"networkExposure": ["cluster"]}}}
    decision = place([pod("p", exposure="cluster")], machines, scopes=scopes)[0]
    assert decision["agentMachineId"] == machine_id("c")
    for slug in ("a", "b"):
        reason = only_rejection(decision, slug)
        assert reason["code"] == "exposure-not-allowed"
        assert reason["field"] == "$.ports[0].exposure"
        assert "cluster exposure (port http)" in reason["message"]


def test_accelerator_count():
    machines = [gpu_machine("one", gpus=1), gpu_machine("two", gpus=2)]
    decision = place([pod("p", count=2, accelerator_gib=4)], machines)[0]
    assert decision["agentMachineId"] == machine_id("two")
    reason = only_rejection(decision, "one")
    assert reason["code"] == "accelerator-count"
    assert reason["message"] == "1 free cuda device, the pod requires 2"
    assert reason["field"] == "$.resources.accelerators[0].count"


def test_memory_fit_of_a_discrete_device():
    machines = [gpu_machine("small", gpu_gib=16), gpu_machine("large", gpu_gib=48)]
    decision = place([pod("p", accelerator_gib=40)], machines)[0]
    assert decision["agentMachineId"] == machine_id("large")
    reason = only_rejection(decision, "small")
    assert reason["code"] == "memory-fit"
    assert reason["field"] == "$.resources.accelerators[0].memoryBytes"
    assert "largest free: %d bytes" % (16 << 30) in reason["message"]


def test_memory_fit_of_unified_memory_counts_the_ram():
    # 24 GiB, 10 % reserved: 21.6 GiB allocatable; 8 GiB of RAM + 16 GiB for the GPU do not fit.
    machines = [asahi_machine("mac", memory_gib=24), asahi_machine("big", memory_gib=64)]
    decision = place([pod("p", accelerator="vulkan", memory_gib=8, accelerator_gib=16)], machines)[0]
    assert decision["agentMachineId"] == machine_id("big")
    reason = only_rejection(decision, "mac")
    assert reason["code"] == "memory-fit"
    assert "unified memory" in reason["message"]


def test_mig_instances_are_the_devices():
    a100 = machine("a100", devices=[gpu(0, 40, mig_instances=[20, 20])])
    decision = place([pod("p", accelerator_gib=24)], [a100, gpu_machine("other", gpu_gib=24)])[0]
    assert decision["agentMachineId"] == machine_id("other")
    assert only_rejection(decision, "a100")["code"] == "memory-fit"


def test_ram_fit():
    machines = [gpu_machine("small", memory_gib=8), gpu_machine("large", memory_gib=64)]
    decision = place([pod("p", memory_gib=16)], machines)[0]
    reason = only_rejection(decision, "small")
    assert (reason["code"], reason["field"]) == ("ram-fit", "$.resources.memoryBytes")
    assert decision["agentMachineId"] == machine_id("large")


def test_cpu_fit():
    machines = [gpu_machine("small", threads=2), gpu_machine("large", threads=32)]
    decision = place([pod("p", cpu=4.0)], machines)[0]
    reason = only_rejection(decision, "small")
    assert (reason["code"], reason["field"]) == ("cpu-fit", "$.resources.cpu")
    assert reason["message"] == "needs 4 CPUs, 2 of 2 allocatable free"


def test_workroom_anti_affinity():
    machines = [gpu_machine("a", gpus=2), gpu_machine("b", gpus=2)]
    pods = [pod("p1", accelerator_gib=4), pod("p2", accelerator_gib=4)]
    decisions = place(pods, machines, anti_affinity={"workroom:a": 1})
    assert decisions[0]["agentMachineId"] != decisions[1]["agentMachineId"]
    reason = only_rejection(decisions[1], decisions[0]["agentMachineId"].rsplit(":", 1)[1])
    assert reason["code"] == "workroom-anti-affinity"
    assert reason["message"] == "already 1 pod of workroom workroom:a here, at most 1 allowed"


def test_optional_accelerator_falls_back_to_the_cpu():
    decision = place([pod("p", required=False, accelerator_gib=4)], [edge_machine("edge")])[0]
    assert decision["status"] == "placed"
    assert decision["agentMachineId"] == machine_id("edge")


@pytest.mark.parametrize("slug_filter", [("small", "ram-fit"), ("tiny", "cpu-fit")])
def test_a_machine_failing_several_filters_lists_every_reason(slug_filter):
    machines = [gpu_machine("small", memory_gib=4, threads=1, arch="aarch64"), gpu_machine("tiny", memory_gib=4, threads=1)]
    decision = place([pod("p", cpu=2.0, memory_gib=8, architectures=["x86_64"])], machines)[0]
    slug, code = slug_filter
    assert code in reasons_of(decision, slug)
    assert set(reasons_of(decision, "small")) == {"arch-mismatch", "ram-fit", "cpu-fit"}


def test_unified_device_label_does_not_break_on_apple_gpu():
    decision = place([pod("p", accelerator="vulkan", accelerator_gib=2, memory_gib=2)], [machine("m", devices=[apple_gpu()])])[0]
    assert decision["status"] == "placed"
