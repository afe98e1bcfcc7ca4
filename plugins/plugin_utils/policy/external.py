# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Externally issued PolicyAdmission and AgentRegistryGrant documents, accepted only when they verify.

A document issued elsewhere (a central policy service, the agent registry)
is accepted when:

1. it validates against its contract, as the kind the operator expects;
2. its digest (sha256 of its canonical JSON) equals the digest the operator
   configured for it;
3. when the operator configured a public key: a DSSE envelope whose Ed25519
   signature verifies with that key carries the same document as its payload
   (payload type ``application/vnd.sourceos.agent-machine.document+json``).

The document may be given on its own or only inside the envelope. Every
problem found is reported with a stable code; the caller turns them into
fail-closed reasons.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from ansible.errors import AnsibleError

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.base import require_pydantic
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.common import DIGEST_REGEX
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import (
    ContractError, validate_document,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import signing
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import (
    canonical_json, document_digest,
)

__all__ = ["KINDS", "PAYLOAD_TYPE", "accept_external", "sign_document"]

KINDS = ("PolicyAdmission", "AgentRegistryGrant")
PAYLOAD_TYPE = "application/vnd.sourceos.agent-machine.document+json"

# SignatureError reasons -> problem codes.
_SIGNATURE_CODES = {
    signing.REASON_MALFORMED: "envelope-malformed",
    signing.REASON_MISSING: "signature-missing",
    signing.REASON_UNKNOWN_KEYID: "signature-unknown-key",
    signing.REASON_BAD_SIGNATURE: "signature-invalid",
    signing.REASON_PAYLOAD_TYPE: "envelope-payload-type",
    signing.REASON_NO_TRUSTED_KEYS: "public-key-invalid",
}
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]*={0,2}$")


def _problem(code, field, message):
    return {"code": code, "field": field, "message": " ".join(str(message).split())}


def _payload_document(payload, problems):
    """The JSON object an envelope payload (bytes) holds, or None after adding a problem."""
    try:
        value = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        problems.append(_problem("envelope-payload-invalid", "envelope", "the envelope payload is not a JSON document"))
        return None
    if not isinstance(value, dict):
        problems.append(_problem("envelope-payload-invalid", "envelope", "the envelope payload is not a JSON object"))
        return None
    return value


def _unverified_payload(envelope, problems):
    """The payload bytes of an envelope whose signature is not checked (no key configured)."""
    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    if not isinstance(payload, str) or not _BASE64.match(payload):
        problems.append(_problem("envelope-malformed", "envelope", "the envelope has no base64 payload"))
        return None
    text = payload.rstrip("=")
    try:
        return base64.urlsafe_b64decode((text.replace("+", "-").replace("/", "_")) + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        problems.append(_problem("envelope-malformed", "envelope", "the envelope payload is not base64"))
        return None


def _public_key(public_key, problems):
    """The configured key: PEM text loaded, a key object as given, None when none is configured or it is invalid."""
    if public_key is None or not isinstance(public_key, (str, bytes)):
        return public_key
    try:
        return signing.load_public_key(public_key, source="public_key")
    except AnsibleError as exc:
        problems.append(_problem("public-key-invalid", "public_key", str(exc)))
        return None


def _signed_payload(envelope, key, problems):
    """The payload of an envelope that verifies with ``key``, or None after adding a problem."""
    if envelope is None:
        problems.append(_problem("envelope-missing", "envelope", "a public key is configured, so the document must come "
                                 "in a DSSE envelope signed with it"))
        return None
    try:
        return signing.verify_envelope(envelope, [key], payload_type=PAYLOAD_TYPE)
    except signing.SignatureError as exc:
        problems.append(_problem(_SIGNATURE_CODES.get(exc.reason, "signature-invalid"), "envelope", str(exc)))
        return None


def _check_contract(kind, document, problems):
    if document.get("kind") != kind:
        problems.append(_problem("kind-mismatch", "document", "the document's kind is %s, expected %s"
                                 % (str(document.get("kind"))[:64], kind)))
        return
    try:
        validate_document(kind, document, source="document")
    except ContractError as exc:
        problems.extend(_problem("document-invalid", "document" + path[1:], message)
                        for path, message in exc.problems[:20])


def _check_digest(document, digest, problems):
    if digest is None:
        problems.append(_problem("digest-missing", "digest", "no expected digest is configured for the document"))
    elif not isinstance(digest, str) or not re.match(DIGEST_REGEX, digest):
        problems.append(_problem("digest-invalid", "digest", "the expected digest is not sha256:<64 lowercase hex digits>"))
    elif document_digest(document) != digest:
        problems.append(_problem("digest-mismatch", "digest", "the document's digest %s is not the configured %s"
                                 % (document_digest(document), digest)))


def _accept(kind, document, digest, public_key, envelope):
    problems = []
    if kind not in KINDS:
        return None, [_problem("kind-unsupported", "kind", "kind must be one of %s" % ", ".join(KINDS))]
    key = _public_key(public_key, problems)
    payload = None
    if key is not None:
        payload = _signed_payload(envelope, key, problems)
    elif envelope is not None and document is None:
        payload = _unverified_payload(envelope, problems)
    signed = _payload_document(payload, problems) if payload is not None else None
    if document is None:
        document = signed
    elif signed is not None and canonical_json(signed) != canonical_json(document):
        problems.append(_problem("envelope-payload-mismatch", "envelope", "the signed payload is not the document given"))
    if document is None:
        if not problems:
            problems.append(_problem("document-missing", "document", "neither a document nor an envelope was given"))
        return None, problems
    if not isinstance(document, dict):
        return None, problems + [_problem("document-invalid", "document", "the document is not a JSON object")]
    _check_contract(kind, document, problems)
    _check_digest(document, digest, problems)
    if problems:
        return None, problems
    return {
        "document": document,
        "digest": document_digest(document),
        "signature": {"verified": key is not None, "keyid": signing.key_id(key) if key is not None else None},
    }, []


def accept_external(document, kind, digest, public_key=None, envelope=None):
    """``(accepted, problems)`` for an externally issued document.

    ``document`` is the document (a dict) or None when it comes only in the
    envelope; ``kind`` PolicyAdmission or AgentRegistryGrant; ``digest`` the
    expected ``sha256:`` digest; ``public_key`` an Ed25519 public key (PEM
    text or key object) or None; ``envelope`` the DSSE envelope (a dict) or
    None. ``accepted`` is ``{"document", "digest", "signature": {"verified",
    "keyid"}}`` with no problems, else None with every problem as
    ``{"code", "field", "message"}``. Never raises.
    """
    try:
        require_pydantic()
        signing.require_cryptography()
        return _accept(kind, document, digest, public_key, envelope)
    except Exception as exc:  # pylint: disable=broad-except
        return None, [_problem("external-check-failed", None, "the document could not be checked (%s): %s"
                               % (type(exc).__name__, " ".join(str(exc).split())[:300]))]


def sign_document(document, private_key):
    """A DSSE envelope carrying ``document`` (canonical JSON), signed with an Ed25519 private key."""
    return signing.sign_envelope(canonical_json(document), PAYLOAD_TYPE, private_key)
