"""The whole AgentMachine document for every captured machine."""

import json
import os

import pytest
from jsonschema import Draft202012Validator

from support import capture
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.document import build_document, machine_id
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.agent_machine import AgentMachine
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import schema_text

VALIDATOR = Draft202012Validator(json.loads(schema_text("agent-machine")))
EXPECTED_PROFILES = {
    "asahi-m1": "m1-asahi-linux",
    "asahi-m2": "m2-asahi-linux",
    "nvidia-a100-mig": "linux-gpu-node",
    "amd-gpu": "linux-gpu-node",
    "x86-vm": "linux-edge-node",
}


def probe(name, tmp_path, nvml=None):
    cap = capture.load(name)
    root = cap.materialize(str(tmp_path))
    return build_document(ProbeContext(root=root, runner=cap.runner(), nvml=nvml))


def assert_valid(document):
    VALIDATOR.validate(document)
    AgentMachine.model_validate(document)


def test_every_expected_machine_is_captured():
    assert set(EXPECTED_PROFILES) <= set(capture.machine_names())


@pytest.mark.parametrize("name", sorted(EXPECTED_PROFILES))
def test_document_validates_and_has_the_expected_profile(name, tmp_path):
    document = probe(name, tmp_path)
    assert_valid(document)
    assert document["profile"]["name"] == EXPECTED_PROFILES[name]
    assert document["profile"]["evidence"]
    assert document["accelerators"]["types"]["metal"] is False
    assert document["labels"]["agent-machine.sourceos.io/profile"] == EXPECTED_PROFILES[name]


def test_asahi_m2_document(tmp_path):
    document = probe("asahi-m2", tmp_path)
    assert document["host"]["pageSizeBytes"] == 16384
    assert document["host"]["arch"] == "aarch64"
    assert document["cpu"]["soc"] == {"compatible": "apple,t8112", "name": "Apple M2"}
    assert sorted(p["name"] for p in document["cpu"]["parts"]) == ["Avalanche", "Blizzard"]
    assert any("apple,t8112" in line for line in document["profile"]["evidence"])
    assert document["accelerators"]["types"]["vulkan"] is True
    gpus = document["accelerators"]["devices"]
    assert [g["vendor"] for g in gpus] == ["apple"]
    assert gpus[0]["unifiedMemory"] is True


def test_asahi_m1_is_not_classified_m2(tmp_path):
    document = probe("asahi-m1", tmp_path)
    assert document["cpu"]["soc"]["name"] == "Apple M1"
    assert sorted(p["name"] for p in document["cpu"]["parts"]) == ["Firestorm", "Icestorm"]
    assert document["profile"]["name"] == "m1-asahi-linux"


def test_a100_gfd_and_nfd_labels(tmp_path):
    labels = probe("nvidia-a100-mig", tmp_path)["labels"]
    assert labels["nvidia.com/gpu.product"] == "NVIDIA-A100-SXM4-40GB"
    assert labels["nvidia.com/gpu.count"] == "1"
    assert labels["nvidia.com/gpu.memory"] == "40960"
    assert labels["nvidia.com/mig.capable"] == "true"
    assert labels["nvidia.com/cuda.driver-version.full"] == "510.47.03"
    assert labels["nvidia.com/cuda.driver-version.major"] == "510"
    assert labels["nvidia.com/cuda.runtime-version.full"] == "11.6"
    assert labels["feature.node.kubernetes.io/pci-0302_10de.present"] == "true"
    assert labels["agent-machine.sourceos.io/accelerator.cuda"] == "true"


def test_a100_through_simulated_nvml_gives_the_same_labels(tmp_path):
    from support.fake_nvml import FakeNvml

    cap = capture.load("nvidia-a100-mig")
    document = probe("nvidia-a100-mig", tmp_path, nvml=FakeNvml(cap.nvml))
    assert_valid(document)
    gpu = document["accelerators"]["devices"][0]
    assert gpu["source"] == "pynvml"
    assert gpu["computeCapability"] == "8.0"
    assert len(gpu["mig"]["instances"]) == 2
    assert document["labels"]["nvidia.com/gpu.compute.major"] == "8"
    assert document["labels"]["nvidia.com/gpu.compute.minor"] == "0"
    assert document["labels"]["nvidia.com/gpu.product"] == "NVIDIA-A100-SXM4-40GB"


def test_amd_host_labels(tmp_path):
    labels = probe("amd-gpu", tmp_path)["labels"]
    assert labels["feature.node.kubernetes.io/pci-0300_1002.present"] == "true"
    assert labels["agent-machine.sourceos.io/accelerator.rocm"] == "true"
    assert not any(key.startswith("nvidia.com/") for key in labels)


def test_x86_vm_document(tmp_path):
    document = probe("x86-vm", tmp_path)
    assert document["host"]["virtualization"]["type"] == "kvm"
    assert document["accelerators"]["devices"] == []
    assert document["labels"]["feature.node.kubernetes.io/cpu-model.vendor_id"] == "Intel"


def test_empty_root_gives_partial_facts_and_warnings(tmp_path):
    document = build_document(ProbeContext(root=str(tmp_path)))
    assert_valid(document)
    assert document["host"]["hostname"] is None
    assert document["memory"]["totalBytes"] is None
    assert document["profile"]["name"] == "linux-edge-node"
    assert any("commands were not run" in w for w in document["warnings"])


def test_unreadable_source_is_a_warning_not_a_traceback(tmp_path):
    root = capture.load("x86-vm").materialize(str(tmp_path))
    cpuinfo = os.path.join(root, "proc", "cpuinfo")
    os.remove(cpuinfo)
    os.mkdir(cpuinfo)  # reading a directory fails with an OSError
    document = build_document(ProbeContext(root=root))
    assert_valid(document)
    assert document["cpu"]["threads"] is None or document["cpu"]["threads"] >= 0
    assert any("/proc/cpuinfo" in w for w in document["warnings"])


@pytest.mark.parametrize("hostname, expected", [
    ("gpu-a100-01", "urn:srcos:agent-machine:machine:gpu-a100-01"),
    ("GPU_A100.example.com", "urn:srcos:agent-machine:machine:gpu-a100-example-com"),
    (None, "urn:srcos:agent-machine:machine:unknown"),
    ("--", "urn:srcos:agent-machine:machine:m-"),
])
def test_machine_id_slug(hostname, expected):
    assert machine_id(hostname) == expected
