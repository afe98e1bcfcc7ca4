# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DeploymentReceipt for rendered Quadlet units or Kubernetes manifests.

The source digest is the digest of the canonical JSON of the inputs (pod,
provider, machine id and the render parameters); the artifact digest is
the sha256 of the artifact's text (a Kubernetes manifest: its canonical
JSON). Neither depends on where a file is written.
"""

from __future__ import annotations

import datetime

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import (
    canonical_json, document_digest, sha256_digest,
)

__all__ = ["RENDERER_VERSION", "artifact_entry", "deployment_receipt", "source_digest"]

RENDERER_VERSION = "0.1.0"
_KINDS = {".container": "quadlet-container", ".network": "quadlet-network", ".volume": "quadlet-volume"}


def _plain(document):
    return document.model_dump(by_alias=True, mode="json") if hasattr(document, "model_dump") else document


def source_digest(pod, provider, machine_id, parameters=None):
    """Digest of every input the artifacts were rendered from."""
    return document_digest({"agentPod": _plain(pod), "provider": _plain(provider), "agentMachineId": machine_id,
                            "parameters": parameters or {}})


def artifact_entry(artifact, source):
    """One receipt artifact from ``{"name", "text"[, "kind"]}`` or a Kubernetes manifest dict."""
    if "apiVersion" in artifact and "kind" in artifact:
        name = "%s.%s" % (artifact["kind"], artifact["metadata"]["name"])
        return {"kind": "kubernetes-manifest", "name": name, "sourceDigest": source,
                "artifactDigest": sha256_digest(canonical_json(artifact))}
    kind = artifact.get("kind")
    if kind is None:
        kind = next((value for suffix, value in _KINDS.items() if artifact["name"].endswith(suffix)), None)
    if kind is None:
        raise ValueError("artifact %r: cannot tell its kind from the name" % artifact["name"])
    return {"kind": kind, "name": artifact["name"], "sourceDigest": source,
            "artifactDigest": sha256_digest(artifact["text"].encode("utf-8"))}


def _slug(urn):
    return urn.rsplit(":", 1)[1]


def deployment_receipt(pod, provider, machine, artifacts, outcome="planned", recorded_at=None,
                       placement_decision_id=None, parameters=None):
    """A validated DeploymentReceipt (dict) for artifacts rendered from ``pod`` and ``provider`` for ``machine``.

    ``machine`` is an AgentMachine document or its id. ``artifacts`` are the
    renderer outputs (Quadlet ``{"name", "text"}`` units or Kubernetes
    manifests). ``parameters`` are the other render inputs (podman version,
    volume paths) and enter the source digest.
    """
    pod, provider = _plain(pod), _plain(provider)
    machine_id = machine if isinstance(machine, str) else _plain(machine)["id"]
    source = source_digest(pod, provider, machine_id, parameters)
    entries = [artifact_entry(item, source) for item in artifacts]
    target = "kubernetes" if all(item["kind"] == "kubernetes-manifest" for item in entries) else "quadlet"
    if recorded_at is None:
        recorded_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    receipt = {
        "specVersion": "0.1.0",
        "kind": "DeploymentReceipt",
        "id": "urn:srcos:agent-machine:deployment-receipt:%s-%s" % (_slug(pod["id"]), _slug(machine_id)),
        "agentPodId": pod["id"],
        "agentMachineId": machine_id,
        "providerId": provider["id"],
        "placementDecisionId": placement_decision_id,
        "target": target,
        "renderer": {"name": "sourceos.agent_machine." + target, "version": RENDERER_VERSION},
        "artifacts": entries,
        "outcome": outcome,
        "recordedAt": recorded_at,
    }
    validate_document("DeploymentReceipt", receipt, source="render")
    return receipt
