"""Property tests: mutated inputs never raise, always give a valid decision, and are allowed only when consistent."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    ContractError, validate_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import (
    evaluate_activation, parse_timestamp, plan_digest,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.redaction import redact

from support.decision_cases import baseline

KEYS = ("pod", "policy", "grant", "storage_receipts", "deployment_receipt", "machine")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TIMESTAMPS = st.one_of(
    st.datetimes().map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(["2026-03-02T09:34:00Z", "2026-03-03T09:00:00Z", "2099-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
                     "2026-03-02T09:34:00+00:00", "yesterday", ""]),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.text(max_size=30), TIMESTAMPS,
                    st.sampled_from(["host", "loopback", "cluster", "none", "activation", "placement", "revoked",
                                     "urn:srcos:agent-machine:pod:other", "urn:srcos:agent-machine:machine:other",
                                     "sha256:" + "0" * 64, "hunter2", "ghp_" + "a1B2" * 10, "agent-evidence"]))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=8), SCALARS, max_size=3))


def _paths(value, prefix=()):
    """Every (container path, key) in a JSON value."""
    if isinstance(value, dict):
        for key in value:
            yield prefix + (key,)
            yield from _paths(value[key], prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield prefix + (index,)
            yield from _paths(item, prefix + (index,))


@st.composite
def mutated_inputs(draw):
    inputs = baseline()
    for _step in range(draw(st.integers(1, 4))):
        key = draw(st.sampled_from(KEYS + ("decided_at",)))
        if key == "decided_at":
            inputs["decided_at"] = draw(TIMESTAMPS)
            continue
        if inputs[key] is None or draw(st.integers(0, 19)) == 0:
            inputs[key] = draw(st.one_of(st.none(), VALUES))
            continue
        paths = list(_paths(inputs[key]))
        if not paths:
            continue
        path = draw(st.sampled_from(paths))
        parent = inputs[key]
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["delete", "replace", "replace", "bool"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "bool" and isinstance(parent[path[-1]], bool):
            parent[path[-1]] = not parent[path[-1]]
        else:
            parent[path[-1]] = draw(VALUES)
    return inputs


def _valid(kind, document):
    try:
        validate_document(kind, document)
    except ContractError:
        return False
    return True


def _normalized(kind, document):
    """The document with every default filled in, as the contract defines it (a section the
    input leaves out, such as the pod's policy, takes its safe defaults)."""
    return validate_document(kind, document).model_dump(by_alias=True, mode="json")


def _normalized_receipts(receipts):
    if not isinstance(receipts, list):
        return None
    return [_normalized("StorageReceipt", r) if isinstance(r, dict) and _valid("StorageReceipt", r) else {"invalid": r}
            for r in receipts]


def independent_problems(inputs):
    """A second, deliberately plain check of what an allowed decision must satisfy; [] when consistent."""
    named = (("AgentPod", "pod"), ("PolicyAdmission", "policy"), ("AgentRegistryGrant", "grant"),
             ("DeploymentReceipt", "deployment_receipt"), ("AgentMachine", "machine"))
    for kind, name in named:
        if not _valid(kind, inputs[name]):
            return ["invalid " + kind]
    pod, policy, grant, deployment, machine = (_normalized(kind, inputs[name]) for kind, name in named)
    receipts = _normalized_receipts(inputs["storage_receipts"])
    if receipts is None:
        return ["receipts not a list"]
    problems = []
    try:
        now = parse_timestamp(inputs["decided_at"])
        policy_expiry = parse_timestamp(policy["obligations"]["expiresAt"])
        grant_expiry = parse_timestamp(grant["grant"]["expiresAt"])
        if parse_timestamp(policy["decidedAt"]) > now or parse_timestamp(grant["issuedAt"]) > now:
            problems.append("not yet valid")
    except (TypeError, ValueError, KeyError):
        return ["bad time"]
    if policy_expiry <= now or grant_expiry <= now:
        problems.append("expired")
    runtime = pod["runtime"]
    if pod["policy"]["allowPrivileged"] or runtime["networkMode"] not in ("loopback", "none"):
        problems.append("privileged or network mode changed")
    if redact({"env": runtime["env"], "args": runtime["args"]}, b"k")[1] and not pod["policy"]["allowSecretInSpec"]:
        problems.append("secret")
    request = policy["request"]
    if (policy["decision"]["status"], policy["decision"]["authorizationGranted"], request["requestType"]) != (
            "allowed", True, "activation"):
        problems.append("policy not granting activation")
    if (request["agentPodId"], request["agentMachineId"], request["planDigest"]) != (
            pod["id"], machine["id"], plan_digest(deployment)):
        problems.append("policy for something else")
    state = grant["grant"]
    if (state["status"], state["authorizationGranted"], state["revocationStatus"]) != ("active", True, "not-revoked"):
        problems.append("grant not active")
    if (grant["request"]["agentPodId"], grant["request"]["agentMachineId"],
            grant["request"]["requestedAgentIdentityRef"]) != (pod["id"], machine["id"],
                                                               pod["workload"]["agentIdentityRef"]):
        problems.append("grant for something else")
    if (deployment["agentPodId"], deployment["agentMachineId"]) != (pod["id"], machine["id"]):
        problems.append("deployment receipt for something else")
    scope, denied = policy["scope"]["allowed"], policy["scope"].get("denied", {})
    for port in pod.get("ports", []):
        if port["exposure"] != "none" and (port["exposure"] not in scope["networkExposure"]
                                           or port["exposure"] in denied.get("networkExposure", [])):
            problems.append("exposure")
    for entry in pod.get("storage", []):
        if entry["volumeClass"] not in scope["volumeClasses"] or entry["volumeClass"] in denied.get("volumeClasses", []):
            problems.append("volume class")
        if entry["accessMode"] == "runtime-managed" and not (entry["encryptionRequired"] or entry["quotaRequired"]):
            continue
        if any(isinstance(r.get("invalid"), dict) and r["invalid"].get("volumeClass") == entry["volumeClass"]
               for r in receipts):
            problems.append("invalid receipt for a referenced class")
        mine = [r for r in receipts if r.get("volumeClass") == entry["volumeClass"]
                and r.get("agentMachineId") == machine["id"] and r.get("agentPodId") in (None, pod["id"])]
        if not mine:
            problems.append("no receipt")
        for item in mine:
            if (item["checks"]["worldWritable"] or item["checks"]["symlinkInPath"] or item.get("mismatches")
                    or not item["mount"]["mounted"] or item["outcome"] == "planned"
                    or (entry["encryptionRequired"] and not item["encryption"]["observed"])
                    or (entry["quotaRequired"] and not item["quota"]["enforced"])):
                problems.append("bad receipt")
    return problems


@SETTINGS
@given(mutated_inputs())
def test_mutated_inputs_never_raise_and_allowed_means_consistent(inputs):
    snapshot = copy.deepcopy(inputs)
    document = evaluate_activation(**inputs)
    validate_document("ActivationDecision", document)
    assert inputs == snapshot
    if document["decision"]["status"] == "allowed":
        assert independent_problems(inputs) == []
    else:
        assert document["decision"]["failureReasons"]


@SETTINGS
@given(st.lists(st.one_of(st.none(), VALUES), min_size=6, max_size=6), st.one_of(st.none(), VALUES))
def test_garbage_never_raises(values, decided_at):
    document = evaluate_activation(*values, decided_at=decided_at, expected=None)
    validate_document("ActivationDecision", document)
    assert document["decision"]["status"] == "fail-closed"


def test_pod_without_policy_section_takes_the_safe_defaults():
    """Found by the property above: a pod may leave its policy out; the contract's
    defaults (nothing privileged, no secrets in spec) then apply."""
    inputs = baseline()
    del inputs["pod"]["policy"]
    document = evaluate_activation(**inputs)
    assert document["decision"]["status"] == "allowed"
    assert independent_problems(inputs) == []
