"""NFD/GFD label conventions."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.labels import build_labels, label_value

NFD = "feature.node.kubernetes.io/"


@pytest.mark.parametrize("raw, expected", [
    ("NVIDIA A100-SXM4-40GB", "NVIDIA-A100-SXM4-40GB"),
    ("  spaced  out ", "spaced-out"),
    ("x" * 80, "x" * 63),
    ("-lead/trail.", "lead-trail"),
])
def test_label_value_is_a_valid_kubernetes_value(raw, expected):
    assert label_value(raw) == expected


def test_kernel_and_os_labels():
    host = {"kernel": {"release": "6.8.0-45-generic"}, "os": {"id": "ubuntu", "versionId": "24.04"}}
    labels = build_labels(host, {}, {}, [], {})
    assert labels[NFD + "kernel-version.full"] == "6.8.0-45-generic"
    assert labels[NFD + "kernel-version.major"] == "6"
    assert labels[NFD + "kernel-version.minor"] == "8"
    assert labels[NFD + "kernel-version.revision"] == "0"
    assert labels[NFD + "system-os_release.VERSION_ID.major"] == "24"
    assert labels[NFD + "system-os_release.VERSION_ID.minor"] == "04"


def test_pci_labels_follow_the_nfd_class_whitelist():
    devices = [
        {"classId": "0x030200", "vendorId": "0x10de"},   # 3D controller
        {"classId": "0x120000", "vendorId": "0x1002"},   # processing accelerator
        {"classId": "0x0b4000", "vendorId": "0x8086"},   # co-processor
        {"classId": "0x020000", "vendorId": "0x8086"},   # ethernet: not whitelisted
    ]
    labels = build_labels({}, {}, {}, devices, {})
    assert sorted(k for k in labels if "pci-" in k) == [
        NFD + "pci-0302_10de.present", NFD + "pci-0b40_8086.present", NFD + "pci-1200_1002.present"]


def test_cpu_labels():
    cpu = {"vendor": "GenuineIntel", "family": "6", "modelId": "143", "flags": ["avx512f", "amx_tile"]}
    labels = build_labels({}, cpu, {}, [], {})
    assert labels[NFD + "cpu-cpuid.AVX512F"] == "true"
    assert labels[NFD + "cpu-cpuid.AMX_TILE"] == "true"
    assert labels[NFD + "cpu-model.vendor_id"] == "Intel"
    assert labels[NFD + "cpu-model.family"] == "6"
    assert labels[NFD + "cpu-model.id"] == "143"


def test_no_nvidia_labels_without_a_cuda_device():
    accelerators = {"devices": [{"vendor": "nvidia", "type": "unknown", "name": "x"}], "types": {"cpu": True}}
    labels = build_labels({}, {}, accelerators, [], {"name": "linux-edge-node"})
    assert not any(k.startswith("nvidia.com/") for k in labels)
    assert labels["agent-machine.sourceos.io/accelerator.cpu"] == "true"
