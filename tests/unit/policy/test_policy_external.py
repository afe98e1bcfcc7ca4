"""Externally issued PolicyAdmissions and AgentRegistryGrants: accepted only when digest (and signature) verify."""

import base64
import copy
import json

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.policy.external import (
    PAYLOAD_TYPE, accept_external, sign_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import signing
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import document_digest

from policy_cases import load

ISSUER = signing.generate_private_key()
OTHER = signing.generate_private_key()
ISSUER_PEM = signing.public_key_pem(ISSUER)


def example(kind):
    return load({"PolicyAdmission": "policy-admission", "AgentRegistryGrant": "agent-registry-grant"}[kind])


def problems(outcome):
    accepted, found = outcome
    assert accepted is None
    return [(problem["code"], problem["field"]) for problem in found]


@pytest.mark.parametrize("kind", ["PolicyAdmission", "AgentRegistryGrant"])
def test_good_digest_without_key_is_accepted_unsigned(kind):
    document = example(kind)
    accepted, found = accept_external(document, kind, document_digest(document))
    assert found == []
    assert accepted == {"document": document, "digest": document_digest(document),
                        "signature": {"verified": False, "keyid": None}}


@pytest.mark.parametrize("kind", ["PolicyAdmission", "AgentRegistryGrant"])
def test_good_digest_and_signature_are_accepted(kind):
    document = example(kind)
    envelope = sign_document(document, ISSUER)
    assert envelope["payloadType"] == PAYLOAD_TYPE
    accepted, found = accept_external(document, kind, document_digest(document), public_key=ISSUER_PEM, envelope=envelope)
    assert found == []
    assert accepted["signature"] == {"verified": True, "keyid": signing.key_id(ISSUER)}


def test_document_may_come_only_in_the_envelope():
    document = example("AgentRegistryGrant")
    envelope = sign_document(document, ISSUER)
    accepted, found = accept_external(None, "AgentRegistryGrant", document_digest(document), public_key=ISSUER_PEM,
                                      envelope=envelope)
    assert found == []
    assert accepted["document"] == document
    # Without a key the payload is read but only the digest vouches for it.
    accepted, found = accept_external(None, "AgentRegistryGrant", document_digest(document), envelope=envelope)
    assert found == [] and accepted["signature"]["verified"] is False


def test_wrong_digest_is_refused():
    document = example("PolicyAdmission")
    assert problems(accept_external(document, "PolicyAdmission", "sha256:" + "0" * 64)) == [("digest-mismatch", "digest")]


def test_tampered_document_is_refused():
    document = example("PolicyAdmission")
    digest = document_digest(document)
    envelope = sign_document(document, ISSUER)
    tampered = copy.deepcopy(document)
    tampered["obligations"]["expiresAt"] = "2099-01-01T00:00:00Z"
    assert problems(accept_external(tampered, "PolicyAdmission", digest)) == [("digest-mismatch", "digest")]
    assert problems(accept_external(tampered, "PolicyAdmission", digest, public_key=ISSUER_PEM, envelope=envelope)) == [
        ("envelope-payload-mismatch", "envelope"), ("digest-mismatch", "digest")]


def test_tampered_payload_breaks_the_signature():
    document = example("PolicyAdmission")
    envelope = sign_document(document, ISSUER)
    tampered = copy.deepcopy(document)
    tampered["decision"]["status"] = "allowed"
    tampered["scope"]["allowed"]["networkExposure"].append("host")
    envelope["payload"] = base64.b64encode(json.dumps(tampered).encode("utf-8")).decode("ascii")
    assert problems(accept_external(None, "PolicyAdmission", document_digest(tampered), public_key=ISSUER_PEM,
                                    envelope=envelope)) == [("signature-invalid", "envelope")]


def test_signature_by_another_key_is_refused():
    document = example("AgentRegistryGrant")
    envelope = sign_document(document, OTHER)
    assert problems(accept_external(document, "AgentRegistryGrant", document_digest(document), public_key=ISSUER_PEM,
                                    envelope=envelope)) == [("signature-unknown-key", "envelope")]
    envelope["signatures"][0]["keyid"] = signing.key_id(ISSUER)  # claims the issuer's key, signed by another
    assert problems(accept_external(document, "AgentRegistryGrant", document_digest(document), public_key=ISSUER_PEM,
                                    envelope=envelope)) == [("signature-invalid", "envelope")]


def test_key_configured_but_no_envelope_is_refused():
    document = example("PolicyAdmission")
    assert problems(accept_external(document, "PolicyAdmission", document_digest(document), public_key=ISSUER_PEM)) == [
        ("envelope-missing", "envelope")]


def test_no_key_configured_does_not_check_the_envelope():
    document = example("PolicyAdmission")
    envelope = sign_document(document, OTHER)
    envelope["signatures"][0]["sig"] = base64.b64encode(b"\0" * 64).decode("ascii")
    accepted, found = accept_external(document, "PolicyAdmission", document_digest(document), envelope=envelope)
    assert found == []
    assert accepted["signature"] == {"verified": False, "keyid": None}


@pytest.mark.parametrize("change, expected", [
    (lambda env: env.update(payloadType="application/json"), [("envelope-payload-type", "envelope")]),
    (lambda env: env.update(signatures=[]), [("signature-missing", "envelope")]),
    (lambda env: env.update(payload="***"), [("envelope-malformed", "envelope")]),
    (lambda env: env.pop("payloadType"), [("envelope-malformed", "envelope")]),
])
def test_malformed_envelopes_are_refused(change, expected):
    document = example("PolicyAdmission")
    envelope = sign_document(document, ISSUER)
    change(envelope)
    if envelope.get("payloadType") == "application/json":  # signed as such, so only the type is wrong
        envelope = signing.sign_envelope(base64.b64decode(envelope["payload"]), "application/json", ISSUER)
    assert problems(accept_external(document, "PolicyAdmission", document_digest(document), public_key=ISSUER_PEM,
                                    envelope=envelope)) == expected


def test_payload_that_is_not_a_document_is_refused():
    envelope = signing.sign_envelope(b"[1, 2]", PAYLOAD_TYPE, ISSUER)
    assert problems(accept_external(None, "PolicyAdmission", "sha256:" + "0" * 64, public_key=ISSUER_PEM,
                                    envelope=envelope)) == [("envelope-payload-invalid", "envelope")]


@pytest.mark.parametrize("key", ["not a key", signing.private_key_pem(ISSUER)])
def test_bad_public_key_is_refused(key):
    document = example("PolicyAdmission")
    found = problems(accept_external(document, "PolicyAdmission", document_digest(document), public_key=key,
                                     envelope=sign_document(document, ISSUER)))
    assert found == [("public-key-invalid", "public_key")]


def test_wrong_kind_and_invalid_documents_are_refused():
    grant = example("AgentRegistryGrant")
    assert problems(accept_external(grant, "PolicyAdmission", document_digest(grant))) == [("kind-mismatch", "document")]
    admission = example("PolicyAdmission")
    admission["decision"]["status"] = "granted"
    del admission["decidedAt"]
    assert problems(accept_external(admission, "PolicyAdmission", document_digest(admission))) == [
        ("document-invalid", "document.decision.status"), ("document-invalid", "document.decidedAt")]
    assert problems(accept_external(grant, "Pod", document_digest(grant))) == [("kind-unsupported", "kind")]
    assert problems(accept_external(["x"], "PolicyAdmission", document_digest(["x"]))) == [("document-invalid", "document")]


@pytest.mark.parametrize("digest, code", [(None, "digest-missing"), ("sha256:ABC", "digest-invalid"),
                                          ("md5:" + "0" * 32, "digest-invalid")])
def test_digest_must_be_configured_and_well_formed(digest, code):
    assert problems(accept_external(example("PolicyAdmission"), "PolicyAdmission", digest)) == [(code, "digest")]


def test_nothing_given():
    assert problems(accept_external(None, "PolicyAdmission", "sha256:" + "0" * 64)) == [("document-missing", "document")]
