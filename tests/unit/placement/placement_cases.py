# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small fleets and pods for the placement tests, built from the contract examples."""

import copy
import hashlib
import json
import os

CONTRACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "contracts", "examples")
URN = "urn:srcos:agent-machine:"
GIB = 1 << 30
DECIDED_AT = "2026-03-02T09:33:00Z"
ALL_CLASSES = ["agent-models", "agent-cache-warm", "agent-cache-hot"]


def load_example(name):
    with open(os.path.join(CONTRACTS, name), encoding="utf-8") as handle:
        return json.load(handle)


def digest(text):
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def gpu(index, memory_gib, kind="cuda", mig_instances=None):
    device = {
        "index": index, "type": kind, "vendor": "nvidia" if kind == "cuda" else "amd", "vendorId": None, "deviceId": None,
        "name": "GPU %d" % index, "uuid": None, "memoryBytes": memory_gib * GIB, "unifiedMemory": False,
        "computeCapability": None, "architecture": None, "pciAddress": None, "driver": None, "renderNode": None,
        "mig": None, "source": "test",
    }
    if mig_instances:
        device["mig"] = {"mode": "enabled", "pendingMode": None, "instances": [
            {"index": number, "uuid": None, "name": None, "memoryBytes": size * GIB, "gpuInstanceId": number,
             "computeInstanceId": 0} for number, size in enumerate(mig_instances)]}
    return device


def apple_gpu():
    return {
        "index": 0, "type": "vulkan", "vendor": "apple", "vendorId": None, "deviceId": None, "name": "Apple M2 GPU (AGX)",
        "uuid": None, "memoryBytes": None, "unifiedMemory": True, "computeCapability": None, "architecture": None,
        "pciAddress": None, "driver": "asahi", "renderNode": "/dev/dri/renderD128", "mig": None, "source": "test",
    }


def machine(slug, arch="x86_64", profile="linux-gpu-node", threads=16, memory_gib=64, devices=(), vulkan=False):
    """An AgentMachine document (the M2 example with the given facts)."""
    document = load_example("agent-machine.json")
    document["id"] = URN + "machine:" + slug
    document["host"]["hostname"] = slug
    document["host"]["arch"] = arch
    document["cpu"]["threads"] = document["cpu"]["cores"] = threads
    document["memory"]["totalBytes"] = document["memory"]["availableBytes"] = memory_gib * GIB
    document["accelerators"]["devices"] = list(devices)
    document["accelerators"]["nvidia"] = None
    types = set(device["type"] for device in devices)
    document["accelerators"]["types"] = {"cpu": True, "cuda": "cuda" in types, "rocm": "rocm" in types,
                                         "vulkan": vulkan or "vulkan" in types, "metal": False, "mlx": False}
    document["profile"] = {"name": profile, "evidence": ["test machine"]}
    document["labels"] = {}
    return document


def gpu_machine(slug, gpus=1, gpu_gib=24, **kwargs):
    return machine(slug, devices=[gpu(index, gpu_gib) for index in range(gpus)], **kwargs)


def asahi_machine(slug, memory_gib=24):
    return machine(slug, arch="aarch64", profile="m2-asahi-linux", threads=8, memory_gib=memory_gib, devices=[apple_gpu()])


def edge_machine(slug, threads=8, memory_gib=32, arch="x86_64"):
    return machine(slug, arch=arch, profile="linux-edge-node", threads=threads, memory_gib=memory_gib)


def pod(slug, cpu=2.0, memory_gib=8, accelerator="cuda", required=True, count=1, accelerator_gib=8,
        model="model-a", model_bytes=4 * 10 ** 9, prefixes=(), prefix_tokens=0, token_counts=None, workroom="workroom:a",
        profiles=(), architectures=(), machine_ids=(), storage=("agent-models", "agent-cache-warm"), exposure="loopback",
        provider="llama-cpp"):
    """An AgentPod document (the example pod with the given needs)."""
    document = load_example("agent-pod.json")
    document["id"] = URN + "pod:" + slug
    document["providerId"] = URN + "provider:" + provider
    document["workload"]["name"] = slug
    document["workload"]["workroomRef"] = workroom
    accelerators = []
    if accelerator:
        accelerators.append({"type": accelerator, "required": required, "count": count,
                             "memoryBytes": None if accelerator_gib is None else accelerator_gib * GIB})
    document["resources"] = {"cpu": cpu, "memoryBytes": memory_gib * GIB, "accelerators": accelerators}
    document["storage"] = [{"volumeClass": name, "mountPath": "/mnt/%d" % position, "accessMode": "read-write",
                            "sizeBytes": None, "encryptionRequired": False, "quotaRequired": False}
                           for position, name in enumerate(storage)]
    document["ports"] = [{"name": "http", "containerPort": 8080, "hostPort": None, "exposure": exposure}]
    document["model"] = {"ref": "hf://test/%s.gguf" % model, "digest": digest("model " + model), "sizeBytes": model_bytes,
                         "format": "gguf"}
    context = {"prefixDigests": list(prefixes), "prefixTokens": prefix_tokens}
    if token_counts is not None:
        context["prefixTokenCounts"] = list(token_counts)
    document["context"] = context
    document["placement"] = {"architectures": list(architectures), "profiles": list(profiles), "machineIds": list(machine_ids)}
    return document


def classes_for(machines, classes=None):
    return {document["id"]: list(classes or ALL_CLASSES) for document in machines}


def machine_id(slug):
    return URN + "machine:" + slug


def reasons_of(decision, slug):
    """{code: reason} of one machine's rejection in a decision."""
    for candidate in decision["candidates"]:
        if candidate["agentMachineId"] == machine_id(slug):
            return {reason["code"]: reason for reason in candidate["rejectionReasons"]}
    raise AssertionError("no candidate %s" % slug)


def candidate(decision, slug):
    for entry in decision["candidates"]:
        if entry["agentMachineId"] == machine_id(slug):
            return entry
    raise AssertionError("no candidate %s" % slug)


def copied(document, **changes):
    document = copy.deepcopy(document)
    document.update(changes)
    return document
