"""The admissions the Rego bundle produces, fed to the activation evaluator with the example grant and receipts."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import evaluate_activation, plan_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.bundle import load_bundle

from policy_cases import DECIDED_AT, PACKAGE, admitted, baseline, write


def activation(admission, **changes):
    inputs = baseline()
    inputs["policy"] = admission
    inputs.update(changes)
    return evaluate_activation(**inputs)


def codes(decision):
    return sorted(set(reason["code"] for reason in decision["decision"]["failureReasons"]))


def denial_codes(decision):
    """The codes, less the scope gaps every not-allowed admission has (it allows nothing)."""
    assert decision["decision"]["status"] == "fail-closed"
    found = codes(decision)
    assert "policy-scope-provider" in found
    return [code for code in found if not code.startswith("policy-scope-")]


def test_admitted_good_pod_activates():
    decision = activation(admitted()["admission"])
    assert decision["decision"]["status"] == "allowed", decision["decision"]["failureReasons"]
    assert decision["decision"]["activationAllowed"] is True
    # The admission expires first (one hour), so the activation does too.
    assert decision["obligations"]["expiresAt"] == "2026-03-02T10:33:30Z"


def test_admission_for_a_kubernetes_pod_activates_with_its_receipt():
    inputs = baseline()
    pod = inputs["pod"]
    pod["podType"] = "kubernetes-pod"
    pod["runtime"]["networkMode"] = "kubernetes-service"
    pod["ports"][0]["exposure"] = "cluster"
    receipt = inputs["deployment_receipt"]
    receipt["target"] = "kubernetes"
    receipt["renderer"]["name"] = "sourceos.agent_machine.kubernetes"
    receipt["artifacts"] = [dict(item, kind="kubernetes-manifest") for item in receipt["artifacts"]]
    admission = admitted(pod=pod, plan_digest=plan_digest(receipt))["admission"]
    decision = activation(admission, pod=pod, deployment_receipt=receipt)
    assert decision["decision"]["status"] == "allowed", decision["decision"]["failureReasons"]


@pytest.mark.parametrize("mutate, expected", [
    (lambda pod: pod["policy"].update(allowPrivileged=True), ["pod-privileged", "policy-denied"]),
    (lambda pod: pod["storage"][0].update(accessMode="read-write"), ["policy-denied"]),
    (lambda pod: pod["runtime"].update(imageDigest=None), ["image-not-pinned", "policy-denied"]),
])
def test_denied_admission_fails_closed(mutate, expected):
    inputs = baseline()
    mutate(inputs["pod"])
    result = admitted(pod=inputs["pod"])
    assert result["admission"]["decision"]["status"] == "denied"
    decision = activation(result["admission"], pod=inputs["pod"])
    assert decision["decision"]["status"] == "fail-closed"
    assert decision["decision"]["activationAllowed"] is False
    assert denial_codes(decision) == expected


def test_unknown_admission_from_broken_rego_fails_closed(tmp_path):
    bundle = load_bundle([write(tmp_path / "broken.rego", PACKAGE + "deny contains x if {")])
    result = admitted(bundle=bundle)
    assert result["admission"]["decision"]["status"] == "unknown"
    assert denial_codes(activation(result["admission"])) == ["policy-denied"]


def test_admission_for_another_request_type_does_not_activate():
    assert codes(activation(admitted(request_type="render")["admission"])) == ["policy-not-for-activation"]


def test_admission_expires():
    admission = admitted(ttl=60)["admission"]
    assert activation(admission)["decision"]["status"] == "allowed"
    assert codes(activation(admission, decided_at="2026-03-02T09:34:30Z")) == ["policy-expired"]


def test_admission_for_another_plan_does_not_activate():
    admission = admitted(plan_digest="sha256:" + "cd" * 32)["admission"]
    assert codes(activation(admission)) == ["policy-wrong-plan"]


def test_admission_decided_after_the_activation_time_does_not_activate():
    admission = admitted(decided_at="2026-03-02T09:35:00Z")["admission"]
    assert DECIDED_AT < "2026-03-02T09:35:00Z"
    assert codes(activation(admission)) == ["policy-not-yet-valid"]


def test_admission_for_another_machine_does_not_activate():
    admission = admitted(machine="urn:srcos:agent-machine:machine:other-node")["admission"]
    assert codes(activation(admission)) == ["policy-wrong-machine"]


def test_egress_refused_by_the_data_is_refused_at_activation():
    # Without network-egress allowed a loopback pod is denied by the policy itself.
    data = {"agent_machine": {"config": {"side_effects": {"allowed": [
        "install-unit", "start-provider", "mount-cache", "reuse-cache", "open-port"]}}}}
    result = admitted(bundle=load_bundle(data=data))
    assert [reason["code"] for reason in result["reasons"]] == ["side-effect-not-allowed"]
    assert denial_codes(activation(result["admission"])) == ["policy-denied"]
