# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The activation decision: may this AgentPod start on this machine now?

``evaluate_activation`` checks the pod, the policy admission, the registry
grant, the storage receipts the pod references, the deployment receipt and
the probed machine against each other and against the decision time, and
returns an ActivationDecision document. It fails closed: every problem is a
reason with a stable code (see ``reasons.py``), the status is ``allowed``
only with zero reasons, and no exception escapes for any input.

Choices worth knowing:

* The plan digest is the digest of the deployment receipt's ``artifacts``
  list (canonical JSON): the rendered content, independent of file paths.
* Privileged pods are never activated; no policy field can allow them.
* Secrets in the spec: env values (by key name, value pattern and entropy),
  args and entrypoint (value pattern, key-name assignments, entropy), and
  credential-shaped values anywhere else in the pod. ``allowSecretInSpec``
  waives only the heuristic findings (key-name, high-entropy); a private
  key, bearer/basic credential, known token shape or password in a URL is
  refused regardless, since it would land in clear in units and receipts.
* Storage receipts are selected by reference: for each storage entry of the
  pod, the receipts of that volume class on this machine, preferring those
  made for this pod over those shared by the machine. Receipts of other
  classes, machines or pods are ignored. ``runtime-managed`` entries are
  provided by the container runtime (tmpfs) and need a receipt only when
  they require encryption or a quota.
* Egress: ``none`` networking has none; ``loopback`` has none only when the
  rendered artifacts include the pod's internal ``.network`` (Quadlet);
  ``kubernetes-service`` rendered for Kubernetes has the default-deny
  egress NetworkPolicy; anything else can reach out, so the activation then
  needs the ``network-egress`` side effect.
"""

from __future__ import annotations

import copy
import datetime
import re

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    SLUG_PATTERN, SPEC_VERSION, TIMESTAMP_REGEX, URN_PREFIX, urn_pattern,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    ContractError, validate_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.reasons import requirement
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.redaction import (
    contains_secret_patterns, looks_high_entropy, redact,
)

__all__ = ["evaluate_activation", "plan_digest", "parse_timestamp"]

_TIMESTAMP = re.compile(TIMESTAMP_REGEX)
_SLUG_TAIL = re.compile(r":(" + SLUG_PATTERN + r")$")
_IMAGE_DIGEST = re.compile(r"@(sha256:[0-9a-f]{64})$")
_ARG_VALUE = re.compile(r"^-{0,2}[A-Za-z_][\w.\-]*=(.*)$", re.S)
_HEURISTIC_FINDINGS = frozenset(("key-name", "high-entropy"))
_EXPECTED_KEYS = frozenset(("planDigest", "artifactDigests"))
_CACHE_CLASSES = frozenset(("agent-cache-hot", "agent-cache-warm", "agent-cache-cold"))
_LOCAL_POD_TYPES = frozenset(("local-systemd", "local-podman-quadlet"))
_MAX_TEXT = 1000
_REDACTION_KEY = b"sourceos.agent_machine activation decision"

_INPUT_KINDS = {
    "agentPod": ("AgentPod", "pod"),
    "agentMachine": ("AgentMachine", "machine"),
    "policyAdmission": ("PolicyAdmission", "policy-admission"),
    "agentRegistryGrant": ("AgentRegistryGrant", "grant"),
    "deploymentReceipt": ("DeploymentReceipt", "deployment-receipt"),
}


def parse_timestamp(value):
    """An aware UTC datetime from an RFC 3339 ``...Z`` string; ValueError otherwise (strict)."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        raise ValueError("not an RFC 3339 UTC timestamp")
    main, _sep, fraction = value[:-1].partition(".")
    parsed = datetime.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
    if fraction:
        parsed += datetime.timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    return parsed


def format_timestamp(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_digest(deployment_receipt):
    """The plan digest a PolicyAdmission names: digest of the receipt's ``artifacts``."""
    return document_digest(deployment_receipt["artifacts"])


def _text(value):
    text = " ".join(str(value).split())
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 3] + "..."


class _Reasons:
    """Collects reasons and the requirements that would make them pass."""

    def __init__(self):
        self.items = []
        self.required = set()

    def add(self, code, message, field=None, subject=None):
        self.items.append({"code": code, "message": _text(message), "field": field})
        self.required.add(requirement(code, subject))

    def sorted(self):
        unique = {(item["code"], item["field"] or "", item["message"]): item for item in self.items}
        return [unique[key] for key in sorted(unique)]

    def codes(self):
        return set(item["code"] for item in self.items)


def _validate(kind, data, code_prefix, reasons, label):
    """The validated document as a plain dict (the input), or None after adding reasons."""
    if data is None:
        reasons.add(code_prefix + "-missing", "no %s was given" % kind, None)
        return None
    try:
        validate_document(kind, data, source=label)
    except ContractError as exc:
        for path, message in exc.problems[:20] or [("$", "invalid")]:
            reasons.add(code_prefix + "-invalid", "%s %s: %s" % (kind, label, message), path)
        return None
    return data


def _ref(name, data):
    """``{id, digest}`` of an input, or None when it has no usable id or cannot be digested."""
    if not isinstance(data, dict):
        return None
    ident = data.get("id")
    if not isinstance(ident, str) or not re.match(urn_pattern(_INPUT_KINDS[name][1]), ident):
        return None
    try:
        return {"id": ident, "digest": document_digest(data)}
    except (TypeError, ValueError):
        return None


def _slug(ident, fallback):
    match = _SLUG_TAIL.search(ident) if isinstance(ident, str) else None
    return match.group(1) if match else fallback


def _not_covered(value, allowed, denied):
    return value not in allowed or value in denied


class _Evaluation:
    """One evaluation; ``run`` fills ``reasons`` and the scope."""

    def __init__(self, pod, policy, grant, storage_receipts, deployment_receipt, machine, decided_at, expected):
        self.raw = {
            "agentPod": pod, "policyAdmission": policy, "agentRegistryGrant": grant,
            "deploymentReceipt": deployment_receipt, "agentMachine": machine,
        }
        self.raw_receipts = storage_receipts
        self.raw_decided_at = decided_at
        self.raw_expected = expected
        self.reasons = _Reasons()
        self.now = None
        self.decided_at = None
        self.expected = {}
        self.pod = self.policy = self.grant = self.deployment = self.machine = None
        self.selected_receipts = []
        self.needed_side_effects = set()
        self.needed_exposures = set()
        self.egress = "unrestricted"
        self.egress_unknown = False
        self.notes = []

    # -- inputs ---------------------------------------------------------------

    def _decision_time(self):
        value = self.raw_decided_at
        if value is None:
            self.now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        elif isinstance(value, datetime.datetime) and value.tzinfo is not None and value.utcoffset() is not None:
            self.now = value.astimezone(datetime.timezone.utc)
        elif isinstance(value, str):
            try:
                self.now = parse_timestamp(value)
            except ValueError:
                self.now = None
        if self.now is None:
            self.reasons.add("decision-time-invalid", "the decision time is not an RFC 3339 UTC timestamp", "decidedAt")
            self.decided_at = format_timestamp(datetime.datetime.now(datetime.timezone.utc))
        else:
            self.decided_at = format_timestamp(self.now) if not isinstance(value, str) else value

    def _expected(self):
        value = self.raw_expected
        if value is None:
            return
        if not isinstance(value, dict):
            self.reasons.add("expected-invalid", "expected is not a mapping", "expected")
            return
        for key in sorted(str(key) for key in value if key not in _EXPECTED_KEYS):
            self.reasons.add("expected-invalid", "expected has an unknown key %s" % key[:64], "expected")
        if "planDigest" in value:
            if isinstance(value["planDigest"], str) and re.match(r"^sha256:[0-9a-f]{64}$", value["planDigest"]):
                self.expected["planDigest"] = value["planDigest"]
            else:
                self.reasons.add("expected-invalid", "expected.planDigest is not a sha256 digest", "expected.planDigest")
        if "artifactDigests" in value:
            digests = value["artifactDigests"]
            if isinstance(digests, dict):
                digests = sorted(digests.values(), key=str)
            if isinstance(digests, (list, tuple)) and all(
                    isinstance(item, str) and re.match(r"^sha256:[0-9a-f]{64}$", item) for item in digests):
                self.expected["artifactDigests"] = sorted(digests)
            else:
                self.reasons.add("expected-invalid", "expected.artifactDigests is not a list or mapping of sha256 digests",
                                 "expected.artifactDigests")

    def _documents(self):
        add = self.reasons
        self.pod = _validate("AgentPod", self.raw["agentPod"], "pod", add, "agentPod")
        self.machine = _validate("AgentMachine", self.raw["agentMachine"], "machine", add, "agentMachine")
        self.policy = _validate("PolicyAdmission", self.raw["policyAdmission"], "policy", add, "policyAdmission")
        self.grant = _validate("AgentRegistryGrant", self.raw["agentRegistryGrant"], "grant", add, "agentRegistryGrant")
        self.deployment = _validate("DeploymentReceipt", self.raw["deploymentReceipt"], "deployment-receipt", add,
                                    "deploymentReceipt")

    def _time(self, value, code, field, what):
        """Parse a timestamp of a validated document; an impossible date is a reason, not an exception."""
        try:
            return parse_timestamp(value)
        except ValueError:
            self.reasons.add(code, "%s is not a valid date" % what, field)
            return None

    # -- pod --------------------------------------------------------------------

    def _check_pod(self):
        pod, add = self.pod, self.reasons.add
        policy = pod.get("policy", {})
        runtime = pod["runtime"]
        if policy.get("allowPrivileged", False):
            add("pod-privileged", "pod %s asks to run privileged, which activation never allows" % pod["id"],
                "$.policy.allowPrivileged")
        if runtime["networkMode"] == "host":
            allowed = False
            if policy.get("allowHostNetwork", False) and self.policy is not None:
                scope = self.policy["scope"]
                allowed = not _not_covered("host", scope["allowed"].get("networkExposure", []),
                                           scope.get("denied", {}).get("networkExposure", []))
            if not allowed:
                add("pod-host-network", "pod %s uses host networking without an allowance by both the pod policy "
                    "and the policy admission scope" % pod["id"], "$.runtime.networkMode")
        self._check_image(runtime)
        self._check_secrets(pod, bool(policy.get("allowSecretInSpec", False)))

    def _check_image(self, runtime):
        add = self.reasons.add
        match = _IMAGE_DIGEST.search(runtime["image"])
        digest = runtime.get("imageDigest")
        if runtime["imageReferencePolicy"] in ("digest-required", "digest-pinned") and digest is None and match is None:
            add("image-not-pinned", "image reference policy %s needs the image pinned by digest"
                % runtime["imageReferencePolicy"], "$.runtime.imageDigest")
        if digest is not None and match is not None and match.group(1) != digest:
            add("image-digest-conflict", "the image's @sha256 digest differs from runtime.imageDigest",
                "$.runtime.imageDigest")

    def _check_secrets(self, pod, allow_in_spec):
        runtime = pod["runtime"]
        scanned = {"runtime": {"env": runtime.get("env", {}), "args": runtime.get("args", []),
                               "entrypoint": runtime.get("entrypoint") or []}}
        findings = [(finding["path"], finding["reason"]) for finding in redact(scanned, _REDACTION_KEY)[1]]
        for part in ("args", "entrypoint"):
            for index, item in enumerate(scanned["runtime"][part]):
                value = item
                match = _ARG_VALUE.match(item)
                if match:
                    value = match.group(1)
                if looks_high_entropy(item) or looks_high_entropy(value):
                    findings.append(("$.runtime.%s[%d]" % (part, index), "high-entropy"))
        for path, value in _strings(pod, "$"):
            if path.startswith(("$.runtime.env.", "$.runtime.args[", "$.runtime.entrypoint[")):
                continue
            for reason in contains_secret_patterns(value):
                if reason not in _HEURISTIC_FINDINGS and reason != "raw-content":
                    findings.append((path, reason))
        for path, reason in sorted(set(findings)):
            if allow_in_spec and reason in _HEURISTIC_FINDINGS:
                continue
            self.reasons.add("pod-secret-in-spec", "a secret-like value (%s) is in the pod spec" % reason, path)

    # -- policy -----------------------------------------------------------------

    def _check_policy(self):
        policy, add = self.policy, self.reasons.add
        request, decision = policy["request"], policy["decision"]
        if decision["status"] != "allowed":
            add("policy-denied", "policy admission %s has decision status %s" % (policy["id"], decision["status"]),
                "$.decision.status")
        elif not decision["authorizationGranted"]:
            add("policy-not-authorized", "policy admission %s does not grant authorization" % policy["id"],
                "$.decision.authorizationGranted")
        if request["requestType"] != "activation":
            add("policy-not-for-activation", "policy admission %s is for %s, not activation"
                % (policy["id"], request["requestType"]), "$.request.requestType")
        expires = policy["obligations"].get("expiresAt")
        if expires is not None and self.now is not None:
            moment = self._time(expires, "policy-invalid", "$.obligations.expiresAt", "obligations.expiresAt")
            if moment is not None and moment <= self.now:
                add("policy-expired", "policy admission expired at %s, decision time %s" % (expires, self.decided_at),
                    "$.obligations.expiresAt")
        decided = self._time(policy["decidedAt"], "policy-invalid", "$.decidedAt", "decidedAt")
        if decided is not None and self.now is not None and decided > self.now:
            add("policy-not-yet-valid", "policy admission was decided at %s, after the decision time %s"
                % (policy["decidedAt"], self.decided_at), "$.decidedAt")
        if self.pod is not None:
            if request["agentPodId"] != self.pod["id"]:
                add("policy-wrong-pod", "policy admission is for pod %s, not %s" % (request["agentPodId"], self.pod["id"]),
                    "$.request.agentPodId")
            provider = request.get("providerId")
            if provider is not None and provider != self.pod["providerId"]:
                add("policy-wrong-provider", "policy admission is for provider %s, not %s"
                    % (provider, self.pod["providerId"]), "$.request.providerId")
        machine_id = self._machine_id()
        if machine_id is not None and request["agentMachineId"] != machine_id:
            add("policy-wrong-machine", "policy admission is for machine %s, not %s"
                % (request["agentMachineId"], machine_id), "$.request.agentMachineId")
        plans = []
        if self.deployment is not None:
            plans.append(("the rendered plan", plan_digest(self.deployment)))
        if "planDigest" in self.expected:
            plans.append(("the expected plan", self.expected["planDigest"]))
        for what, digest in plans:
            if request["planDigest"] != digest:
                add("policy-wrong-plan", "policy admission is for plan %s, not %s %s" % (request["planDigest"], what, digest),
                    "$.request.planDigest")
        if self.pod is not None:
            self._check_policy_scope()

    def _check_policy_scope(self):
        pod, add = self.pod, self.reasons.add
        allowed = self.policy["scope"]["allowed"]
        denied = self.policy["scope"].get("denied", {})
        for exposure in sorted(self.needed_exposures):
            if _not_covered(exposure, allowed.get("networkExposure", []), denied.get("networkExposure", [])):
                add("policy-scope-exposure", "policy scope does not allow %s port exposure" % exposure,
                    "$.scope.allowed.networkExposure", subject=exposure)
        for volume_class in sorted(set(entry["volumeClass"] for entry in pod.get("storage", []))):
            if _not_covered(volume_class, allowed.get("volumeClasses", []), denied.get("volumeClasses", [])):
                add("policy-scope-volume-class", "policy scope does not allow volume class %s" % volume_class,
                    "$.scope.allowed.volumeClasses", subject=volume_class)
        if _not_covered(pod["providerId"], allowed.get("providerIds", []), denied.get("providerIds", [])):
            add("policy-scope-provider", "policy scope does not allow provider %s" % pod["providerId"],
                "$.scope.allowed.providerIds")
        for effect in sorted(self.needed_side_effects):
            if _not_covered(effect, allowed.get("sideEffects", []), denied.get("sideEffects", [])):
                add("policy-scope-side-effect", "policy scope does not allow side effect %s" % effect,
                    "$.scope.allowed.sideEffects", subject=effect)
        if "reuse-cache" in self.needed_side_effects and (
                not allowed.get("cacheReuse", False) or denied.get("cacheReuse", False)):
            add("policy-scope-cache-reuse", "policy scope does not allow cache reuse", "$.scope.allowed.cacheReuse")

    # -- grant ------------------------------------------------------------------

    def _check_grant(self):
        grant, add = self.grant, self.reasons.add
        state, request = grant["grant"], grant["request"]
        status = state["status"]
        if status == "expired":
            add("grant-expired", "grant %s has status expired" % state["grantRef"], "$.grant.status")
        elif status == "revoked":
            add("grant-revoked", "grant %s has status revoked" % state["grantRef"], "$.grant.status")
        elif status != "active":
            add("grant-denied", "grant %s has status %s" % (state["grantRef"], status), "$.grant.status")
        if state["revocationStatus"] == "revoked":
            add("grant-revoked", "grant %s is revoked" % state["grantRef"], "$.grant.revocationStatus")
        elif state["revocationStatus"] != "not-revoked":
            add("grant-revocation-unknown", "grant %s has an unknown revocation status" % state["grantRef"],
                "$.grant.revocationStatus")
        if status == "active" and not state["authorizationGranted"]:
            add("grant-not-authorized", "grant %s does not grant authorization" % state["grantRef"],
                "$.grant.authorizationGranted")
        expires = state.get("expiresAt")
        if expires is not None and self.now is not None:
            moment = self._time(expires, "grant-invalid", "$.grant.expiresAt", "grant.expiresAt")
            if moment is not None and moment <= self.now:
                add("grant-expired", "grant expired at %s, decision time %s" % (expires, self.decided_at),
                    "$.grant.expiresAt")
        issued = self._time(grant["issuedAt"], "grant-invalid", "$.issuedAt", "issuedAt")
        if issued is not None and self.now is not None and issued > self.now:
            add("grant-not-yet-valid", "grant was issued at %s, after the decision time %s"
                % (grant["issuedAt"], self.decided_at), "$.issuedAt")
        machine_id = self._machine_id()
        if machine_id is not None and request["agentMachineId"] != machine_id:
            add("grant-wrong-machine", "grant is for machine %s, not %s" % (request["agentMachineId"], machine_id),
                "$.request.agentMachineId")
        if self.pod is not None:
            self._check_grant_pod()

    def _check_grant_pod(self):
        pod, grant, add = self.pod, self.grant, self.reasons.add
        request = grant["request"]
        workload = pod["workload"]
        if request["agentPodId"] != pod["id"]:
            add("grant-wrong-pod", "grant is for pod %s, not %s" % (request["agentPodId"], pod["id"]),
                "$.request.agentPodId")
        if request["requestedAgentIdentityRef"] != workload["agentIdentityRef"]:
            add("grant-wrong-identity", "grant is for identity %s, not the pod's %s"
                % (request["requestedAgentIdentityRef"], workload["agentIdentityRef"]),
                "$.request.requestedAgentIdentityRef")
        if request["workroomRef"] != workload["workroomRef"]:
            add("grant-wrong-workroom", "grant is for workroom %s, not the pod's %s"
                % (request["workroomRef"], workload["workroomRef"]), "$.request.workroomRef")
        allowed = grant["scope"]["allowed"]
        denied = grant["scope"].get("denied", {})
        if _not_covered(pod["providerId"], allowed.get("providerIds", []), denied.get("providerIds", [])):
            add("grant-scope-provider", "grant scope does not allow provider %s" % pod["providerId"],
                "$.scope.allowed.providerIds")
        if _not_covered(pod["model"]["ref"], allowed.get("modelRefs", []), denied.get("modelRefs", [])):
            add("grant-scope-model", "grant scope does not allow model %s" % pod["model"]["ref"],
                "$.scope.allowed.modelRefs")
        for tool in sorted(set(workload.get("toolRefs", []))):
            if _not_covered(tool, allowed.get("toolRefs", []), denied.get("toolRefs", [])):
                add("grant-scope-tools", "grant scope does not allow tool %s" % tool, "$.scope.allowed.toolRefs",
                    subject=tool)
        for volume_class in sorted(set(entry["volumeClass"] for entry in self._host_storage())):
            ref = "storage:" + volume_class
            if _not_covered(ref, allowed.get("storageScopeRefs", []), denied.get("storageScopeRefs", [])):
                add("grant-scope-storage", "grant scope does not allow %s" % ref, "$.scope.allowed.storageScopeRefs",
                    subject=volume_class)

    # -- storage ----------------------------------------------------------------

    def _host_storage(self):
        """Storage entries that need a StorageReceipt."""
        return [entry for entry in self.pod.get("storage", [])
                if entry["accessMode"] != "runtime-managed"
                or entry.get("encryptionRequired", False) or entry.get("quotaRequired", False)]

    def _receipts(self):
        """The receipts list, validated entry by entry; invalid entries that may be referenced are reasons."""
        raw = self.raw_receipts
        if raw is None:
            return []
        if not isinstance(raw, (list, tuple)):
            self.reasons.add("storage-receipts-invalid", "storage receipts are not a list", "storageReceipts")
            return []
        classes = set(entry["volumeClass"] for entry in self._host_storage())
        machine_id = self._machine_id()
        receipts = []
        for index, item in enumerate(raw):
            label = "storageReceipts[%d]" % index
            try:
                validate_document("StorageReceipt", item, source=label)
            except ContractError as exc:
                if isinstance(item, dict):
                    volume_class, on_machine = item.get("volumeClass"), item.get("agentMachineId")
                    if isinstance(volume_class, str) and volume_class not in classes:
                        continue
                    if isinstance(on_machine, str) and machine_id is not None and on_machine != machine_id:
                        continue
                for path, message in exc.problems[:20]:
                    self.reasons.add("storage-receipt-invalid", "StorageReceipt %s: %s" % (label, message),
                                     "%s%s" % (label, path[1:]), subject=_shown_class(item))
                continue
            receipts.append(item)
        return receipts

    def _check_storage(self):
        receipts = self._receipts()
        machine_id = self._machine_id()
        for entry in sorted(self._host_storage(), key=lambda item: (item["volumeClass"], item["mountPath"])):
            volume_class = entry["volumeClass"]
            of_class = [receipt for receipt in receipts if receipt["volumeClass"] == volume_class]
            on_machine = [receipt for receipt in of_class if machine_id is None or receipt["agentMachineId"] == machine_id]
            own = [receipt for receipt in on_machine if receipt.get("agentPodId") == self.pod["id"]]
            shared = [receipt for receipt in on_machine if receipt.get("agentPodId") is None]
            chosen = own or shared
            if not chosen:
                if on_machine:
                    self.reasons.add("storage-receipt-wrong-pod", "the StorageReceipts of %s on this machine are "
                                     "for other pods" % volume_class, "$.agentPodId", subject=volume_class)
                elif of_class:
                    self.reasons.add("storage-receipt-wrong-machine", "the StorageReceipts of %s are for other "
                                     "machines" % volume_class, "$.agentMachineId", subject=volume_class)
                else:
                    self.reasons.add("storage-receipt-missing", "no StorageReceipt for volume class %s on this machine"
                                     % volume_class, "$.storage[?(@.volumeClass=='%s')]" % volume_class,
                                     subject=volume_class)
                continue
            for receipt in sorted(chosen, key=lambda item: item["id"]):
                self._check_receipt(entry, receipt)
                if receipt not in self.selected_receipts:
                    self.selected_receipts.append(receipt)

    def _check_receipt(self, entry, receipt):
        add, volume_class, ident = self.reasons.add, entry["volumeClass"], receipt["id"]
        if receipt["outcome"] == "planned":
            add("storage-receipt-planned", "StorageReceipt %s was only planned (check mode)" % ident, "$.outcome",
                subject=volume_class)
        # A directory volume is a folder on the root filesystem by the layout's choice; every other backend must
        # be mounted (a wrong backend is one of the receipt's mismatches).
        if receipt["backend"] != "directory" and not receipt["mount"]["mounted"]:
            add("storage-not-mounted", "StorageReceipt %s: the volume is not mounted" % ident, "$.mount.mounted",
                subject=volume_class)
        if receipt["checks"]["worldWritable"]:
            add("storage-world-writable", "StorageReceipt %s: the mount path is world-writable" % ident,
                "$.checks.worldWritable", subject=volume_class)
        if receipt["checks"]["symlinkInPath"]:
            add("storage-symlink-traversal", "StorageReceipt %s: the mount path traverses a symbolic link" % ident,
                "$.checks.symlinkInPath", subject=volume_class)
        if entry.get("encryptionRequired", False) and not receipt["encryption"]["observed"]:
            add("storage-encryption-required", "StorageReceipt %s: encryption required but not observed" % ident,
                "$.encryption.observed", subject=volume_class)
        if entry.get("quotaRequired", False) and not receipt["quota"]["enforced"]:
            add("storage-quota-required", "StorageReceipt %s: quota required but not enforced" % ident,
                "$.quota.enforced", subject=volume_class)
        for mismatch in receipt.get("mismatches", []):
            add("storage-mismatch", "StorageReceipt %s: %s (%s)" % (ident, mismatch["message"], mismatch["code"]),
                "$.mismatches", subject=volume_class)

    # -- deployment receipt and machine ----------------------------------------------

    def _check_deployment(self):
        receipt, add = self.deployment, self.reasons.add
        if receipt["outcome"] == "planned":
            add("deployment-receipt-planned", "DeploymentReceipt %s was only planned (check mode or a plan), "
                "not written to the node" % receipt["id"], "$.outcome")
        if self.pod is not None:
            if receipt["agentPodId"] != self.pod["id"]:
                add("deployment-receipt-mismatch", "DeploymentReceipt is for pod %s, not %s"
                    % (receipt["agentPodId"], self.pod["id"]), "$.agentPodId")
            if receipt["providerId"] != self.pod["providerId"]:
                add("deployment-receipt-mismatch", "DeploymentReceipt is for provider %s, not %s"
                    % (receipt["providerId"], self.pod["providerId"]), "$.providerId")
            wanted = "kubernetes" if self.pod["podType"] == "kubernetes-pod" else "quadlet"
            if receipt["target"] != wanted:
                add("deployment-receipt-mismatch", "DeploymentReceipt renders for %s, the pod type needs %s"
                    % (receipt["target"], wanted), "$.target")
        machine_id = self._machine_id()
        if machine_id is not None and receipt["agentMachineId"] != machine_id:
            add("deployment-receipt-mismatch", "DeploymentReceipt is for machine %s, not %s"
                % (receipt["agentMachineId"], machine_id), "$.agentMachineId")
        if "artifactDigests" in self.expected:
            rendered = sorted(artifact["artifactDigest"] for artifact in receipt["artifacts"])
            if rendered != self.expected["artifactDigests"]:
                add("deployment-receipt-mismatch", "DeploymentReceipt artifact digests differ from the rendered artifacts",
                    "$.artifacts")
        if "planDigest" in self.expected and plan_digest(receipt) != self.expected["planDigest"]:
            add("deployment-receipt-mismatch", "DeploymentReceipt plan digest differs from the expected plan",
                "$.artifacts")

    def _check_machine(self):
        pod, machine, add = self.pod, self.machine, self.reasons.add
        placement = pod.get("placement", {})
        arch = machine["host"].get("arch")
        profile = machine["profile"]["name"]
        if placement.get("architectures") and arch not in placement["architectures"]:
            add("machine-mismatch", "machine architecture %s is not one the pod allows" % arch, "$.host.arch")
        if placement.get("profiles") and profile not in placement["profiles"]:
            add("machine-mismatch", "machine profile %s is not one the pod allows" % profile, "$.profile.name")
        if placement.get("machineIds") and machine["id"] not in placement["machineIds"]:
            add("machine-mismatch", "machine %s is not one the pod allows" % machine["id"], "$.id")
        types = machine["accelerators"]["types"]
        for accelerator in pod["resources"].get("accelerators", []):
            if accelerator["required"] and not types.get(accelerator["type"], False):
                add("machine-mismatch", "machine has no %s accelerator the pod requires" % accelerator["type"],
                    "$.accelerators.types.%s" % accelerator["type"])

    def _machine_id(self):
        if self.machine is not None:
            return self.machine["id"]
        return None

    # -- needs and scope ----------------------------------------------------------------

    def _needs(self):
        """Exposures, side effects and egress the pod's activation implies."""
        pod = self.pod
        runtime = pod["runtime"]
        self.needed_exposures = set(port["exposure"] for port in pod.get("ports", []) if port["exposure"] != "none")
        effects = {"start-provider"}
        if pod["podType"] in _LOCAL_POD_TYPES:
            effects.add("install-unit")
        if any(entry["volumeClass"] in _CACHE_CLASSES for entry in pod.get("storage", [])):
            effects.add("mount-cache")
        inference, context = pod.get("inference", {}), pod.get("context", {})
        reuses = inference.get("cacheReuse") is not None or bool(context.get("prefixDigests"))
        if reuses and pod.get("policy", {}).get("cacheReuseRequiresPolicy", True):
            effects.add("reuse-cache")
        if self.needed_exposures:
            effects.add("open-port")
        self._egress(runtime["networkMode"])
        if self.egress == "unrestricted" and not self.egress_unknown:
            effects.add("network-egress")
        self.needed_side_effects = effects

    def _egress(self, mode):
        target = self.deployment["target"] if self.deployment is not None else None
        published = ["127.0.0.1:%d" % (port.get("hostPort") or port["containerPort"])
                     for port in self.pod.get("ports", []) if port["exposure"] == "loopback"]
        if mode in ("loopback", "kubernetes-service") and self.deployment is None:
            # Without the rendered artifacts nothing shows egress blocked; the missing receipt already fails.
            self.egress, self.egress_unknown = "unrestricted", True
            self.notes.append("no usable DeploymentReceipt: egress cannot be shown to be blocked")
        elif mode == "none":
            self.egress = "none"
            self.notes.append("network mode none: no network, no egress")
        elif mode == "loopback":
            # Podman cannot publish ports from an internal network, so the rendered network is a plain bridge.
            self.egress = "unrestricted"
            self.notes.append("loopback publishing (%s) on a bridge network does not stop egress; the activation needs "
                              "the network-egress side effect" % (", ".join(published) or "no ports"))
        elif mode == "kubernetes-service" and target == "kubernetes":
            self.egress = "none"
            self.notes.append("egress denied by the rendered default-deny NetworkPolicy")
        else:
            self.egress = "unrestricted"
            self.notes.append("network mode %s can open outbound connections; the activation needs the network-egress "
                              "side effect" % mode)

    # -- run ----------------------------------------------------------------------------

    def run(self):
        self._decision_time()
        self._expected()
        self._documents()
        if self.pod is not None:
            self._needs()
            self._check_pod()
        if self.policy is not None:
            self._check_policy()
        if self.grant is not None:
            self._check_grant()
        if self.pod is not None:
            self._check_storage()
        elif self.raw_receipts is not None and not isinstance(self.raw_receipts, (list, tuple)):
            self.reasons.add("storage-receipts-invalid", "storage receipts are not a list", "storageReceipts")
        if self.deployment is not None:
            self._check_deployment()
        if self.machine is not None and self.pod is not None:
            self._check_machine()
        return self.document()

    def _inputs(self):
        inputs = {}
        for name in ("agentPod", "agentMachine", "policyAdmission", "agentRegistryGrant"):
            inputs[name] = _ref(name, self.raw[name])
        inputs["placementDecision"] = None
        inputs["deploymentReceipt"] = _ref("deploymentReceipt", self.raw["deploymentReceipt"])
        inputs["storageReceipts"] = [{"id": receipt["id"], "digest": document_digest(receipt)}
                                     for receipt in self.selected_receipts]
        inputs["modelReceipts"] = []
        return inputs

    def document(self):
        reasons = self.reasons.sorted()
        allowed = not reasons
        pod_id = self.raw["agentPod"].get("id") if isinstance(self.raw["agentPod"], dict) else None
        machine_id = self.raw["agentMachine"].get("id") if isinstance(self.raw["agentMachine"], dict) else None
        pod_slug = _slug(pod_id, "unknown-pod") if self.pod is not None else "unknown-pod"
        machine_slug = _slug(machine_id, "unknown-machine") if self.machine is not None else "unknown-machine"
        scope = {"networkExposure": [], "volumeClasses": [], "providerIds": [], "cacheReuse": False,
                 "sideEffects": [], "egress": self.egress if self.pod is not None else "unrestricted",
                 "notes": list(self.notes)}
        obligations = {"requiredReceipts": [], "expiresAt": None, "revocationRefs": []}
        if allowed:
            pod = self.pod
            scope.update({
                "networkExposure": sorted(self.needed_exposures),
                "volumeClasses": sorted(set(entry["volumeClass"] for entry in pod.get("storage", []))),
                "providerIds": [pod["providerId"]],
                "cacheReuse": "reuse-cache" in self.needed_side_effects,
                "sideEffects": sorted(self.needed_side_effects),
            })
            expiries = [value for value in (self.policy["obligations"].get("expiresAt"), self.grant["grant"].get("expiresAt"))
                        if value is not None]
            revocations = [self.policy["obligations"].get("revocationRef"), self.grant["grant"]["grantRef"]]
            obligations = {
                "requiredReceipts": sorted(set(pod["receipts"]["required"])
                                           | set(self.policy["obligations"].get("requiredReceipts", []))),
                "expiresAt": min(expiries, key=parse_timestamp) if expiries else None,
                "revocationRefs": sorted(set(ref for ref in revocations if ref is not None)),
            }
            summary = ("policy admission and registry grant cover the pod, machine and plan; every referenced "
                       "receipt verified")
        else:
            codes = sorted(set(item["code"] for item in reasons))
            summary = "fail-closed: %d reason%s (%s)" % (len(reasons), "" if len(reasons) == 1 else "s",
                                                         ", ".join(codes))
        return {
            "specVersion": SPEC_VERSION,
            "kind": "ActivationDecision",
            "id": "%sactivation-decision:%s-%s" % (URN_PREFIX, pod_slug, machine_slug),
            "decision": {
                "status": "allowed" if allowed else "fail-closed",
                "activationAllowed": allowed,
                "reason": _text(summary),
                "failureReasons": reasons,
                "requiredBeforeActivation": [] if allowed else sorted(self.reasons.required),
            },
            "inputs": self._inputs(),
            "scope": scope,
            "obligations": obligations,
            "decidedAt": self.decided_at,
        }


def _strings(value, path):
    """Every string in a JSON-like value with its JSON path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _strings(value[key], "%s.%s" % (path, key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, "%s[%d]" % (path, index))


def _shown_class(item):
    if isinstance(item, dict) and isinstance(item.get("volumeClass"), str):
        return item["volumeClass"][:64]
    return "an unknown volume class"


def _internal_error(exc, decided_at):
    """A fail-closed decision for an evaluator failure; names the error type, never its message."""
    try:
        moment = decided_at if isinstance(decided_at, str) and _TIMESTAMP.match(decided_at) else None
        parse_timestamp(moment)
    except ValueError:
        moment = format_timestamp(datetime.datetime.now(datetime.timezone.utc))
    return {
        "specVersion": SPEC_VERSION,
        "kind": "ActivationDecision",
        "id": URN_PREFIX + "activation-decision:unknown-pod-unknown-machine",
        "decision": {
            "status": "fail-closed",
            "activationAllowed": False,
            "reason": "fail-closed: the activation decision could not be evaluated",
            "failureReasons": [{"code": "internal-error", "message": "the evaluator failed (%s)" % type(exc).__name__,
                                "field": None}],
            "requiredBeforeActivation": [requirement("internal-error")],
        },
        "inputs": {"agentPod": None, "agentMachine": None, "policyAdmission": None, "agentRegistryGrant": None,
                   "placementDecision": None, "deploymentReceipt": None, "storageReceipts": [], "modelReceipts": []},
        "scope": {"networkExposure": [], "volumeClasses": [], "providerIds": [], "cacheReuse": False,
                  "sideEffects": [], "egress": "unrestricted", "notes": []},
        "obligations": {"requiredReceipts": [], "expiresAt": None, "revocationRefs": []},
        "decidedAt": moment,
    }


def evaluate_activation(pod, policy, grant, storage_receipts, deployment_receipt, machine, decided_at=None,
                        expected=None):
    """The ActivationDecision document for ``pod`` on ``machine`` at ``decided_at`` (now, UTC, by default).

    Inputs are raw documents (dicts) or None when missing; ``storage_receipts``
    is a list of StorageReceipt documents of which only those the pod
    references are checked. ``expected`` may give the ``planDigest`` and the
    ``artifactDigests`` (list, or mapping of name to digest) just rendered.
    ``decided_at`` is an RFC 3339 UTC string or an aware datetime. Never
    raises: any failure is a ``fail-closed`` decision with a reason.
    """
    try:
        inputs = [copy.deepcopy(value) for value in (pod, policy, grant, storage_receipts, deployment_receipt, machine)]
        document = _Evaluation(*inputs, decided_at=decided_at, expected=copy.deepcopy(expected)).run()
        validate_document("ActivationDecision", document, source="activation decision")
        return document
    except Exception as exc:  # pylint: disable=broad-except
        return _internal_error(exc, decided_at)
