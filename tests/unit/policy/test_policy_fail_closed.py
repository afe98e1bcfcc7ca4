"""Broken Rego, undefined decisions and wrong output shapes give an unknown admission, never allowed, never an exception."""

import copy
import json
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.decision.evaluate import parse_timestamp
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy import engine
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.bundle import load_bundle
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.engine import EngineResult
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.errors import PolicyInputError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.rego_admission import (
    admission_from_result, policy_input,
)

from policy_cases import ADMITTED_AT, PACKAGE, admit_args, admitted, write

GOOD_OUTPUT = {
    "allow": True,
    "reasons": [],
    "scope": {"allowed": {"networkExposure": ["loopback"], "volumeClasses": ["agent-models"],
                          "providerIds": ["urn:srcos:agent-machine:provider:llama-cpp"], "cacheReuse": False,
                          "sideEffects": ["start-provider"]},
              "denied": {}},
    "obligations": {"requiredReceipts": ["RuntimeEvidence"], "expiresAt": "2026-03-02T10:00:00Z", "revocationRef": None},
}
DENY_REASON = {"code": "site-rule", "message": "denied by the site", "field": None}


def replaced(tmp_path, text, name="policy.rego"):
    return load_bundle([write(tmp_path / name, text)], replace_default=True)


def decision_module(value):
    """A replacement policy whose decision is ``value`` (JSON is a Rego term)."""
    return PACKAGE + "decision := " + json.dumps(value) + "\n"


def check_not_allowed(result, status="unknown"):
    admission = result["admission"]
    validate_document("PolicyAdmission", admission)
    assert admission["decision"]["status"] == status
    assert admission["decision"]["authorizationGranted"] is False
    assert admission["scope"]["allowed"]["providerIds"] == []
    assert admission["obligations"]["expiresAt"] is None
    assert result["reasons"]
    return [(reason["code"], reason["field"]) for reason in result["reasons"]]


def test_syntax_error_names_module_and_line(tmp_path):
    result = admitted(bundle=replaced(tmp_path, PACKAGE + "decision := {\n  \"allow\": true,\n", name="broken.rego"))
    assert check_not_allowed(result)[0] == ("policy-error", None)
    assert result["reasons"][0]["message"].startswith("broken.rego line ")
    assert result["admission"]["decision"]["decisionDigest"] is None


def test_syntax_error_in_an_extension_fails_the_whole_bundle(tmp_path):
    bundle = load_bundle([write(tmp_path / "site.rego", PACKAGE + "deny contains x if {")])
    codes = check_not_allowed(admitted(bundle=bundle))
    assert codes == [("policy-error", None)] * len(codes)


def test_old_rego_syntax_in_an_extension_fails_closed(tmp_path):
    # rego-cpp reads "deny[msg] { ... }" as an object, which clashes with the default's set of reasons.
    rule = "package agent_machine.admission\n\ndeny[msg] { msg := \"site rule\" }\n"
    result = admitted(bundle=load_bundle([write(tmp_path / "old.rego", rule)]))
    assert check_not_allowed(result) == [("policy-error", None)]


def test_wrong_package_is_undefined(tmp_path):
    result = admitted(bundle=replaced(tmp_path, "package site\n\ndecision := " + json.dumps(GOOD_OUTPUT) + "\n"))
    assert check_not_allowed(result) == [("policy-undefined", "output")]
    assert "data.agent_machine.admission.decision" in result["reasons"][0]["message"]


def test_false_decision_is_undefined(tmp_path):
    assert check_not_allowed(admitted(bundle=replaced(tmp_path, PACKAGE + "decision := false\n"))) == [
        ("policy-undefined", "output")]


@pytest.mark.parametrize("body", [
    "x := 1\nx := 2\ndecision := {\"allow\": true, \"x\": x}\n",          # conflicting values
    "decision := {\"allow\": 1 / 0}\n",                                   # failing built-in
    "decision := {\"allow\": input.pod.id + 1}\n",                        # type error
])
def test_evaluation_errors_fail_closed(tmp_path, body):
    assert check_not_allowed(admitted(bundle=replaced(tmp_path, PACKAGE + body))) == [("policy-error", None)]


def _without(key):
    value = copy.deepcopy(GOOD_OUTPUT)
    del value[key]
    return value


def _with(path, item):
    value = copy.deepcopy(GOOD_OUTPUT)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = item
    return value


SHAPES = [
    ("not an object", 5, [("policy-output-invalid", "output")]),
    ("a list", [GOOD_OUTPUT], [("policy-output-invalid", "output")]),
    ("no allow", _without("allow"), [("policy-output-invalid", "output.allow")]),
    ("no obligations", _without("obligations"), [("policy-output-invalid", "output.obligations")]),
    ("unknown key", _with(["extra"], 1), [("policy-output-invalid", "output")]),
    ("allow is text", _with(["allow"], "true"), [("policy-output-invalid", "output.allow")]),
    ("allow is a number", _with(["allow"], 1), [("policy-output-invalid", "output.allow")]),
    ("reasons not a list", _with(["reasons"], "none"), [("policy-output-invalid", "output.reasons")]),
    ("reason with a bad code", _with(["reasons"], [{"code": "Bad Code", "message": "x"}]),
     [("policy-output-invalid", "output.reasons[0].code")]),
    ("reason without message", _with(["reasons"], [{"code": "site-rule"}]),
     [("policy-output-invalid", "output.reasons[0].message")]),
    ("allowed with reasons", _with(["reasons"], [DENY_REASON]), [("policy-output-invalid", "output.allow")]),
    ("unknown volume class", _with(["scope", "allowed", "volumeClasses"], ["agent-everything"]),
     [("policy-output-invalid", "output.scope.allowed.volumeClasses[0]")]),
    ("unknown scope key", _with(["scope", "allowed", "hosts"], ["*"]),
     [("policy-output-invalid", "output.scope.allowed.hosts")]),
    ("no allowed scope", _with(["scope"], {"denied": {}}), [("policy-output-invalid", "output.scope.allowed")]),
    ("cache reuse as text", _with(["scope", "allowed", "cacheReuse"], "yes"),
     [("policy-output-invalid", "output.scope.allowed.cacheReuse")]),
    ("allowed without expiry", _with(["obligations", "expiresAt"], None),
     [("policy-output-invalid", "output.obligations.expiresAt")]),
    ("expiry before the decision", _with(["obligations", "expiresAt"], "2026-03-02T09:00:00Z"),
     [("policy-output-invalid", "output.obligations.expiresAt")]),
    ("expiry at the decision time", _with(["obligations", "expiresAt"], ADMITTED_AT),
     [("policy-output-invalid", "output.obligations.expiresAt")]),
    ("expiry not a timestamp", _with(["obligations", "expiresAt"], "tomorrow"),
     [("policy-output-invalid", "output.obligations.expiresAt")]),
    ("expiry impossible date", _with(["obligations", "expiresAt"], "2026-02-30T10:00:00Z"),
     [("policy-output-invalid", "output.obligations.expiresAt")]),
    ("unknown receipt kind", _with(["obligations", "requiredReceipts"], ["Selfie"]),
     [("policy-output-invalid", "output.obligations.requiredReceipts[0]")]),
]


@pytest.mark.parametrize("name, value, expected", SHAPES, ids=[case[0] for case in SHAPES])
def test_wrong_shapes_are_unknown_naming_the_output_field(tmp_path, name, value, expected):
    result = admitted(bundle=replaced(tmp_path, decision_module(value)))
    assert check_not_allowed(result) == expected, name


def test_the_good_output_itself_is_allowed(tmp_path):
    result = admitted(bundle=replaced(tmp_path, decision_module(GOOD_OUTPUT)))
    assert result["admission"]["decision"]["status"] == "allowed"
    assert result["admission"]["obligations"]["expiresAt"] == "2026-03-02T10:00:00Z"


def test_denial_without_reason_gets_one(tmp_path):
    value = _with(["allow"], False)
    assert check_not_allowed(admitted(bundle=replaced(tmp_path, decision_module(value))), status="denied") == [
        ("policy-denied-without-reason", "output.reasons")]


def test_denial_keeps_the_policy_reasons_sorted_and_unique(tmp_path):
    other = {"code": "another-rule", "message": "also denied", "field": "input.pod.id"}
    value = _with(["reasons"], [DENY_REASON, other, DENY_REASON])
    value["allow"] = False
    result = admitted(bundle=replaced(tmp_path, decision_module(value)))
    assert check_not_allowed(result, status="denied") == [("another-rule", "input.pod.id"), ("site-rule", None)]


def test_missing_regopy_fails_closed(monkeypatch):
    monkeypatch.setattr(engine, "REGOPY_IMPORT_ERROR", ImportError("No module named 'regopy'"))
    result = admitted()
    assert check_not_allowed(result) == [("policy-error", None)]
    assert "regopy is missing" in result["reasons"][0]["message"]


def _engine_script(tmp_path, text):
    path = tmp_path / "engine.py"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_engine_crash_fails_closed(monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "PROCESS_SCRIPT", _engine_script(tmp_path, "import os\nos.abort()\n"))
    result = admitted()
    assert check_not_allowed(result) == [("policy-error", None)]
    assert "the policy engine process died (SIGABRT)" in result["reasons"][0]["message"]


def test_engine_timeout_fails_closed(monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "PROCESS_SCRIPT", _engine_script(tmp_path, "import time\ntime.sleep(30)\n"))
    result = engine.evaluate(load_bundle([]), {}, "data.agent_machine.admission.decision", timeout=1)
    assert not result.defined and result.errors == ["the policy did not finish within 1 s"]


def test_engine_garbage_answer_fails_closed(monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "PROCESS_SCRIPT", _engine_script(tmp_path, "print('not json')\n"))
    result = admitted()
    assert check_not_allowed(result) == [("policy-error", None)]
    assert "not JSON" in result["reasons"][0]["message"]


def test_regopy_never_loads_in_the_controller_process():
    """A native library loaded before regopy makes it abort the process: it only ever runs in a child."""
    admitted()
    assert "regopy" not in sys.modules


def test_compile_errors_are_readable():
    message = ("(rego-errorseq\n  (error 6:a.rego|20|1\n    (errormsg 16:this is unclosed)\n    (errorast |20|1))\n"
               "  (error 6:b.rego|0|7\n    (errormsg 16:this is unclosed)))")
    modules = {"a.rego": "package x\n\nallow if {\n", "b.rego": "package y"}
    assert engine.compile_errors(message, modules) == ["a.rego line 3: this is unclosed", "b.rego line 1: this is unclosed"]
    assert engine.compile_errors("something else\nmore", {}) == ["something else"]


# -- bad input raises before any policy runs -----------------------------------------------


def _bad(**changes):
    args = admit_args()
    args.update(changes)
    return args


def _pod_without_workroom():
    pod = admit_args()["pod"]
    del pod["workload"]["workroomRef"]
    return pod


@pytest.mark.parametrize("args, field", [
    (_bad(pod=_pod_without_workroom()), "pod"),
    (_bad(pod="coder-qwen"), "pod"),
    (_bad(machine="m2-air"), "machine"),
    (_bad(machine={"kind": "AgentMachine"}), "machine"),
    (_bad(plan_digest="sha256:abc"), "plan_digest"),
    (_bad(plan_digest=None), "plan_digest"),
    (_bad(request_type="start"), "request_type"),
    (_bad(ttl=0), "ttl"),
    (_bad(ttl=True), "ttl"),
    (_bad(ttl="600"), "ttl"),
    (_bad(decided_at="2026-03-02 09:33:30"), "decided_at"),
    (_bad(decided_at=1772444010), "decided_at"),
    (_bad(provider="gpt-server"), "provider"),
    (_bad(provider={"kind": "InferenceProvider"}), "provider"),
])
def test_bad_input_raises_naming_the_option(args, field):
    with pytest.raises(PolicyInputError) as caught:
        policy_input(**{key: value for key, value in args.items() if key != "bundle"})
    assert caught.value.field == field
    assert str(caught.value).startswith(field + ": ")


def test_invalid_pod_message_names_the_path():
    with pytest.raises(PolicyInputError, match=r"^pod: is not a valid AgentPod: \$\.workload\.workroomRef: field required"):
        policy_input(**_bad(pod=_pod_without_workroom()))


# -- property: whatever the engine returns, the admission is valid and allowed only when it should be ----------

_REQUEST = policy_input(**admit_args())[1]
_REF = "rego:test@sha256:" + "0" * 64 + "#data.agent_machine.admission.decision"
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12)
_FIELDS = st.sampled_from(["allow", "reasons", "scope", "obligations", "extra"])


@st.composite
def _near_good_outputs(draw):
    """The good output with a few keys replaced by arbitrary JSON, dropped or added."""
    value = copy.deepcopy(GOOD_OUTPUT)
    for _change in range(draw(st.integers(min_value=0, max_value=3))):
        key = draw(_FIELDS)
        if draw(st.booleans()):
            value.pop(key, None)
        else:
            value[key] = draw(_JSON)
    if draw(st.booleans()):
        value["obligations"] = dict(GOOD_OUTPUT["obligations"], expiresAt=draw(st.none() | st.text(max_size=24) | st.sampled_from(
            ["2026-03-02T09:33:30Z", "2026-03-02T09:33:31Z", "2099-01-01T00:00:00Z", "2026-03-02T09:33:29.999Z"])))
    return value


def _well_formed_allow(value):
    return (isinstance(value, dict) and set(value) == set(GOOD_OUTPUT) and value["allow"] is True
            and value["reasons"] == [] and isinstance(value["obligations"], dict)
            and isinstance(value["obligations"].get("expiresAt"), str))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_JSON, _near_good_outputs()), st.sampled_from(["value", "undefined", "error"]))
def test_any_engine_result_gives_a_valid_admission_allowed_only_when_well_formed(value, kind):
    result = {"value": EngineResult(value=value, defined=True), "undefined": EngineResult(),
              "error": EngineResult(errors=["broken"])}[kind]
    outcome = admission_from_result(result, _REQUEST, ADMITTED_AT, _REF)
    admission = outcome["admission"]
    validate_document("PolicyAdmission", admission)
    if admission["decision"]["status"] == "allowed":
        assert kind == "value" and _well_formed_allow(value)
        assert outcome["reasons"] == []
        assert parse_timestamp(admission["obligations"]["expiresAt"]) > parse_timestamp(ADMITTED_AT)
    else:
        assert admission["decision"]["authorizationGranted"] is False
        assert admission["scope"]["allowed"]["providerIds"] == []
        assert outcome["reasons"]
