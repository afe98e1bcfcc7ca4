"""DeploymentReceipt for rendered artifacts: content digests, independent of paths."""

import copy

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import sha256_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog, kubernetes, quadlet
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.deployment_receipt import deployment_receipt

from support import render_cases as cases

WHEN = "2026-03-02T09:33:20Z"


def _quadlet():
    pod = cases.pod_for("llama.cpp", "vulkan")
    provider = catalog.provider("llama.cpp")
    return pod, provider, quadlet.render_container(pod, provider, cases.ASAHI_MACHINE, "5.4.2")


def test_quadlet_receipt_validates_and_digests_content():
    pod, provider, result = _quadlet()
    receipt = deployment_receipt(pod, provider, cases.ASAHI_MACHINE, result["units"], recorded_at=WHEN)
    validate_document("DeploymentReceipt", receipt)
    assert receipt["target"] == "quadlet" and receipt["outcome"] == "planned"
    assert [item["kind"] for item in receipt["artifacts"]] == ["quadlet-container", "quadlet-network"]
    assert receipt["artifacts"][0]["artifactDigest"] == sha256_digest(result["text"].encode("utf-8"))
    assert receipt["artifacts"][0]["sourceDigest"] == receipt["artifacts"][1]["sourceDigest"]
    assert receipt["id"] == "urn:srcos:agent-machine:deployment-receipt:coder-qwen-m2-air"


def test_receipt_is_deterministic_and_path_free():
    pod, provider, result = _quadlet()
    first = deployment_receipt(pod, provider, cases.ASAHI_MACHINE, result["units"], recorded_at=WHEN)
    moved = [dict(unit, path="/elsewhere/" + unit["name"]) for unit in result["units"]]
    second = deployment_receipt(copy.deepcopy(pod), provider, cases.ASAHI_MACHINE["id"], moved, recorded_at=WHEN)
    assert first == second
    assert "/" not in "".join(item["name"] for item in first["artifacts"])


def test_source_digest_follows_inputs():
    pod, provider, result = _quadlet()
    first = deployment_receipt(pod, provider, cases.ASAHI_MACHINE, result["units"], recorded_at=WHEN)
    pod["inference"]["contextSize"] = 4096
    second = deployment_receipt(pod, provider, cases.ASAHI_MACHINE, result["units"], recorded_at=WHEN)
    assert first["artifacts"][0]["sourceDigest"] != second["artifacts"][0]["sourceDigest"]
    assert first["artifacts"][0]["artifactDigest"] == second["artifacts"][0]["artifactDigest"]


def test_kubernetes_receipt():
    pod = cases.pod_for("vllm", "cuda")
    provider = catalog.provider("vllm")
    manifests = kubernetes.render_manifests(pod, provider, {"agent-models": "topolvm-nvme", "agent-cache-warm": "topolvm-nvme"})
    receipt = deployment_receipt(pod, provider, cases.cuda_machine(), manifests, recorded_at=WHEN, outcome="written")
    validate_document("DeploymentReceipt", receipt)
    assert receipt["target"] == "kubernetes"
    assert {item["kind"] for item in receipt["artifacts"]} == {"kubernetes-manifest"}
    assert "Deployment.vllm-cuda" in [item["name"] for item in receipt["artifacts"]]
