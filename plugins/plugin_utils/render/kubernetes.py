# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render an AgentPod as Kubernetes manifests (pure functions, controller side).

Output, in apply order: Namespace, ServiceAccount (no token mounted), one
PersistentVolumeClaim per durable volume on the TopoLVM StorageClass of its
volume class (``topolvm-<device class>``, see ``storage.topolvm``), the
Deployment (1 replica, ``Recreate``: a ReadWriteOnce claim cannot be
shared by two revisions), a ClusterIP Service, and a NetworkPolicy that
denies all egress and admits ingress only on the service ports.

Sizes: a volume's ``sizeBytes``; without one, the models claim is the model
size plus 10 % (at least 1 GiB) and the other claims ``DEFAULT_CLAIM_BYTES``.
``agent-cache-hot`` and ``runtime-managed`` mounts are ``emptyDir``
(memory-backed for the hot cache), sized by ``sizeLimit``.

Security context: ``readOnlyRootFilesystem``, no privilege escalation, all
capabilities dropped, ``RuntimeDefault`` seccomp, a writable ``/tmp``
emptyDir with ``HOME=/tmp``.

Accelerators are requested as device-plugin resources (``DEVICE_RESOURCES``):
``nvidia.com/gpu`` (NVIDIA device plugin), ``amd.com/gpu`` (ROCm device
plugin) and, for Vulkan (Asahi, Mesa), ``squat.ai/dri``: the generic device
plugin advertising ``/dev/dri`` under the device name ``dri``. A cluster
that names the resource differently passes ``device_resources``; a CPU pod
requests none. ``runAsNonRoot`` is per provider
(``RUN_AS_NON_ROOT``): llama.cpp, vLLM and Ollama run as uid 1000 (they
write only to mounts and ``HOME``); SGLang stays on the image's user, as
its image builds kernels just in time under root-owned paths.
"""

from __future__ import annotations

import re

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import (
    RenderError, _accelerator, _image, _plain, server_command,
)

__all__ = ["DEFAULT_CLAIM_BYTES", "DEVICE_RESOURCES", "RUN_AS_NON_ROOT", "render_manifests"]

GIB = 1024 ** 3
DEFAULT_CLAIM_BYTES = 10 * GIB
RUN_AS_NON_ROOT = {"llama.cpp": True, "vllm": True, "sglang": False, "ollama": True}
NON_ROOT_UID = 1000
DEVICE_RESOURCES = {"cuda": "nvidia.com/gpu", "rocm": "amd.com/gpu", "vulkan": "squat.ai/dri"}
_RESOURCE_NAME = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_EPHEMERAL_CLASSES = ("agent-cache-hot",)
_SECRET_REF = re.compile(r"^kubernetes-secret:([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/([-._a-zA-Z0-9]+)$")


def _dns(text):
    slug = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return slug[:63].rstrip("-") or "agent"


def _claim_size(pod, mount):
    if mount.get("sizeBytes"):
        return mount["sizeBytes"]
    if mount["volumeClass"] == "agent-models":
        return max(GIB, pod["model"]["sizeBytes"] * 11 // 10)
    return DEFAULT_CLAIM_BYTES


def _volumes(pod, name, namespace, labels, storage_class_by_volume_class):
    claims, volumes, mounts = [], [], []
    for index, mount in enumerate(pod["storage"]):
        volume_name = "%s-%d" % (mount["volumeClass"], index)
        read_only = mount["accessMode"] == "read-only"
        if mount["volumeClass"] in _EPHEMERAL_CLASSES or mount["accessMode"] == "runtime-managed":
            empty = {"sizeLimit": str(_claim_size(pod, mount))}
            if mount["volumeClass"] == "agent-cache-hot":
                empty["medium"] = "Memory"
            volumes.append({"name": volume_name, "emptyDir": empty})
        else:
            storage_class = storage_class_by_volume_class.get(mount["volumeClass"])
            if not storage_class:
                raise RenderError("$.storage[%d].volumeClass" % index, "no StorageClass is given for volume class %s" %
                                  mount["volumeClass"])
            claim = "%s-%s" % (name, mount["volumeClass"])[:253]
            claims.append({
                "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": claim, "namespace": namespace, "labels": dict(labels)},
                "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
                         "resources": {"requests": {"storage": str(_claim_size(pod, mount))}}},
            })
            volumes.append({"name": volume_name, "persistentVolumeClaim": {"claimName": claim, "readOnly": read_only}})
        mounts.append({"name": volume_name, "mountPath": mount["mountPath"], "readOnly": read_only})
    if not any(mount["mountPath"] == "/tmp" for mount in pod["storage"]):
        volumes.append({"name": "tmp", "emptyDir": {"sizeLimit": str(GIB)}})
        mounts.append({"name": "tmp", "mountPath": "/tmp", "readOnly": False})
    return claims, volumes, mounts


def _env(pod, env):
    items = [{"name": key, "value": env[key]} for key in sorted(env)]
    if "HOME" not in env:
        items.append({"name": "HOME", "value": "/tmp"})
    for index, secret in enumerate(pod["runtime"]["secretEnv"]):
        match = _SECRET_REF.match(secret["secretRef"])
        if not match:
            raise RenderError("$.runtime.secretEnv[%d].secretRef" % index,
                              "Kubernetes reads secrets from a Secret: expected kubernetes-secret:<name>/<key>")
        items.append({"name": secret["name"], "valueFrom": {"secretKeyRef": {"name": match.group(1), "key": match.group(3)}}})
    return items


def _device_resource(accelerator, device_resources):
    if accelerator == "cpu":
        return None
    resources = dict(DEVICE_RESOURCES)
    resources.update(device_resources or {})
    name = resources.get(accelerator)
    field = "device_resources.%s" % accelerator
    if not name:
        raise RenderError(field, "no device-plugin resource name is known for accelerator %s; the pod would run "
                                 "without its device" % accelerator)
    if not _RESOURCE_NAME.match(name):
        raise RenderError(field, "expected an extended resource name such as vendor.example/gpu, got %r" % name)
    return name


def render_manifests(pod, provider, storage_class_by_volume_class, namespace=None, device_resources=None):
    """The manifests (list of dicts) that run ``pod`` on Kubernetes; RenderError when it cannot.

    ``device_resources`` maps an accelerator type to the device-plugin resource
    name the cluster advertises (overrides ``DEVICE_RESOURCES``).
    """
    pod = _plain(pod, "AgentPod")
    provider = _plain(provider, "InferenceProvider")
    if pod["providerId"] != provider["id"]:
        raise RenderError("$.providerId", "the pod names provider %s, not %s" % (pod["providerId"], provider["id"]))
    if pod["policy"]["allowPrivileged"]:
        raise RenderError("$.policy.allowPrivileged", "privileged containers are never rendered; set it to false")
    mode = pod["runtime"]["networkMode"]
    if mode == "host" and not pod["policy"]["allowHostNetwork"]:
        raise RenderError("$.runtime.networkMode", "host networking needs policy.allowHostNetwork true")
    request = _accelerator(pod, provider)
    image = _image(pod)
    name = pod["workload"]["name"]
    namespace = namespace or _dns("agent-" + name)
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "sourceos.agent_machine",
              "app.kubernetes.io/component": "inference"}
    selector = {"app.kubernetes.io/name": name}
    ports = [port for port in pod["ports"] if port["exposure"] != "none"] or (
        [] if mode == "none" else [{"name": "http", "containerPort": provider["defaultPort"]}])
    port = ports[0]["containerPort"] if ports else provider["defaultPort"]
    args, env = server_command(pod, provider, "127.0.0.1" if mode == "none" else "0.0.0.0", port)
    claims, volumes, mounts = _volumes(pod, name, namespace, labels, storage_class_by_volume_class or {})

    resources = {"cpu": str(pod["resources"]["cpu"]), "memory": str(pod["resources"]["memoryBytes"])}
    gpu = _device_resource(request["type"], device_resources)
    limits = dict(resources)
    if gpu:
        limits[gpu] = str(max(1, request.get("count") or 0))
    security = {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "privileged": False,
                "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
    pod_security = {"seccompProfile": {"type": "RuntimeDefault"}}
    if RUN_AS_NON_ROOT.get(provider["name"], False):
        security.update({"runAsNonRoot": True, "runAsUser": NON_ROOT_UID, "runAsGroup": NON_ROOT_UID})
        pod_security.update({"runAsNonRoot": True, "fsGroup": NON_ROOT_UID})
    probe_port = ports[0]["name"] if ports else port
    container = {
        "name": "server", "image": image, "imagePullPolicy": "IfNotPresent",
        "args": args, "env": _env(pod, env),
        "ports": [{"name": item["name"], "containerPort": item["containerPort"], "protocol": "TCP"} for item in ports],
        "resources": {"requests": resources, "limits": limits},
        "securityContext": security,
        "volumeMounts": mounts,
    }
    entrypoint = pod["runtime"].get("entrypoint") or provider.get("entrypoint")
    if entrypoint:
        container["command"] = list(entrypoint)
    if ports:
        http = {"path": provider["healthPath"], "port": probe_port}
        container["startupProbe"] = {"httpGet": dict(http), "periodSeconds": 10, "failureThreshold": 90}
        container["readinessProbe"] = {"httpGet": dict(http), "periodSeconds": 10, "failureThreshold": 3}
        container["livenessProbe"] = {"httpGet": dict(http), "periodSeconds": 30, "timeoutSeconds": 10, "failureThreshold": 3}
    restart = pod["runtime"]["restartPolicy"]
    if restart == "never":
        raise RenderError("$.runtime.restartPolicy", "a Deployment always restarts its pod; restartPolicy never cannot be "
                                                     "rendered for Kubernetes (on-failure and always can)")
    spec = {
        "serviceAccountName": name, "automountServiceAccountToken": False, "enableServiceLinks": False,
        "securityContext": pod_security, "containers": [container], "volumes": volumes,
    }
    if mode == "host":
        spec["hostNetwork"] = True
    manifests = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": dict(labels)}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
         "automountServiceAccountToken": False},
    ]
    manifests.extend(claims)
    manifests.append({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels),
                     "annotations": {"sourceos.dev/agent-pod": pod["id"], "sourceos.dev/provider": provider["id"]}},
        "spec": {"replicas": 1, "strategy": {"type": "Recreate"}, "selector": {"matchLabels": dict(selector)},
                 "template": {"metadata": {"labels": dict(labels)}, "spec": spec}},
    })
    if ports:
        manifests.append({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {"type": "ClusterIP", "selector": dict(selector),
                     "ports": [{"name": item["name"], "port": item["containerPort"], "targetPort": item["name"],
                                "protocol": "TCP"} for item in ports]},
        })
    manifests.append({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {"podSelector": {"matchLabels": dict(selector)}, "policyTypes": ["Ingress", "Egress"], "egress": [],
                 "ingress": [{"ports": [{"protocol": "TCP", "port": item["containerPort"]} for item in ports]}] if ports else []},
    })
    return manifests
