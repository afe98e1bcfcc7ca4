# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller-side gate of provider_units: only allowed, exactly-rendered units reach a node.

For each provider of a ``started`` batch:

* its ActivationDecision is found by ``inputs.agentPod.id`` and
  ``inputs.agentMachine.id`` (or, for a fail-closed decision whose inputs
  are null, by the decision id the evaluator gives it); none, several, an
  invalid one, one that is not ``allowed``, or one past its
  ``obligations.expiresAt`` refuses the provider;
* the DeploymentReceipt the decision names must be among the receipts
  given, with the same canonical digest, for the same pod and machine,
  rendered for Quadlet;
* the units' sha256 must equal the receipt's artifact digests, name by
  name, with nothing missing and nothing extra. The decision covers the
  plan through the receipt (the policy admission's plan digest is the
  digest of the receipt's artifacts), so these units are the plan the
  decision allowed.

A refused provider gets a RuntimeEvidence document with outcome
``refused`` and every reason; nothing of it is sent to the node.
"""

from __future__ import annotations

import copy
import datetime
import re

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import urn_pattern
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    ContractError, validate_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import (
    format_timestamp, parse_timestamp, plan_digest,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import (
    document_digest, sha256_digest,
)

__all__ = ["GateError", "gate_providers", "refused_evidence"]

_POD_ID = re.compile(urn_pattern("pod"))
_MACHINE_ID = re.compile(urn_pattern("machine"))
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")


class GateError(ValueError):
    """The task's input is malformed; the message names the field. Nothing is sent."""


def _get(value, *path):
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _slug(urn):
    return urn.rsplit(":", 1)[1]


def _check_providers(providers):
    if not isinstance(providers, list):
        raise GateError("providers: must be a list")
    for index, provider in enumerate(providers):
        field = "providers[%d]" % index
        if not isinstance(provider, dict):
            raise GateError("%s: must be a mapping" % field)
        if not isinstance(provider.get("name"), str) or not _NAME.match(provider["name"]):
            raise GateError("%s.name: must be a unit base name (letters, digits, '_', '.', '-')" % field)
        if not isinstance(provider.get("agent_pod_id"), str) or not _POD_ID.match(provider["agent_pod_id"]):
            raise GateError("%s.agent_pod_id: must be an AgentPod id (urn:srcos:agent-machine:pod:<slug>)" % field)
        if not isinstance(provider.get("agent_machine_id"), str) or not _MACHINE_ID.match(provider["agent_machine_id"]):
            raise GateError("%s.agent_machine_id: must be an AgentMachine id (urn:srcos:agent-machine:machine:<slug>)"
                            % field)
        units = provider.get("units")
        if not isinstance(units, list) or not units:
            raise GateError("%s.units: must list the rendered units ({name, text})" % field)
        for number, unit in enumerate(units):
            if not isinstance(unit, dict) or not isinstance(unit.get("name"), str) or not isinstance(unit.get("text"), str):
                raise GateError("%s.units[%d]: must be a mapping with name and text" % (field, number))


def _documents(values, what):
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(item, dict) for item in values):
        kind = "ActivationDecision" if what == "decisions" else "DeploymentReceipt"
        raise GateError("%s: must be a list of %s documents" % (what, kind))
    return values


def _problems(kind, document, source):
    """Contract problems of a document as short lines (empty when valid)."""
    try:
        validate_document(kind, document, source=source)
    except ContractError as exc:
        return exc.lines[:5]
    return []


class _Reasons:
    def __init__(self):
        self.items = []

    def add(self, code, message):
        self.items.append({"code": code, "message": message})

    def __bool__(self):
        return bool(self.items)


def _find_decision(provider, decisions):
    pod, machine = provider["agent_pod_id"], provider["agent_machine_id"]
    matches = [(index, item) for index, item in enumerate(decisions)
               if _get(item, "inputs", "agentPod", "id") == pod and _get(item, "inputs", "agentMachine", "id") == machine]
    if not matches:
        wanted = "urn:srcos:agent-machine:activation-decision:%s-%s" % (_slug(pod), _slug(machine))
        matches = [(index, item) for index, item in enumerate(decisions) if item.get("id") == wanted]
    return matches


def _check_decision(provider, decisions, now, reasons):
    """The decision for the provider, or None after adding reasons."""
    matches = _find_decision(provider, decisions)
    if not matches:
        reasons.add("decision-missing", "no ActivationDecision for pod %s on machine %s"
                    % (provider["agent_pod_id"], provider["agent_machine_id"]))
        return None
    if len(set(document_digest(item) for _index, item in matches)) > 1:
        reasons.add("decision-ambiguous", "%d different ActivationDecisions match pod %s on machine %s (decisions %s)"
                    % (len(matches), provider["agent_pod_id"], provider["agent_machine_id"],
                       ", ".join(str(index) for index, _item in matches)))
        return None
    index, decision = matches[0]
    problems = _problems("ActivationDecision", decision, "decisions[%d]" % index)
    if problems:
        reasons.add("decision-invalid", "; ".join(problems))
        return None
    verdict = decision["decision"]
    if verdict["status"] != "allowed" or verdict["activationAllowed"] is not True:
        codes = sorted(set(item["code"] for item in verdict.get("failureReasons", [])))
        reasons.add("decision-not-allowed", "ActivationDecision %s is %s: %s%s" % (
            decision["id"], verdict["status"], verdict["reason"], (" (%s)" % ", ".join(codes)) if codes else ""))
        return decision
    expires = _get(decision, "obligations", "expiresAt")
    if expires is not None and parse_timestamp(expires) <= now:
        reasons.add("decision-expired", "ActivationDecision %s expired at %s (now %s)" % (
            decision["id"], expires, format_timestamp(now)))
    return decision


def _check_receipt(provider, decision, receipts, reasons):
    """The DeploymentReceipt the decision names, or None after adding reasons."""
    ref = decision["inputs"]["deploymentReceipt"]
    matches = [(index, item) for index, item in enumerate(receipts) if item.get("id") == ref["id"]]
    if not matches:
        reasons.add("deployment-receipt-missing", "the DeploymentReceipt %s the decision covers was not given" % ref["id"])
        return None
    found = [(index, item) for index, item in matches if document_digest(item) == ref["digest"]]
    if not found:
        reasons.add("deployment-receipt-digest-mismatch", "DeploymentReceipt %s differs from the one the decision "
                                                          "covers (digest %s)" % (ref["id"], ref["digest"]))
        return None
    index, receipt = found[0]
    problems = _problems("DeploymentReceipt", receipt, "deployment_receipts[%d]" % index)
    if problems:
        reasons.add("deployment-receipt-invalid", "; ".join(problems))
        return None
    for key, wanted in (("agentPodId", provider["agent_pod_id"]), ("agentMachineId", provider["agent_machine_id"]),
                        ("target", "quadlet")):
        if receipt[key] != wanted:
            reasons.add("deployment-receipt-mismatch", "DeploymentReceipt %s has %s %s, not %s"
                        % (receipt["id"], key, receipt[key], wanted))
    return receipt


def _check_units(provider, receipt, reasons):
    rendered = dict((item["name"], item["artifactDigest"]) for item in receipt["artifacts"])
    given = dict((unit["name"], sha256_digest(unit["text"].encode("utf-8"))) for unit in provider["units"])
    for name in sorted(given):
        if name not in rendered:
            reasons.add("unit-not-in-receipt", "unit %s is not an artifact of DeploymentReceipt %s" % (name, receipt["id"]))
        elif given[name] != rendered[name]:
            reasons.add("unit-digest-mismatch", "unit %s has digest %s; DeploymentReceipt %s recorded %s"
                        % (name, given[name], receipt["id"], rendered[name]))
    for name in sorted(set(rendered) - set(given)):
        reasons.add("unit-missing", "DeploymentReceipt %s covers %s, which was not given" % (receipt["id"], name))


def refused_evidence(provider, decision, reasons, at):
    """RuntimeEvidence (validated) of a provider refused before anything was sent."""
    ref = None
    if decision is not None:
        ref = {"id": decision["id"], "digest": document_digest(decision)}
    document = {
        "specVersion": "0.1.0",
        "kind": "RuntimeEvidence",
        "id": "urn:srcos:agent-machine:runtime-evidence:%s-%s-activate" % (
            _slug(provider["agent_pod_id"]), _slug(provider["agent_machine_id"])),
        "agentPodId": provider["agent_pod_id"],
        "agentMachineId": provider["agent_machine_id"],
        "activationDecision": ref,
        "action": "activate",
        "outcome": "refused",
        "unitName": provider["name"] + ".service",
        "previousRevisionDigest": None,
        "newRevisionDigest": None,
        "rolledBack": False,
        "healthChecks": [],
        "wiped": [],
        "events": [("%s: %s" % (item["code"], item["message"]))[:4096] for item in reasons],
        "startedAt": at,
        "finishedAt": at,
    }
    validate_document("RuntimeEvidence", document, source="provider gate")
    return document


def gate_providers(providers, decisions, receipts, now=None):
    """Split a started batch into allowed and refused providers.

    Returns ``{"allowed", "refused", "evidence", "plan_digests"}``: allowed
    providers (copies, ``activation_decision`` set to the decision's id and
    digest), refused ones ``{"name", "agent_pod_id", "reasons"}``, the
    RuntimeEvidence of each refused one, and the plan digest of each
    allowed one. GateError for malformed input (nothing may be sent then).
    """
    _check_providers(providers)
    decisions = _documents(decisions, "decisions")
    receipts = _documents(receipts, "deployment_receipts")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    at = format_timestamp(now)
    allowed, refused, evidence, plans = [], [], [], {}
    for provider in providers:
        reasons = _Reasons()
        decision = _check_decision(provider, decisions, now, reasons)
        receipt = None
        if decision is not None and not reasons:
            receipt = _check_receipt(provider, decision, receipts, reasons)
        if receipt is not None:
            _check_units(provider, receipt, reasons)
        if reasons:
            refused.append({"name": provider["name"], "agent_pod_id": provider["agent_pod_id"], "reasons": reasons.items})
            valid = decision if decision is not None and not _problems("ActivationDecision", decision, "decision") else None
            evidence.append(refused_evidence(provider, valid, reasons.items, at))
            continue
        entry = copy.deepcopy(provider)
        entry["activation_decision"] = {"id": decision["id"], "digest": document_digest(decision)}
        allowed.append(entry)
        plans[provider["name"]] = plan_digest(receipt)
    return {"allowed": allowed, "refused": refused, "evidence": evidence, "plan_digests": plans}
