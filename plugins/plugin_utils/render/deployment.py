# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render one AgentPod for one machine: the files to write, the DeploymentReceipt and the plan digest.

The target follows the pod: ``kubernetes-pod`` pods become Kubernetes
manifests (one multi-document YAML file), every other pod type Quadlet
units. ``machine`` is the target's AgentMachine document (a Kubernetes
render may give only its id). The podman version comes from the machine's probe document unless
given, and a Quadlet render for a machine without podman is refused.
"""

from __future__ import annotations

import yaml

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import ContractError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import plan_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.deployment_receipt import deployment_receipt
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.kubernetes import render_manifests
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import (
    RenderError, _get, _plain, render_container,
)

__all__ = ["TARGETS", "health_url", "render_deployment"]

TARGETS = ("quadlet", "kubernetes")


def _provider(pod, provider):
    if provider is None:
        provider = pod["providerId"]
    try:
        return catalog.provider(provider) if isinstance(provider, str) else _plain(provider, "InferenceProvider")
    except catalog.CatalogError as exc:
        raise RenderError("provider", str(exc))
    except ContractError as exc:
        raise RenderError("provider", str(exc))


def _podman_version(machine, podman_version):
    if podman_version:
        return podman_version
    if not _get(machine, "runtime", "podman", "available"):
        raise RenderError("machine.runtime.podman", "the node has no podman (the probe found none), so Quadlet "
                                                    "units cannot run there")
    version = _get(machine, "runtime", "podman", "version")
    if not version:
        raise RenderError("machine.runtime.podman.version", "the probe document has no podman version; pass podman_version")
    return version


def _quadlet(pod, provider, machine, podman_version, volume_paths):
    if isinstance(machine, str):
        raise RenderError("machine", "a Quadlet render needs the target's AgentMachine document, not only its id")
    version = _podman_version(machine, podman_version)
    rendered = render_container(pod, provider, machine, version, volume_paths=volume_paths)
    files = [{"name": unit["name"], "kind": unit["kind"], "text": unit["text"]} for unit in rendered["units"]]
    parameters = {"podmanVersion": version, "volumePaths": volume_paths or {}}
    return files, files, rendered["notes"], parameters, rendered["directories"]


def _kubernetes(pod, provider, storage_classes, namespace, device_resources):
    manifests = render_manifests(pod, provider, storage_classes, namespace=namespace, device_resources=device_resources)
    text = yaml.safe_dump_all(manifests, sort_keys=True, default_flow_style=False)
    files = [{"name": pod["workload"]["name"] + ".yaml", "kind": "kubernetes-manifests", "text": text}]
    parameters = {"storageClasses": storage_classes or {}, "namespace": namespace,
                  "deviceResources": device_resources or {}}
    return files, manifests, ["Kubernetes NetworkPolicy denies all egress of the pod"], parameters, []


def health_url(pod, provider):
    """The provider's health URL as the node sees it (first port published on the node), or None."""
    for port in pod["ports"]:
        if port["exposure"] in ("loopback", "host"):
            return "http://127.0.0.1:%d%s" % (port.get("hostPort") or port["containerPort"], provider["healthPath"])
    return None


def render_deployment(pod, machine=None, provider=None, target=None, podman_version=None, volume_paths=None,
                      storage_classes=None, namespace=None, device_resources=None, placement_decision_id=None,
                      recorded_at=None):
    """Render ``pod`` for ``machine``; RenderError (field named) when it cannot.

    Returns ``{"target", "files", "manifests", "notes", "deploymentReceipt",
    "planDigest", "healthUrl", "directories"}``: ``files`` are ``{"name", "kind", "text"}``
    to write on the target; ``manifests`` the Kubernetes documents (empty for
    Quadlet); ``healthUrl`` None when no port is published on the node;
    ``directories`` the node folders the server needs (its slot cache).
    """
    try:
        pod = _plain(pod, "AgentPod")
    except ContractError as exc:
        raise RenderError("pod", str(exc))
    provider = _provider(pod, provider)
    if not machine:
        raise RenderError("machine", "the target's AgentMachine document (or, for Kubernetes, its id) is required")
    target = target or ("kubernetes" if pod["podType"] == "kubernetes-pod" else "quadlet")
    if target not in TARGETS:
        raise RenderError("target", "expected one of %s, got %r" % (", ".join(TARGETS), target))
    if target == "quadlet":
        files, artifacts, notes, parameters, directories = _quadlet(pod, provider, machine, podman_version, volume_paths)
    else:
        files, artifacts, notes, parameters, directories = _kubernetes(pod, provider, storage_classes, namespace,
                                                                       device_resources)
    receipt = deployment_receipt(pod, provider, machine, artifacts, recorded_at=recorded_at,
                                 placement_decision_id=placement_decision_id, parameters=parameters)
    return {"target": target, "files": files, "manifests": artifacts if target == "kubernetes" else [],
            "notes": notes, "deploymentReceipt": receipt, "planDigest": plan_digest(receipt),
            "healthUrl": health_url(pod, provider) if target == "quadlet" else None, "directories": directories}
