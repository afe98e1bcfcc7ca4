"""Activation decision table: each case starts from the contract examples and asserts the exact outcome."""

import copy

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import (
    evaluate_activation, plan_digest,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.reasons import CODES, REQUIREMENTS
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import canonical_json

from support.decision_cases import baseline, load

OTHER_POD = "urn:srcos:agent-machine:pod:other-pod"
OTHER_MACHINE = "urn:srcos:agent-machine:machine:other-node"
OTHER_PROVIDER = "urn:srcos:agent-machine:provider:vllm"
OTHER_DIGEST = "sha256:" + "ab" * 32
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"


def evaluate(inputs):
    return evaluate_activation(**inputs)


def codes(document):
    return [reason["code"] for reason in document["decision"]["failureReasons"]]


# -- mutations ------------------------------------------------------------------------


def nothing(i):
    pass


def set_path(key, path, value):
    def mutate(i):
        target = i[key]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return mutate


def drop(key, path):
    def mutate(i):
        target = i[key]
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
    return mutate


def combine(*mutations):
    def mutate(i):
        for one in mutations:
            one(i)
    return mutate


def receipt(index, path, value):
    def mutate(i):
        target = i["storage_receipts"][index]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return mutate


def remove_receipt(index):
    def mutate(i):
        del i["storage_receipts"][index]
    return mutate


def add_unrelated_bad_receipts(i):
    # Another class, another machine, another pod, and an invalid one of an unreferenced class: none is referenced.
    bad = copy.deepcopy(i["storage_receipts"][0])
    bad.update({"id": "urn:srcos:agent-machine:storage-receipt:m2-air-evidence", "volumeClass": "agent-evidence"})
    bad["checks"] = {"worldWritable": True, "symlinkInPath": True}
    bad["mismatches"] = [{"code": "mode", "message": "mode 0777, want 0750", "field": "$.ownership.mode"}]
    elsewhere = copy.deepcopy(i["storage_receipts"][1])
    elsewhere.update({"id": "urn:srcos:agent-machine:storage-receipt:other-warm", "agentMachineId": OTHER_MACHINE})
    elsewhere["checks"]["worldWritable"] = True
    other_pod = copy.deepcopy(i["storage_receipts"][1])
    other_pod.update({"id": "urn:srcos:agent-machine:storage-receipt:m2-air-other-warm", "agentPodId": OTHER_POD})
    other_pod["checks"]["symlinkInPath"] = True
    invalid = {"kind": "StorageReceipt", "volumeClass": "agent-scratch", "checks": "garbage"}
    i["storage_receipts"].extend([bad, elsewhere, other_pod, invalid])


def receipt_moved(index, field, value):
    def mutate(i):
        i["storage_receipts"][index][field] = value
    return mutate


def privileged_host_network_secrets(i):
    i["pod"]["policy"]["allowPrivileged"] = True
    i["pod"]["runtime"]["networkMode"] = "host"
    i["pod"]["runtime"]["env"]["DB_PASSWORD"] = "hunter2-hunter2"


def secret_env(name, value, allow=False):
    def mutate(i):
        i["pod"]["runtime"]["env"][name] = value
        i["pod"]["policy"]["allowSecretInSpec"] = allow
    return mutate


def secret_arg(*args, allow=False):
    def mutate(i):
        i["pod"]["runtime"]["args"].extend(args)
        i["pod"]["policy"]["allowSecretInSpec"] = allow
    return mutate


def host_network_allowed(i):
    i["pod"]["runtime"]["networkMode"] = "host"
    i["pod"]["policy"]["allowHostNetwork"] = True
    scope = i["policy"]["scope"]
    scope["allowed"]["networkExposure"].append("host")
    scope["denied"]["networkExposure"].remove("host")
    assert "network-egress" in scope["allowed"]["sideEffects"]


def egress_not_allowed(i):
    """Loopback serving is a bridge network with egress (Podman cannot publish from an internal network)."""
    i["policy"]["scope"]["allowed"]["sideEffects"].remove("network-egress")


def egress_denied(i):
    i["policy"]["scope"]["denied"]["sideEffects"].append("network-egress")


def without_network_unit(i):
    i["deployment_receipt"]["artifacts"] = i["deployment_receipt"]["artifacts"][:1]
    i["policy"]["request"]["planDigest"] = plan_digest(i["deployment_receipt"])


def directory_volume(i):
    """A layout volume without a volume group is a plain directory: nothing to mount, nothing mismatched."""
    receipt = i["storage_receipts"][1]
    receipt.update(backend="directory", lvm=None, filesystem=None)
    receipt["mount"].update(mounted=False, options=[], inFstab=False)
    receipt["quota"] = {"enforced": False, "method": None, "limitBytes": None}
    i["pod"]["storage"][1]["quotaRequired"] = False


def rerender(i):
    """A changed artifact: the policy still names the old plan."""
    i["deployment_receipt"]["artifacts"][0]["artifactDigest"] = OTHER_DIGEST


def encryption_required(i):
    i["pod"]["storage"][0]["encryptionRequired"] = True


def expect(**values):
    def mutate(i):
        i["expected"] = values
    return mutate


def expect_rendered(i):
    i["expected"] = {"planDigest": plan_digest(i["deployment_receipt"]),
                     "artifactDigests": {a["name"]: a["artifactDigest"] for a in i["deployment_receipt"]["artifacts"]}}


def decided(value):
    return lambda i: i.__setitem__("decided_at", value)


def missing(key):
    return lambda i: i.__setitem__(key, None)


def runtime_managed_needs_receipt(i):
    i["pod"]["storage"][2]["quotaRequired"] = True


def shared_and_own_receipt(i):
    own = copy.deepcopy(i["storage_receipts"][1])
    own.update({"id": "urn:srcos:agent-machine:storage-receipt:m2-air-coder-warm",
                "agentPodId": "urn:srcos:agent-machine:pod:coder-qwen"})
    own["quota"]["enforced"] = False
    i["storage_receipts"].append(own)


def pod_tool(tool):
    return lambda i: i["pod"]["workload"]["toolRefs"].append(tool)


def digest_required_by_reference(i):
    runtime = i["pod"]["runtime"]
    runtime["image"] = "ghcr.io/ggml-org/llama.cpp@" + runtime["imageDigest"]
    runtime["imageDigest"] = None
    runtime["imageReferencePolicy"] = "digest-required"


# -- the table -----------------------------------------------------------------------

CASES = [
    # (id, mutation, status, exact sorted reason codes)
    ("all-good", nothing, "allowed", []),
    ("all-good-with-expected-plan", expect_rendered, "allowed", []),
    ("all-good-pinned-by-reference", digest_required_by_reference, "allowed", []),
    ("all-good-unrelated-bad-receipts-ignored", add_unrelated_bad_receipts, "allowed", []),
    ("all-good-host-network-allowed-by-pod-and-policy", host_network_allowed, "allowed", []),
    ("all-good-loopback-without-network-unit", without_network_unit, "allowed", []),
    ("all-good-directory-volume-not-a-mount", directory_volume, "allowed", []),
    ("pod-missing", missing("pod"), "fail-closed", ["pod-missing"]),
    ("pod-invalid-unknown-field", set_path("pod", ["runtime", "privileged"], True), "fail-closed", ["pod-invalid"]),
    ("pod-invalid-type-swap", set_path("pod", ["resources", "cpu"], "4"), "fail-closed", ["pod-invalid"]),
    ("pod-privileged", set_path("pod", ["policy", "allowPrivileged"], True), "fail-closed", ["pod-privileged"]),
    ("weakness-privileged-host-network-secrets", privileged_host_network_secrets, "fail-closed",
     ["pod-host-network", "pod-privileged", "pod-secret-in-spec"]),
    ("pod-host-network-no-pod-allowance", combine(host_network_allowed, set_path("pod", ["policy", "allowHostNetwork"], False)),
     "fail-closed", ["pod-host-network"]),
    ("pod-host-network-no-policy-allowance", set_path("pod", ["runtime", "networkMode"], "host"), "fail-closed",
     ["pod-host-network"]),
    ("secret-env-key-name", secret_env("HF_TOKEN", "abc"), "fail-closed", ["pod-secret-in-spec"]),
    ("secret-env-high-entropy", secret_env("SETTING", "aB3xY9kLmN0pQrStUvWz12345"), "fail-closed", ["pod-secret-in-spec"]),
    ("secret-env-key-name-allowed-by-pod", secret_env("HF_TOKEN", "abc", allow=True), "allowed", []),
    ("secret-env-pem-never-allowed", secret_env("TLS_KEY_MATERIAL", PEM, allow=True), "fail-closed", ["pod-secret-in-spec"]),
    ("secret-arg-flag", secret_arg("--api-key", "abc"), "fail-closed", ["pod-secret-in-spec"]),
    ("secret-arg-bearer-never-allowed", secret_arg("--header=Authorization: Bearer abcdefgh12345678", allow=True),
     "fail-closed", ["pod-secret-in-spec"]),
    ("secret-arg-high-entropy", secret_arg("--seed-value", "aB3xY9kLmN0pQrStUvWz12345"), "fail-closed",
     ["pod-secret-in-spec"]),
    ("secret-known-token-in-purpose", set_path("pod", ["workload", "purpose"], "uses ghp_" + "a1B2" * 10), "fail-closed",
     ["pod-secret-in-spec"]),
    ("image-not-pinned", set_path("pod", ["runtime", "imageDigest"], None), "fail-closed", ["image-not-pinned"]),
    ("image-tag-allowed-bootstrap", combine(set_path("pod", ["runtime", "imageDigest"], None),
                                            set_path("pod", ["runtime", "imageReferencePolicy"], "tag-allowed-bootstrap")),
     "allowed", []),
    ("image-digest-conflict", set_path("pod", ["runtime", "image"], "ghcr.io/ggml-org/llama.cpp@" + OTHER_DIGEST),
     "fail-closed", ["image-digest-conflict"]),
    ("policy-missing", missing("policy"), "fail-closed", ["policy-missing"]),
    ("policy-invalid", set_path("policy", ["request", "planDigest"], "sha256:short"), "fail-closed", ["policy-invalid"]),
    ("policy-invalid-impossible-date", set_path("policy", ["obligations", "expiresAt"], "2026-02-30T00:00:00Z"),
     "fail-closed", ["policy-invalid"]),
    ("policy-denied", combine(set_path("policy", ["decision", "status"], "denied"),
                              set_path("policy", ["decision", "authorizationGranted"], False)),
     "fail-closed", ["policy-denied"]),
    ("policy-not-authorized", set_path("policy", ["decision", "authorizationGranted"], False), "fail-closed",
     ["policy-not-authorized"]),
    ("policy-not-for-activation", set_path("policy", ["request", "requestType"], "placement"), "fail-closed",
     ["policy-not-for-activation"]),
    ("grant-expires-before-policy", decided("2026-03-03T09:15:00Z"), "fail-closed", ["grant-expired"]),
    ("policy-expired-at-exact-instant", set_path("policy", ["obligations", "expiresAt"], "2026-03-02T09:34:00Z"),
     "fail-closed", ["policy-expired"]),
    ("policy-expired-in-the-past", set_path("policy", ["obligations", "expiresAt"], "2026-03-02T09:33:59.5Z"),
     "fail-closed", ["policy-expired"]),
    ("weakness-decision-dated-2099", decided("2099-01-01T00:00:00Z"), "fail-closed", ["grant-expired", "policy-expired"]),
    ("policy-not-yet-valid", set_path("policy", ["decidedAt"], "2026-03-02T10:00:00Z"), "fail-closed",
     ["policy-not-yet-valid"]),
    ("weakness-policy-other-pod", set_path("policy", ["request", "agentPodId"], OTHER_POD), "fail-closed",
     ["policy-wrong-pod"]),
    ("weakness-policy-other-machine", set_path("policy", ["request", "agentMachineId"], OTHER_MACHINE), "fail-closed",
     ["policy-wrong-machine"]),
    ("weakness-policy-other-plan", set_path("policy", ["request", "planDigest"], OTHER_DIGEST), "fail-closed",
     ["policy-wrong-plan"]),
    ("policy-plan-differs-from-expected", expect(planDigest=OTHER_DIGEST), "fail-closed",
     ["deployment-receipt-mismatch", "policy-wrong-plan"]),
    ("policy-wrong-provider", set_path("policy", ["request", "providerId"], OTHER_PROVIDER), "fail-closed",
     ["policy-wrong-provider"]),
    ("policy-scope-exposure-not-allowed", set_path("pod", ["ports", 0, "exposure"], "cluster"), "fail-closed",
     ["policy-scope-exposure"]),
    ("policy-scope-exposure-denied", combine(set_path("pod", ["ports", 0, "exposure"], "host"),
                                             lambda i: i["policy"]["scope"]["allowed"]["networkExposure"].append("host")),
     "fail-closed", ["policy-scope-exposure"]),
    ("policy-scope-volume-class", lambda i: i["policy"]["scope"]["allowed"]["volumeClasses"].remove("agent-cache-hot"),
     "fail-closed", ["policy-scope-volume-class"]),
    ("policy-scope-provider", set_path("policy", ["scope", "allowed", "providerIds"], [OTHER_PROVIDER]), "fail-closed",
     ["policy-scope-provider"]),
    ("policy-scope-side-effect-start", lambda i: i["policy"]["scope"]["allowed"]["sideEffects"].remove("start-provider"),
     "fail-closed", ["policy-scope-side-effect"]),
    ("policy-scope-side-effect-mount-cache", lambda i: i["policy"]["scope"]["denied"]["sideEffects"].append("mount-cache"),
     "fail-closed", ["policy-scope-side-effect"]),
    ("policy-scope-side-effect-reuse-cache", lambda i: i["policy"]["scope"]["allowed"]["sideEffects"].remove("reuse-cache"),
     "fail-closed", ["policy-scope-side-effect"]),
    ("policy-scope-cache-reuse", set_path("policy", ["scope", "allowed", "cacheReuse"], False), "fail-closed",
     ["policy-scope-cache-reuse"]),
    ("cache-reuse-not-policy-gated", combine(set_path("policy", ["scope", "allowed", "cacheReuse"], False),
                                             set_path("pod", ["policy", "cacheReuseRequiresPolicy"], False)),
     "allowed", []),
    ("weakness-loopback-bridge-has-egress", egress_not_allowed, "fail-closed", ["policy-scope-side-effect"]),
    ("loopback-egress-denied-by-policy", egress_denied, "fail-closed", ["policy-scope-side-effect"]),
    ("grant-missing", missing("grant"), "fail-closed", ["grant-missing"]),
    ("grant-invalid", set_path("grant", ["grant", "status"], "revoked"), "fail-closed", ["grant-invalid"]),
    ("grant-expired-by-time", set_path("grant", ["grant", "expiresAt"], "2026-03-01T00:00:00Z"), "fail-closed",
     ["grant-expired"]),
    ("grant-expired-status", combine(set_path("grant", ["grant", "status"], "expired"),
                                     set_path("grant", ["grant", "authorizationGranted"], False)),
     "fail-closed", ["grant-expired"]),
    ("grant-revoked", combine(set_path("grant", ["grant", "status"], "revoked"),
                              set_path("grant", ["grant", "revocationStatus"], "revoked"),
                              set_path("grant", ["grant", "authorizationGranted"], False)),
     "fail-closed", ["grant-revoked", "grant-revoked"]),
    ("grant-revocation-unknown", combine(set_path("grant", ["grant", "revocationStatus"], "unknown"),
                                         set_path("grant", ["grant", "authorizationGranted"], False)),
     "fail-closed", ["grant-not-authorized", "grant-revocation-unknown"]),
    ("grant-denied", combine(set_path("grant", ["grant", "status"], "denied"),
                             set_path("grant", ["grant", "authorizationGranted"], False)),
     "fail-closed", ["grant-denied"]),
    ("grant-not-authorized", set_path("grant", ["grant", "authorizationGranted"], False), "fail-closed",
     ["grant-not-authorized"]),
    ("grant-not-yet-valid", set_path("grant", ["issuedAt"], "2026-03-02T09:35:00Z"), "fail-closed",
     ["grant-not-yet-valid"]),
    ("grant-wrong-identity", set_path("grant", ["request", "requestedAgentIdentityRef"], "spiffe://x/agents/other"),
     "fail-closed", ["grant-wrong-identity"]),
    ("grant-wrong-workroom", set_path("grant", ["request", "workroomRef"], "workroom:other"), "fail-closed",
     ["grant-wrong-workroom"]),
    ("weakness-grant-other-pod", set_path("grant", ["request", "agentPodId"], OTHER_POD), "fail-closed",
     ["grant-wrong-pod"]),
    ("weakness-grant-other-machine", set_path("grant", ["request", "agentMachineId"], OTHER_MACHINE), "fail-closed",
     ["grant-wrong-machine"]),
    ("grant-scope-provider", set_path("grant", ["scope", "denied", "providerIds"],
                                      ["urn:srcos:agent-machine:provider:llama-cpp"]), "fail-closed",
     ["grant-scope-provider"]),
    ("grant-scope-model", set_path("grant", ["scope", "allowed", "modelRefs"], ["hf://other/model.gguf"]), "fail-closed",
     ["grant-scope-model"]),
    ("grant-scope-tools-denied", pod_tool("tool:shell-exec"), "fail-closed", ["grant-scope-tools"]),
    ("grant-scope-tools-not-allowed", pod_tool("tool:web-fetch"), "fail-closed", ["grant-scope-tools"]),
    ("grant-scope-storage", set_path("grant", ["scope", "allowed", "storageScopeRefs"], ["storage:agent-models"]),
     "fail-closed", ["grant-scope-storage"]),
    ("weakness-referenced-receipt-missing", remove_receipt(1), "fail-closed", ["storage-receipt-missing"]),
    ("storage-receipts-none", missing("storage_receipts"), "fail-closed",
     ["storage-receipt-missing", "storage-receipt-missing"]),
    ("storage-receipts-not-a-list", lambda i: i.__setitem__("storage_receipts", {"x": 1}), "fail-closed",
     ["storage-receipt-missing", "storage-receipt-missing", "storage-receipts-invalid"]),
    ("runtime-managed-with-quota-needs-receipt", runtime_managed_needs_receipt, "fail-closed",
     ["grant-scope-storage", "storage-receipt-missing"]),
    ("storage-receipt-invalid-referenced", receipt(0, ["checks"], "garbage"), "fail-closed",
     ["storage-receipt-invalid", "storage-receipt-missing"]),
    ("storage-receipt-wrong-machine", receipt_moved(0, "agentMachineId", OTHER_MACHINE), "fail-closed",
     ["storage-receipt-wrong-machine"]),
    ("storage-receipt-wrong-pod", receipt_moved(0, "agentPodId", OTHER_POD), "fail-closed", ["storage-receipt-wrong-pod"]),
    ("storage-receipt-for-this-pod", receipt_moved(0, "agentPodId", "urn:srcos:agent-machine:pod:coder-qwen"), "allowed", []),
    ("storage-own-receipt-preferred-over-shared", shared_and_own_receipt, "fail-closed", ["storage-quota-required"]),
    ("storage-world-writable", receipt(0, ["checks", "worldWritable"], True), "fail-closed", ["storage-world-writable"]),
    ("storage-symlink-traversal", receipt(1, ["checks", "symlinkInPath"], True), "fail-closed",
     ["storage-symlink-traversal"]),
    ("storage-encryption-required", encryption_required, "fail-closed", ["storage-encryption-required"]),
    ("storage-encryption-observed", combine(encryption_required, receipt(0, ["encryption"], {"observed": True, "method": "luks2"})),
     "allowed", []),
    ("storage-quota-required", receipt(1, ["quota", "enforced"], False), "fail-closed", ["storage-quota-required"]),
    ("storage-mismatch", receipt(0, ["mismatches"], [{"code": "mount-option", "message": "nodev missing", "field": None}]),
     "fail-closed", ["storage-mismatch"]),
    ("storage-not-mounted", receipt(0, ["mount", "mounted"], False), "fail-closed", ["storage-not-mounted"]),
    ("storage-receipt-planned", receipt(1, ["outcome"], "planned"), "fail-closed", ["storage-receipt-planned"]),
    ("deployment-receipt-missing", missing("deployment_receipt"), "fail-closed", ["deployment-receipt-missing"]),
    ("deployment-receipt-invalid", set_path("deployment_receipt", ["artifacts"], []), "fail-closed",
     ["deployment-receipt-invalid"]),
    ("deployment-receipt-other-pod", set_path("deployment_receipt", ["agentPodId"], OTHER_POD), "fail-closed",
     ["deployment-receipt-mismatch"]),
    ("deployment-receipt-other-machine", set_path("deployment_receipt", ["agentMachineId"], OTHER_MACHINE), "fail-closed",
     ["deployment-receipt-mismatch"]),
    ("deployment-receipt-wrong-target", set_path("deployment_receipt", ["target"], "kubernetes"), "fail-closed",
     ["deployment-receipt-mismatch"]),
    ("deployment-receipt-artifacts-differ", expect(artifactDigests=[OTHER_DIGEST]), "fail-closed",
     ["deployment-receipt-mismatch"]),
    ("deployment-receipt-rerendered", rerender, "fail-closed", ["policy-wrong-plan"]),
    ("deployment-receipt-planned", set_path("deployment_receipt", ["outcome"], "planned"), "fail-closed",
     ["deployment-receipt-planned"]),
    ("machine-missing", missing("machine"), "fail-closed", ["machine-missing"]),
    ("machine-invalid", set_path("machine", ["id"], "m2-air"), "fail-closed", ["machine-invalid"]),
    ("machine-profile-mismatch", set_path("pod", ["placement", "profiles"], ["linux-gpu-node"]), "fail-closed",
     ["machine-mismatch"]),
    ("machine-arch-mismatch", set_path("pod", ["placement", "architectures"], ["x86_64"]), "fail-closed",
     ["machine-mismatch"]),
    ("machine-id-mismatch", set_path("pod", ["placement", "machineIds"], [OTHER_MACHINE]), "fail-closed",
     ["machine-mismatch"]),
    ("machine-accelerator-missing", set_path("pod", ["resources", "accelerators", 0, "type"], "cuda"), "fail-closed",
     ["machine-mismatch"]),
    ("decision-time-invalid", decided("2026-03-02 09:34:00"), "fail-closed", ["decision-time-invalid"]),
    ("decision-time-not-utc", decided("2026-03-02T09:34:00+01:00"), "fail-closed", ["decision-time-invalid"]),
    ("expected-invalid", expect(artifactDigest=[OTHER_DIGEST]), "fail-closed", ["expected-invalid"]),
    ("everything-missing", combine(missing("pod"), missing("policy"), missing("grant"), missing("storage_receipts"),
                                   missing("deployment_receipt"), missing("machine")), "fail-closed",
     ["deployment-receipt-missing", "grant-missing", "machine-missing", "pod-missing", "policy-missing"]),
]


def test_table_is_large_and_unique():
    assert len(CASES) >= 40
    assert len(set(case[0] for case in CASES)) == len(CASES)


def test_every_code_has_a_requirement_and_table_covers_them():
    covered = set(code for case in CASES for code in case[3])
    assert covered <= set(CODES)
    untested = set(CODES) - covered - {"internal-error"}
    assert untested == set(), untested
    assert all(REQUIREMENTS[code] for code in CODES)


@pytest.mark.parametrize("case_id, mutate, status, expected_codes", CASES, ids=[case[0] for case in CASES])
def test_decision_table(case_id, mutate, status, expected_codes):
    inputs = baseline()
    mutate(inputs)
    document = evaluate(inputs)
    validate_document("ActivationDecision", document)
    assert document["decision"]["status"] == status, document["decision"]
    assert codes(document) == expected_codes, document["decision"]["failureReasons"]
    assert document["decision"]["activationAllowed"] is (status == "allowed")
    reasons = document["decision"]["failureReasons"]
    assert reasons == sorted(reasons, key=lambda r: (r["code"], r["field"] or "", r["message"]))
    required = document["decision"]["requiredBeforeActivation"]
    assert required == sorted(set(required))
    assert bool(required) is (status != "allowed")


def test_allowed_decision_matches_the_example_inputs():
    document = evaluate(baseline())
    example = load("activation-decision")
    for name in ("agentPod", "agentMachine", "policyAdmission", "agentRegistryGrant", "deploymentReceipt"):
        assert document["inputs"][name] == example["inputs"][name]
    assert sorted(document["inputs"]["storageReceipts"], key=lambda r: r["id"]) == sorted(
        example["inputs"]["storageReceipts"], key=lambda r: r["id"])
    assert document["id"] == example["id"]
    assert document["scope"] == example["scope"]
    assert document["obligations"]["expiresAt"] == "2026-03-03T09:00:00Z"


def test_only_referenced_receipts_are_recorded():
    inputs = baseline()
    add_unrelated_bad_receipts(inputs)
    document = evaluate(inputs)
    recorded = set(ref["id"] for ref in document["inputs"]["storageReceipts"])
    assert recorded == {"urn:srcos:agent-machine:storage-receipt:m2-air-agent-models",
                        "urn:srcos:agent-machine:storage-receipt:m2-air-agent-cache-warm"}


def test_loopback_bridge_states_egress():
    document = evaluate(baseline())
    assert document["scope"]["egress"] == "unrestricted"
    assert "network-egress" in document["scope"]["sideEffects"]
    assert any("does not stop egress" in note for note in document["scope"]["notes"])


def test_fail_closed_reasons_name_fields_and_requirements():
    inputs = baseline()
    inputs["decided_at"] = "2026-03-04T08:00:00Z"
    document = evaluate(inputs)
    assert document["decision"]["failureReasons"] == [
        {"code": "grant-expired", "message": "grant expired at 2026-03-03T09:00:00Z, decision time 2026-03-04T08:00:00Z",
         "field": "$.grant.expiresAt"},
        {"code": "policy-expired",
         "message": "policy admission expired at 2026-03-03T09:30:00Z, decision time 2026-03-04T08:00:00Z",
         "field": "$.obligations.expiresAt"},
    ]
    assert document["decision"]["requiredBeforeActivation"] == sorted(
        [REQUIREMENTS["grant-expired"], REQUIREMENTS["policy-expired"]])
    assert document["scope"]["sideEffects"] == [] and document["obligations"]["expiresAt"] is None


def test_secret_values_are_not_echoed():
    inputs = baseline()
    secret_env("DB_PASSWORD", "hunter2-do-not-echo")(inputs)
    secret_arg("--token=also-not-echoed-1234")(inputs)
    text = canonical_json(evaluate(inputs)).decode("utf-8")
    assert "hunter2-do-not-echo" not in text and "also-not-echoed-1234" not in text


def test_decision_is_deterministic():
    for mutate in (nothing, privileged_host_network_secrets, add_unrelated_bad_receipts, missing("grant")):
        first, second = baseline(), baseline()
        mutate(first)
        mutate(second)
        assert canonical_json(evaluate(first)) == canonical_json(evaluate(second))


def test_inputs_are_not_modified():
    inputs = baseline()
    privileged_host_network_secrets(inputs)
    before = copy.deepcopy(inputs)
    evaluate(inputs)
    assert inputs == before


def test_default_decision_time_is_now():
    inputs = baseline()
    del inputs["decided_at"]
    document = evaluate(inputs)
    # The examples expire in 2026-03; whatever today is, the decision is dated and compared with now.
    assert document["decidedAt"] > "2026-01-01T00:00:00Z"
    validate_document("ActivationDecision", document)


@pytest.mark.parametrize("garbage", [None, [], "x", 42, {}, {"kind": "AgentPod"}, float("nan"), object()],
                         ids=["none", "list", "str", "int", "dict", "kind-only", "nan", "object"])
def test_garbage_inputs_fail_closed(garbage):
    for position in ("pod", "policy", "grant", "storage_receipts", "deployment_receipt", "machine", "all"):
        inputs = baseline()
        if position == "all":
            inputs = {key: garbage for key in inputs}
        else:
            inputs[position] = garbage
        document = evaluate(inputs)
        validate_document("ActivationDecision", document)
        assert document["decision"]["status"] == "fail-closed", (position, garbage)


def test_internal_errors_fail_closed(monkeypatch):
    from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision import evaluate as module

    def boom(*args, **kwargs):
        raise RuntimeError("secret-in-message")

    monkeypatch.setattr(module, "redact", boom)
    document = evaluate(baseline())
    validate_document("ActivationDecision", document)
    assert codes(document) == ["internal-error"]
    assert "secret-in-message" not in canonical_json(document).decode("utf-8")
