# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reason codes of the activation decision and what would make each one pass.

Codes are stable, kebab-case and distinct: tests, playbooks and operators
match on them. ``REQUIREMENTS`` maps every code to a short imperative
sentence for ``requiredBeforeActivation``; ``{subject}`` is filled with the
volume class, port or tool the reason is about.
"""

from __future__ import annotations

__all__ = ["REQUIREMENTS", "CODES", "requirement"]

REQUIREMENTS = {
    # The call itself.
    "internal-error": "fix the evaluator error and evaluate again",
    "decision-time-invalid": "give the decision time as an RFC 3339 UTC timestamp",
    "expected-invalid": "give expected as a mapping of planDigest and artifactDigests only",
    # AgentPod.
    "pod-missing": "supply the AgentPod",
    "pod-invalid": "fix the AgentPod so it validates against its contract",
    "pod-privileged": "set policy.allowPrivileged false in the AgentPod",
    "pod-host-network": "use a networkMode other than host, or get host networking allowed by pod and policy",
    "pod-secret-in-spec": "move secret values from env and args to secretEnv references",
    "image-not-pinned": "pin the image by digest (runtime.imageDigest or image@sha256:...)",
    "image-digest-conflict": "make runtime.imageDigest and the image's @sha256 digest agree",
    # PolicyAdmission.
    "policy-missing": "supply a PolicyAdmission for this activation",
    "policy-invalid": "fix the PolicyAdmission so it validates against its contract",
    "policy-denied": "obtain a PolicyAdmission whose decision status is allowed",
    "policy-not-authorized": "obtain a PolicyAdmission with authorizationGranted true",
    "policy-not-for-activation": "obtain a PolicyAdmission with requestType activation",
    "policy-expired": "obtain a PolicyAdmission that has not expired at the decision time",
    "policy-not-yet-valid": "use a PolicyAdmission decided before the decision time",
    "policy-wrong-pod": "obtain a PolicyAdmission issued for this pod",
    "policy-wrong-machine": "obtain a PolicyAdmission issued for this machine",
    "policy-wrong-plan": "obtain a PolicyAdmission issued for the rendered plan",
    "policy-wrong-provider": "obtain a PolicyAdmission issued for the pod's provider",
    "policy-scope-exposure": "get port exposure {subject} allowed by the policy scope",
    "policy-scope-volume-class": "get volume class {subject} allowed by the policy scope",
    "policy-scope-provider": "get the pod's provider allowed by the policy scope",
    "policy-scope-side-effect": "get side effect {subject} allowed by the policy scope",
    "policy-scope-cache-reuse": "get cache reuse allowed by the policy scope",
    # AgentRegistryGrant.
    "grant-missing": "supply an AgentRegistryGrant for this activation",
    "grant-invalid": "fix the AgentRegistryGrant so it validates against its contract",
    "grant-denied": "obtain an active AgentRegistryGrant",
    "grant-not-authorized": "obtain an AgentRegistryGrant with authorizationGranted true",
    "grant-expired": "obtain an AgentRegistryGrant that has not expired at the decision time",
    "grant-not-yet-valid": "use an AgentRegistryGrant issued before the decision time",
    "grant-revoked": "obtain a new, unrevoked AgentRegistryGrant",
    "grant-revocation-unknown": "obtain an AgentRegistryGrant whose revocation status is known",
    "grant-wrong-identity": "obtain an AgentRegistryGrant for the pod's agent identity",
    "grant-wrong-workroom": "obtain an AgentRegistryGrant for the pod's workroom",
    "grant-wrong-pod": "obtain an AgentRegistryGrant issued for this pod",
    "grant-wrong-machine": "obtain an AgentRegistryGrant issued for this machine",
    "grant-scope-provider": "get the pod's provider allowed by the grant scope",
    "grant-scope-model": "get the pod's model allowed by the grant scope",
    "grant-scope-tools": "get tool {subject} allowed by the grant scope",
    "grant-scope-storage": "get storage:{subject} allowed by the grant scope",
    # StorageReceipts.
    "storage-receipts-invalid": "give the storage receipts as a list of StorageReceipt documents",
    "storage-receipt-invalid": "fix the StorageReceipt for {subject} so it validates against its contract",
    "storage-receipt-missing": "provision {subject} on this machine and supply its StorageReceipt",
    "storage-receipt-wrong-machine": "supply the StorageReceipt of {subject} observed on this machine",
    "storage-receipt-wrong-pod": "supply a StorageReceipt of {subject} for this pod or shared by the machine",
    "storage-receipt-planned": "provision {subject} (not in check mode) and supply its StorageReceipt",
    "storage-not-mounted": "mount {subject}",
    "storage-world-writable": "remove world write access from the path of {subject}",
    "storage-symlink-traversal": "mount {subject} on a path without symbolic links",
    "storage-encryption-required": "encrypt {subject}",
    "storage-quota-required": "enforce a quota on {subject}",
    "storage-mismatch": "fix what the StorageReceipt of {subject} reports as mismatched",
    # DeploymentReceipt.
    "deployment-receipt-missing": "render the pod and supply its DeploymentReceipt",
    "deployment-receipt-invalid": "fix the DeploymentReceipt so it validates against its contract",
    "deployment-receipt-mismatch": "render this pod for this machine and supply the matching DeploymentReceipt",
    "deployment-receipt-planned": "render and write the units (not in check mode or a plan)",
    # AgentMachine.
    "machine-missing": "supply the probed AgentMachine",
    "machine-invalid": "probe the machine again so its AgentMachine validates",
    "machine-mismatch": "place the pod on a machine that meets its placement and accelerator constraints",
}

CODES = tuple(sorted(REQUIREMENTS))


def requirement(code, subject=None):
    """The imperative sentence that would make reason ``code`` pass."""
    text = REQUIREMENTS.get(code, "resolve %s" % code)
    return text.replace("{subject}", subject or "the volume")
