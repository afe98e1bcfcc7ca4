"""Profile rules, their order, and their evidence."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.profile import PROFILES, classify_profile

APPLE_HOST = {"deviceTree": {"compatible": ["apple,j413", "apple,t8112", "apple,arm-platform"]}, "os": {"id": "fedora-asahi-remix"}}
APPLE_CPU = {"parts": [{"implementer": "0x61", "part": "0x033", "name": "Avalanche", "count": 4}],
             "soc": {"compatible": "apple,t8112", "name": "Apple M2"}}
CUDA = {"devices": [{"type": "cuda", "name": "NVIDIA L40S", "vendor": "nvidia", "source": "pynvml"}]}
NO_GPU = {"devices": []}


def ctx_with(tmp_path, *files):
    for path in files:
        target = tmp_path / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")
    return ProbeContext(root=str(tmp_path))


def test_m2_asahi(tmp_path):
    verdict = classify_profile(ctx_with(tmp_path), APPLE_HOST, APPLE_CPU, NO_GPU)
    assert verdict["name"] == "m2-asahi-linux"
    assert "device tree compatible includes apple,arm-platform" in verdict["evidence"]


def test_apple_hardware_wins_over_a_kubelet(tmp_path):
    ctx = ctx_with(tmp_path, "/var/lib/kubelet/config.yaml")
    assert classify_profile(ctx, APPLE_HOST, APPLE_CPU, NO_GPU)["name"] == "m2-asahi-linux"


def test_vm_guest_on_apple_hardware_is_not_asahi(tmp_path):
    cpu = {"parts": [{"implementer": "0x61", "part": "0x000", "name": None, "count": 4}], "soc": None}
    verdict = classify_profile(ctx_with(tmp_path), {"os": {"id": "debian"}}, cpu, NO_GPU)
    assert verdict["name"] == "linux-edge-node"


def test_unknown_apple_soc_warns_and_falls_through(tmp_path):
    ctx = ctx_with(tmp_path)
    cpu = dict(APPLE_CPU, soc={"compatible": "apple,t8122", "name": "Apple T8122"})
    verdict = classify_profile(ctx, APPLE_HOST, cpu, NO_GPU)
    assert verdict["name"] == "linux-edge-node"
    assert any("SoC generation is unknown" in w for w in ctx.warnings)


def test_kubelet_node_with_gpu_is_a_kubernetes_node(tmp_path):
    ctx = ctx_with(tmp_path, "/etc/kubernetes/kubelet.conf")
    verdict = classify_profile(ctx, {"os": {"id": "ubuntu"}}, {}, CUDA)
    assert verdict == {"name": "kubernetes-node", "evidence": ["kubelet configuration present: /etc/kubernetes/kubelet.conf"]}


def test_gpu_node_evidence_names_the_device(tmp_path):
    verdict = classify_profile(ctx_with(tmp_path), {"os": {"id": "ubuntu"}}, {}, CUDA)
    assert verdict["name"] == "linux-gpu-node"
    assert verdict["evidence"] == ["cuda accelerator NVIDIA L40S (nvidia, source pynvml)"]


def test_unknown_type_gpu_does_not_make_a_gpu_node(tmp_path):
    accelerators = {"devices": [{"type": "unknown", "name": "NVIDIA (no driver)", "vendor": "nvidia", "source": "sysfs"}]}
    assert classify_profile(ctx_with(tmp_path), {"os": {}}, {}, accelerators)["name"] == "linux-edge-node"


@pytest.mark.parametrize("os_release, files", [
    ({"id": "fedora", "variantId": "silverblue"}, ()),
    ({"id": "fedora", "variantId": None}, ("/run/ostree-booted",)),
])
def test_silverblue(tmp_path, os_release, files):
    verdict = classify_profile(ctx_with(tmp_path, *files), {"os": os_release}, {}, NO_GPU)
    assert verdict["name"] == "fedora-silverblue"


def test_sourceos_workstation(tmp_path):
    verdict = classify_profile(ctx_with(tmp_path), {"os": {"id": "sourceos", "idLike": ["fedora"]}}, {}, NO_GPU)
    assert verdict["name"] == "sourceos-workstation"


def test_every_rule_outcome_is_a_known_profile(tmp_path):
    assert classify_profile(ctx_with(tmp_path), {}, {}, {})["name"] in PROFILES
