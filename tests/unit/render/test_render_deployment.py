"""render_deployment: the target follows the pod, the receipt and plan digest follow the artifacts."""

import copy

import pytest
import yaml

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import plan_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import sha256_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.deployment import render_deployment
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import RenderError

from support import render_cases as cases

RECORDED_AT = "2026-03-02T09:30:00Z"
CLASSES = {"agent-models": "topolvm-nvme", "agent-cache-warm": "topolvm-fast"}


def test_quadlet_files_receipt_and_plan_digest():
    pod = cases.pod_for("llama.cpp", "vulkan")
    result = render_deployment(pod, machine=cases.ASAHI_MACHINE, recorded_at=RECORDED_AT)
    assert result["target"] == "quadlet"
    assert [(item["name"], item["kind"]) for item in result["files"]] == [
        ("llama-cpp-vulkan.container", "quadlet-container"), ("llama-cpp-vulkan.network", "quadlet-network")]
    receipt = result["deploymentReceipt"]
    assert receipt["outcome"] == "planned" and receipt["agentMachineId"] == cases.ASAHI_MACHINE["id"]
    assert [entry["artifactDigest"] for entry in receipt["artifacts"]] == [
        sha256_digest(item["text"].encode("utf-8")) for item in result["files"]]
    assert result["planDigest"] == plan_digest(receipt)
    assert any("egress is NOT blocked" in note for note in result["notes"])
    assert result["manifests"] == []
    assert result["healthUrl"] == "http://127.0.0.1:18080/health"
    assert result["directories"] == ["/var/lib/agent-machine/cache/warm/prefix"]
    assert "--slot-save-path /cache/prefix" in result["files"][0]["text"]


def test_podman_version_comes_from_the_probe_document():
    machine = copy.deepcopy(cases.ASAHI_MACHINE)
    machine["runtime"]["podman"]["version"] = "4.4.1"
    with pytest.raises(RenderError, match="HealthCmd= needs podman 4.5 or newer; the node has podman 4.4"):
        render_deployment(cases.pod_for("llama.cpp", "cpu"), machine=machine)
    result = render_deployment(cases.pod_for("llama.cpp", "cpu"), machine=machine, podman_version="5.4.2")
    assert "Memory=" not in result["files"][0]["text"] and "PidsLimit=4096" in result["files"][0]["text"]


def test_same_inputs_same_plan_and_other_inputs_other_plan():
    pod = cases.pod_for("llama.cpp", "cpu")
    first = render_deployment(pod, machine=cases.ASAHI_MACHINE, recorded_at=RECORDED_AT)
    again = render_deployment(copy.deepcopy(pod), machine=cases.ASAHI_MACHINE, recorded_at="2027-01-01T00:00:00Z")
    assert first["planDigest"] == again["planDigest"]
    pod["runtime"]["args"] = ["--metrics"]
    changed = render_deployment(pod, machine=cases.ASAHI_MACHINE, recorded_at=RECORDED_AT)
    assert changed["planDigest"] != first["planDigest"]


@pytest.mark.parametrize("machine,field,message", [
    (None, "machine", "AgentMachine document"),
    ("urn:srcos:agent-machine:machine:m2-air", "machine", "not only its id"),
])
def test_quadlet_needs_the_machine_document(machine, field, message):
    with pytest.raises(RenderError, match="^%s: .*%s" % (field, message)):
        render_deployment(cases.pod_for("llama.cpp", "cpu"), machine=machine)


def test_machine_without_podman_is_refused():
    machine = copy.deepcopy(cases.ASAHI_MACHINE)
    machine["runtime"]["podman"] = {"available": False, "version": None, "source": "podman --version"}
    with pytest.raises(RenderError, match=r"^machine\.runtime\.podman: the node has no podman"):
        render_deployment(cases.pod_for("llama.cpp", "cpu"), machine=machine)


def test_invalid_pod_and_unknown_provider_name_the_field():
    pod = cases.pod_for("llama.cpp", "cpu")
    del pod["runtime"]["image"]
    with pytest.raises(RenderError, match=r"^pod: .*\$\.runtime\.image"):
        render_deployment(pod, machine=cases.ASAHI_MACHINE)
    with pytest.raises(RenderError, match="^provider: unknown provider 'tgi'"):
        render_deployment(cases.pod_for("llama.cpp", "cpu"), machine=cases.ASAHI_MACHINE, provider="tgi")
    with pytest.raises(RenderError, match="^target: expected one of quadlet, kubernetes"):
        render_deployment(cases.pod_for("llama.cpp", "cpu"), machine=cases.ASAHI_MACHINE, target="nomad")


def test_kubernetes_pod_renders_one_manifest_file_with_a_receipt_per_manifest():
    pod = cases.pod_for("vllm", "cuda", podType="kubernetes-pod")
    result = render_deployment(pod, machine="urn:srcos:agent-machine:machine:gpu-1", storage_classes=CLASSES,
                               recorded_at=RECORDED_AT)
    assert result["target"] == "kubernetes"
    assert [item["name"] for item in result["files"]] == ["vllm-cuda.yaml"]
    documents = list(yaml.safe_load_all(result["files"][0]["text"]))
    assert documents == result["manifests"]
    receipt = result["deploymentReceipt"]
    assert receipt["target"] == "kubernetes"
    assert len(receipt["artifacts"]) == len(documents)
    assert {entry["kind"] for entry in receipt["artifacts"]} == {"kubernetes-manifest"}
    assert any("denies all egress" in note for note in result["notes"])
