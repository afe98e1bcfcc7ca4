"""Operator bundles: extending the default policy, replacing it, and how files and data are loaded."""

import json

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.bundle import (
    DEFAULT_BUNDLE_DIR, DEFAULT_LABEL, load_bundle,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.errors import PolicyInputError

from policy_cases import PACKAGE, admit_args, admitted, write

ONLY_ASAHI = PACKAGE + """
deny contains reason("site-profile", "input.machine.profile.name", msg) if {
    not input.machine.profile.name in data.site.profiles
    msg := sprintf("machine profile %s is not one this site runs agents on", [input.machine.profile.name])
}
"""

# A complete replacement: admits everything for a fixed ten minutes, denies nothing.
REPLACEMENT = """package agent_machine.admission

import rego.v1

decision := {
    "allow": true,
    "reasons": [],
    "scope": {"allowed": {"networkExposure": ["loopback"], "providerIds": [input.pod.providerId]}},
    "obligations": {
        "requiredReceipts": ["RuntimeEvidence"],
        "expiresAt": time.format([input.request.decidedAtNs + 600000000000, "UTC", "2006-01-02T15:04:05Z"]),
        "revocationRef": "site-revocations:agents",
    },
}
"""


def codes(result):
    return [reason["code"] for reason in result["reasons"]]


def test_default_bundle_sits_in_the_collection():
    bundle = load_bundle()
    assert DEFAULT_BUNDLE_DIR.endswith("/policies/default")
    assert bundle.label == DEFAULT_LABEL
    assert sorted(bundle.modules) == [
        "default/agent_machine/admission.rego", "default/agent_machine/config.rego",
        "default/agent_machine/deny.rego", "default/agent_machine/needs.rego"]
    with open(DEFAULT_BUNDLE_DIR + "/data.json", encoding="utf-8") as handle:
        assert bundle.data == json.load(handle)


def test_operator_rule_extends_the_default(tmp_path):
    rule = write(tmp_path / "site.rego", ONLY_ASAHI)
    data = write(tmp_path / "site.json", json.dumps({"site": {"profiles": ["linux-gpu-node"]}}))
    bundle = load_bundle([rule, data])
    assert bundle.label == DEFAULT_LABEL + "+operator"
    assert "site.rego" in bundle.modules
    result = admitted(bundle=bundle)
    assert [(r["code"], r["field"], r["message"]) for r in result["reasons"]] == [(
        "site-profile", "input.machine.profile.name",
        "machine profile m2-asahi-linux is not one this site runs agents on")]
    assert result["admission"]["decision"]["status"] == "denied"

    allowed = load_bundle([rule], data={"site": {"profiles": ["m2-asahi-linux"]}})
    assert admitted(bundle=allowed)["admission"]["decision"]["status"] == "allowed"


def test_extension_cannot_allow_what_a_default_rule_denies(tmp_path):
    # A rule forcing "allow" while the default's rules still give reasons makes an inconsistent decision.
    rule = write(tmp_path / "force.rego", PACKAGE + "allow := true\n")
    args = admit_args()
    args["pod"]["policy"]["allowPrivileged"] = True
    result = admitted(bundle=load_bundle([rule]), **args)
    assert result["admission"]["decision"]["status"] == "unknown"
    assert result["admission"]["decision"]["authorizationGranted"] is False
    assert [(r["code"], r["field"]) for r in result["reasons"]] == [("policy-output-invalid", "output.allow")]


def test_directory_bundle_with_nested_data_like_opa(tmp_path):
    root = tmp_path / "site"
    write(root / "rules" / "profile.rego", ONLY_ASAHI)
    write(root / "rules" / "profile_test.rego", "this is a test file and is never loaded")
    write(root / "site" / "data.yaml", "profiles:\n  - m2-asahi-linux\n")
    write(root / "README.md", "ignored")
    bundle = load_bundle([str(root)])
    assert "rules/profile.rego" in bundle.modules
    assert "rules/profile_test.rego" not in bundle.modules
    assert bundle.data["site"] == {"profiles": ["m2-asahi-linux"]}
    assert admitted(bundle=bundle)["reasons"] == []


def test_bundle_data_overrides_key_by_key():
    bundle = load_bundle(data={"agent_machine": {"config": {"network": {"allow_host_network": True}}}})
    network = bundle.data["agent_machine"]["config"]["network"]
    assert network["allow_host_network"] is True
    assert network["allowed_exposures"] == ["none", "loopback", "cluster"]


def test_replacement_bundle_is_used_alone(tmp_path):
    bundle = load_bundle([write(tmp_path / "mine.rego", REPLACEMENT)], replace_default=True)
    assert bundle.label == "operator"
    assert list(bundle.modules) == ["mine.rego"]
    assert bundle.data == {}
    args = admit_args()
    args["pod"]["policy"]["allowPrivileged"] = True  # the default would deny; this policy does not look
    result = admitted(bundle=bundle, **args)
    admission = result["admission"]
    assert admission["decision"]["status"] == "allowed"
    assert admission["decision"]["decisionRef"].startswith("rego:operator@sha256:")
    assert admission["scope"]["allowed"]["providerIds"] == ["urn:srcos:agent-machine:provider:llama-cpp"]
    assert admission["scope"]["allowed"]["volumeClasses"] == []
    assert admission["obligations"] == {"requiredReceipts": ["RuntimeEvidence"], "expiresAt": "2026-03-02T09:43:30Z",
                                        "revocationRef": "site-revocations:agents"}


def test_digest_follows_content_not_location(tmp_path):
    first = load_bundle([write(tmp_path / "a" / "site.rego", ONLY_ASAHI)], data={"site": {"profiles": []}})
    moved = load_bundle([write(tmp_path / "b" / "site.rego", ONLY_ASAHI)], data={"site": {"profiles": []}})
    other_data = load_bundle([write(tmp_path / "c" / "site.rego", ONLY_ASAHI)], data={"site": {"profiles": ["x"]}})
    edited = load_bundle([write(tmp_path / "d" / "site.rego", ONLY_ASAHI + "\n")], data={"site": {"profiles": []}})
    assert first.digest == moved.digest
    assert len({first.digest, other_data.digest, edited.digest, load_bundle().digest}) == 4


@pytest.mark.parametrize("make, field, message", [
    (lambda tmp: {"paths": [str(tmp / "absent.rego")]}, "bundle_paths[0]", "does not exist on the controller"),
    (lambda tmp: {"paths": [write(tmp / "notes.txt", "x")]}, "bundle_paths[0]", "is neither a .rego file"),
    (lambda tmp: {"paths": [write(tmp / "bad.json", "{nope")]}, "bundle_paths[0]", "is not valid JSON"),
    (lambda tmp: {"paths": [write(tmp / "list.yaml", "- 1\n")]}, "bundle_paths[0]", "must hold an object"),
    (lambda tmp: {"paths": [write(tmp / "x" / "a.rego", PACKAGE), write(tmp / "y" / "a.rego", PACKAGE)]},
     "bundle_paths[1]", "module a.rego is given twice"),
    (lambda tmp: {"paths": [str((tmp / "empty").mkdir() or tmp / "empty")]}, "bundle_paths[0]", "holds no .rego"),
    (lambda tmp: {"replace_default": True}, "bundle_paths", "replace_default needs"),
    (lambda tmp: {"paths": [write(tmp / "d.json", "{}")], "replace_default": True}, "bundle_paths", "no .rego module"),
    (lambda tmp: {"data": {"when": __import__("datetime").date(2026, 3, 2)}}, "bundle_data", "JSON cannot carry"),
    (lambda tmp: {"default_dir": str(tmp / "gone")}, "replace_default", "default policy bundle is missing"),
])
def test_bad_bundles_name_the_option(tmp_path, make, field, message):
    options = make(tmp_path)
    with pytest.raises(PolicyInputError) as caught:
        load_bundle(options.pop("paths", ()), **options)
    assert caught.value.field == field
    assert message in str(caught.value)
    assert str(caught.value).startswith(field + ": ")
