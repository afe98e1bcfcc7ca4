# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A PolicyAdmission from the Rego bundle's decision.

``admit`` builds the policy input from the pod, the machine, the provider
and the request, evaluates ``data.agent_machine.admission.decision`` and
turns the decision into a validated PolicyAdmission:

* ``allow`` true, no reasons, a valid scope and obligations and an expiry
  after the decision time: ``allowed``, authorization granted;
* ``allow`` false: ``denied``; the admission allows nothing (empty
  ``scope.allowed``, no expiry) and keeps what the policy refuses;
* a Rego error, an undefined decision or an output of the wrong shape:
  ``unknown``, with the reason.

Nothing the policy does makes it raise. Bad input (a pod that is not an
AgentPod, a malformed plan digest) raises PolicyInputError naming the
option, before the policy runs. See docs/policy.md for the input and
output documents.
"""

from __future__ import annotations

import calendar
import datetime
import re
import typing

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import (
    DIGEST_REGEX, SPEC_VERSION, URN_PREFIX, Reason, urn_pattern,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.policy_admission import (
    AdmissionObligations, AdmissionScope, RequestType,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    ContractError, json_path, validate_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import parse_timestamp
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.bundle import QUERY, load_bundle
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.engine import evaluate
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.errors import PolicyInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog

__all__ = ["REQUEST_TYPES", "admit", "admission_from_result", "policy_input"]

REQUEST_TYPES = typing.get_args(RequestType)
_OUTPUT_KEYS = ("allow", "reasons", "scope", "obligations")
_MAX_PROBLEMS = 20
_MAX_TEXT = 1000


def _empty_scope_set():
    return {"networkExposure": [], "volumeClasses": [], "providerIds": [], "cacheReuse": False, "sideEffects": []}


def _reason(code, message, field):
    text = " ".join(str(message).split())
    return {"code": code, "message": text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 3] + "...", "field": field}


# -- input ----------------------------------------------------------------------------


def _validated(kind, value, field):
    """The document with every contract default filled in; PolicyInputError naming the option otherwise."""
    require_pydantic()
    if not isinstance(value, dict):
        raise PolicyInputError(field, "must be a %s document (a mapping), not %s" % (kind, type(value).__name__))
    try:
        model = validate_document(kind, value, source=field)
    except ContractError as exc:
        raise PolicyInputError(field, "is not a valid %s: %s" % (kind, "; ".join(
            "%s: %s" % (path, message) for path, message in exc.problems[:10]))) from None
    return model.model_dump(by_alias=True, mode="json")


def _machine(value):
    """(machine id, AgentMachine document or None)."""
    if isinstance(value, str):
        if not re.match(urn_pattern("machine"), value):
            raise PolicyInputError("machine", "is neither an AgentMachine document nor a machine id (%smachine:<slug>)"
                                   % URN_PREFIX)
        return value, None
    document = _validated("AgentMachine", value, "machine")
    return document["id"], document


def _provider(value):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return catalog.provider(value)
        except catalog.CatalogError as exc:
            raise PolicyInputError("provider", str(exc)) from None
    return _validated("InferenceProvider", value, "provider")


def _decision_time(value):
    """(decidedAt text, nanoseconds since the epoch) from None (now), RFC 3339 UTC text or an aware datetime."""
    if value is None:
        value = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    if isinstance(value, datetime.datetime) and value.utcoffset() is not None:
        moment = value.astimezone(datetime.timezone.utc)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S") + (".%06d" % moment.microsecond if moment.microsecond else "") + "Z"
    elif isinstance(value, str):
        try:
            moment = parse_timestamp(value)
        except ValueError:
            raise PolicyInputError("decided_at", "is not an RFC 3339 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fraction]Z)") from None
        text = value
    else:
        raise PolicyInputError("decided_at", "must be an RFC 3339 UTC timestamp, not %s" % type(value).__name__)
    return text, calendar.timegm(moment.utctimetuple()) * 1000000000 + moment.microsecond * 1000


def _checked_request(request_type, plan_digest, ttl):
    if request_type not in REQUEST_TYPES:
        raise PolicyInputError("request_type", "must be one of %s" % ", ".join(REQUEST_TYPES))
    if not isinstance(plan_digest, str) or not re.match(DIGEST_REGEX, plan_digest):
        raise PolicyInputError("plan_digest", "must be a sha256 digest (sha256:<64 lowercase hex digits>)")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0):
        raise PolicyInputError("ttl", "must be a positive number of seconds")


def policy_input(pod, machine, plan_digest, request_type="activation", provider=None, decided_at=None, ttl=None):
    """(input document for the policy, PolicyAdmission request section, decidedAt text)."""
    _checked_request(request_type, plan_digest, ttl)
    pod = _validated("AgentPod", pod, "pod")
    machine_id, machine_document = _machine(machine)
    decided, decided_ns = _decision_time(decided_at)
    request = {
        "requestType": request_type,
        "agentMachineId": machine_id,
        "agentPodId": pod["id"],
        "providerId": pod["providerId"],
        "planDigest": plan_digest,
    }
    document = {
        "request": dict(request, decidedAt=decided, decidedAtNs=decided_ns, ttlSeconds=ttl),
        "pod": pod,
        "machine": machine_document,
        "provider": _provider(provider),
    }
    return document, request, decided


# -- output ---------------------------------------------------------------------------


def _model_problems(exc, field):
    errors = getattr(exc, "errors", None)
    if errors is None:
        return [(field, " ".join(str(exc).split()))]
    return [(field + json_path(error["loc"])[1:], " ".join(error["msg"].split())) for error in errors()]


def _dumped(model, value, field, problems):
    try:
        return model.model_validate(value).model_dump(by_alias=True, mode="json")
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        problems.extend(_model_problems(exc, field))
        return None


def _sorted_sets(scope_set):
    return {key: sorted(set(value)) if isinstance(value, list) else value for key, value in scope_set.items()}


def _normalized(output, problems):
    """The decision with sorted, de-duplicated lists; None after adding problems when its shape is wrong."""
    if not isinstance(output, dict):
        problems.append(("output", "the decision is %s, not an object" % type(output).__name__))
        return None
    problems.extend(("output." + key, "is missing") for key in _OUTPUT_KEYS if key not in output)
    problems.extend(("output", "has an unknown key %s" % str(key)[:64]) for key in sorted(output, key=str)
                    if key not in _OUTPUT_KEYS)
    if problems:
        return None
    if not isinstance(output["allow"], bool):
        problems.append(("output.allow", "is not a boolean"))
    reasons = []
    if isinstance(output["reasons"], list):
        for index, item in enumerate(output["reasons"]):
            reasons.append(_dumped(Reason, item, "output.reasons[%d]" % index, problems))
    else:
        problems.append(("output.reasons", "is not a list"))
    scope = _dumped(AdmissionScope, output["scope"], "output.scope", problems)
    obligations = _dumped(AdmissionObligations, output["obligations"], "output.obligations", problems)
    if problems:
        return None
    unique = {(item["code"], item["field"] or "", item["message"]): item for item in reasons}
    obligations["requiredReceipts"] = sorted(set(obligations["requiredReceipts"]))
    return {
        "allow": output["allow"],
        "reasons": [unique[key] for key in sorted(unique)],
        "scope": {"allowed": _sorted_sets(scope["allowed"]), "denied": _sorted_sets(scope["denied"])},
        "obligations": obligations,
    }


def _expiry_problems(decision, decided_at):
    expires = decision["obligations"]["expiresAt"]
    field = "output.obligations.expiresAt"
    if expires is None:
        return [(field, "is missing: an allowed admission must expire")]
    try:
        if parse_timestamp(expires) <= parse_timestamp(decided_at):
            return [(field, "is not after the decision time %s" % decided_at)]
    except ValueError:
        return [(field, "is not a valid date")]
    return []


def _admission(request, decided_at, decision):
    pod_slug = request["agentPodId"].rsplit(":", 1)[1]
    machine_slug = request["agentMachineId"].rsplit(":", 1)[1]
    return {
        "specVersion": SPEC_VERSION,
        "kind": "PolicyAdmission",
        "id": "%spolicy-admission:%s-%s-%s" % (URN_PREFIX, pod_slug, machine_slug, request["requestType"]),
        "request": dict(request),
        "decision": decision,
        "scope": {"allowed": _empty_scope_set(), "denied": _empty_scope_set()},
        "obligations": {"requiredReceipts": [], "expiresAt": None, "revocationRef": None},
        "decidedAt": decided_at,
    }


def _unknown(request, decided_at, decision_ref, reasons, output_digest=None):
    decision = {"status": "unknown", "authorizationGranted": False, "decisionRef": decision_ref,
                "decisionDigest": output_digest}
    return {"admission": _admission(request, decided_at, decision), "reasons": reasons}


def _output_digest(value):
    try:
        return document_digest(value)
    except (TypeError, ValueError):
        return None


def _decided(request, decided_at, decision_ref, decision):
    """The allowed or denied admission for a well-formed decision."""
    allow = decision["allow"]
    document = _admission(request, decided_at, {
        "status": "allowed" if allow else "denied", "authorizationGranted": allow,
        "decisionRef": decision_ref, "decisionDigest": document_digest(decision)})
    document["scope"]["denied"] = decision["scope"]["denied"]
    document["obligations"]["revocationRef"] = decision["obligations"]["revocationRef"]
    reasons = [dict(item) for item in decision["reasons"]]
    if allow:
        document["scope"]["allowed"] = decision["scope"]["allowed"]
        document["obligations"] = decision["obligations"]
    elif not reasons:
        reasons = [_reason("policy-denied-without-reason", "the policy denied the request without giving a reason",
                           "output.reasons")]
    validate_document("PolicyAdmission", document, source="policy decision")
    return {"admission": document, "reasons": reasons}


def admission_from_result(result, request, decided_at, decision_ref):
    """``{"admission": PolicyAdmission, "reasons": [...]}`` from an engine result; never raises."""
    try:
        if result.errors:
            return _unknown(request, decided_at, decision_ref,
                            [_reason("policy-error", message, None) for message in result.errors])
        if not result.defined:
            return _unknown(request, decided_at, decision_ref, [_reason(
                "policy-undefined", "the policy gave no decision at %s: check the package and rule names, and that "
                "every value the decision is built from is defined" % QUERY, "output")])
        problems = []
        decision = _normalized(result.value, problems)
        if decision is not None and decision["allow"]:
            if decision["reasons"]:
                problems.append(("output.allow", "is true while the decision lists reasons (%s)"
                                 % ", ".join(sorted(set(item["code"] for item in decision["reasons"])))))
            problems.extend(_expiry_problems(decision, decided_at))
        if problems:
            return _unknown(request, decided_at, decision_ref, [
                _reason("policy-output-invalid", "the policy decision %s: %s" % (field, message), field)
                for field, message in problems[:_MAX_PROBLEMS]], _output_digest(result.value))
        return _decided(request, decided_at, decision_ref, decision)
    except Exception as exc:  # pylint: disable=broad-except
        return _unknown(request, decided_at, decision_ref, [
            _reason("policy-error", "the policy decision could not be read (%s)" % type(exc).__name__, None)])


def admit(pod, machine, plan_digest, request_type="activation", provider=None, decided_at=None, ttl=None, bundle=None):
    """Evaluate the bundle (the default one unless given) for a request about ``pod`` on ``machine``.

    Returns ``{"admission": PolicyAdmission, "reasons": [{code, message,
    field}], "bundle": {label, digest, modules, query}}``. Raises
    PolicyInputError for bad input only.
    """
    if bundle is None:
        bundle = load_bundle()
    document, request, decided = policy_input(pod, machine, plan_digest, request_type=request_type, provider=provider,
                                              decided_at=decided_at, ttl=ttl)
    result = admission_from_result(evaluate(bundle, document, QUERY), request, decided, bundle.decision_ref)
    result["bundle"] = bundle.summary()
    return result
