"""Kubernetes manifests for every provider: valid offline, hardened, sized from the pod."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.kubernetes import render_manifests
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import RenderError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.storage.k8s_validation import validate_manifests

from support import render_cases as cases

CLASSES = {"agent-models": "topolvm-nvme", "agent-cache-warm": "topolvm-fast"}


def by_kind(manifests):
    return {manifest["kind"]: manifest for manifest in manifests}


@pytest.mark.parametrize("provider,accelerator", cases.combinations())
def test_every_provider_validates(provider, accelerator):
    manifests = render_manifests(cases.pod_for(provider, accelerator), catalog.provider(provider), CLASSES)
    assert len(validate_manifests(manifests)) == len(manifests)
    assert [m["kind"] for m in manifests] == ["Namespace", "ServiceAccount", "PersistentVolumeClaim",
                                              "PersistentVolumeClaim", "Deployment", "Service", "NetworkPolicy"]


def test_llama_cuda_workload():
    pod = cases.pod_for("llama.cpp", "cuda")
    manifests = render_manifests(pod, catalog.provider("llama.cpp"), CLASSES)
    kinds = by_kind(manifests)
    assert kinds["ServiceAccount"]["automountServiceAccountToken"] is False
    claims = [m for m in manifests if m["kind"] == "PersistentVolumeClaim"]
    assert [(c["spec"]["storageClassName"], c["spec"]["resources"]["requests"]["storage"]) for c in claims] == [
        ("topolvm-nvme", str(pod["model"]["sizeBytes"] * 11 // 10)), ("topolvm-fast", "8589934592")]
    deployment = kinds["Deployment"]["spec"]
    assert deployment["replicas"] == 1
    spec = deployment["template"]["spec"]
    assert spec["automountServiceAccountToken"] is False
    container = spec["containers"][0]
    assert container["image"] == "ghcr.io/ggml-org/llama.cpp:server-cuda@" + cases.DIGEST
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["resources"]["limits"]["memory"] == "12884901888"
    assert container["securityContext"] == {
        "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "privileged": False,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"},
        "runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert {"name": "agent-cache-hot-2", "emptyDir": {"sizeLimit": "1073741824", "medium": "Memory"}} in spec["volumes"]
    assert kinds["Service"]["spec"]["type"] == "ClusterIP"
    policy = kinds["NetworkPolicy"]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"] and policy["egress"] == []
    assert policy["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8080}]}]


def test_rocm_gpu_resource_and_sglang_user():
    manifests = render_manifests(cases.pod_for("sglang", "rocm"), catalog.provider("sglang"), CLASSES)
    container = by_kind(manifests)["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"]["amd.com/gpu"] == "1"
    assert "runAsNonRoot" not in container["securityContext"]


def test_missing_storage_class_and_policy_refusals():
    pod = cases.pod_for("llama.cpp", "cpu")
    with pytest.raises(RenderError, match=r"\$\.storage\[1\]\.volumeClass: no StorageClass is given for volume class agent-cache-warm"):
        render_manifests(pod, catalog.provider("llama.cpp"), {"agent-models": "topolvm-nvme"})
    pod["runtime"]["networkMode"] = "host"
    with pytest.raises(RenderError, match="allowHostNetwork"):
        render_manifests(pod, catalog.provider("llama.cpp"), CLASSES)
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["imageDigest"] = None
    with pytest.raises(RenderError, match="needs the image by digest"):
        render_manifests(pod, catalog.provider("llama.cpp"), CLASSES)


def test_kubernetes_secret_refs():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["runtime"]["secretEnv"] = [{"name": "API_KEY", "secretRef": "kubernetes-secret:coder-api/key"}]
    manifests = render_manifests(pod, catalog.provider("llama.cpp"), CLASSES)
    validate_manifests(manifests)
    env = by_kind(manifests)["Deployment"]["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "coder-api", "key": "key"}}} in env
    pod["runtime"]["secretEnv"] = [{"name": "API_KEY", "secretRef": "podman-secret:x"}]
    with pytest.raises(RenderError, match="expected kubernetes-secret"):
        render_manifests(pod, catalog.provider("llama.cpp"), CLASSES)


def test_vulkan_requests_the_dri_device_resource():
    pod = cases.pod_for("llama.cpp", "vulkan")
    manifests = render_manifests(pod, catalog.provider("llama.cpp"), CLASSES)
    limits = by_kind(manifests)["Deployment"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["squat.ai/dri"] == "1"
    manifests = render_manifests(pod, catalog.provider("llama.cpp"), CLASSES, device_resources={"vulkan": "gpu.example.org/render"})
    limits = by_kind(manifests)["Deployment"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert "squat.ai/dri" not in limits and limits["gpu.example.org/render"] == "1"
    validate_manifests(manifests)


@pytest.mark.parametrize("value,message", [
    (None, "no device-plugin resource name is known for accelerator vulkan"),
    ("not a resource", "expected an extended resource name"),
])
def test_vulkan_without_a_usable_resource_name_is_refused(value, message):
    with pytest.raises(RenderError, match=r"device_resources\.vulkan: " + message):
        render_manifests(cases.pod_for("llama.cpp", "vulkan"), catalog.provider("llama.cpp"), CLASSES,
                         device_resources={"vulkan": value})


def test_cpu_pod_requests_no_device():
    manifests = render_manifests(cases.pod_for("llama.cpp", "cpu"), catalog.provider("llama.cpp"), CLASSES)
    limits = by_kind(manifests)["Deployment"]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert set(limits) == {"cpu", "memory"}
