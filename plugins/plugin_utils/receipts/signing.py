# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ed25519 keys, DSSE v1 envelopes and in-toto Statement v1 for signed receipts.

An envelope is the DSSE JSON envelope::

    {"payloadType": "...", "payload": "<base64>",
     "signatures": [{"keyid": "sha256:<hex>", "sig": "<base64>"}]}

The signature is Ed25519 over PAE(payloadType, payload)::

    "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body

with LEN the ASCII decimal byte length. A key id is ``sha256:`` plus the
hex sha256 of the raw 32-byte Ed25519 public key. Receipts are signed as
in-toto Statements (payload type ``application/vnd.in-toto+json``)
serialized as canonical JSON.

Keys are PKCS#8 PEM (``openssl genpkey -algorithm ed25519``), optionally
encrypted. The ``cryptography`` package is a controller requirement; without
it this module imports and every function that needs it fails with one
clear error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from ansible.errors import AnsibleError

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import canonical_json

try:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test's import test
    CRYPTOGRAPHY_IMPORT_ERROR = exc

DSSE_PREFIX = b"DSSEv1"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
HMAC_KEY_LABEL = b"sourceos.agent_machine redaction v1"

REASON_MALFORMED = "malformed-envelope"
REASON_MISSING = "missing-signatures"
REASON_UNKNOWN_KEYID = "unknown-keyid"
REASON_BAD_SIGNATURE = "bad-signature"
REASON_NO_TRUSTED_KEYS = "no-trusted-keys"
REASON_PAYLOAD_TYPE = "payload-type-mismatch"
REASON_NOT_A_STATEMENT = "not-a-statement"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_BASE64_URL = re.compile(r"[A-Za-z0-9_\-]*={0,2}")


class SignatureError(AnsibleError):
    """An envelope or statement that does not verify; ``reason`` is a stable code."""

    def __init__(self, reason, message):
        super(SignatureError, self).__init__("%s: %s" % (reason, message))
        self.reason = reason


def require_cryptography():
    """Fail with one clear error when the ``cryptography`` package is missing."""
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise AnsibleError(
            "sourceos.agent_machine needs the Python package 'cryptography' on the controller to sign "
            "and verify receipts (pip install -r requirements.txt from the collection): %s"
            % CRYPTOGRAPHY_IMPORT_ERROR)


def _to_bytes(value, what):
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    raise AnsibleError("%s must be text or bytes, got %s" % (what, type(value).__name__))


# --- keys ----------------------------------------------------------------------


def generate_private_key():
    """A new Ed25519 private key."""
    require_cryptography()
    return ed25519.Ed25519PrivateKey.generate()


def _key_kind(key):
    return type(key).__name__.replace("_", "").replace("PrivateKey", "").replace("PublicKey", "") or "unknown"


def load_private_key(pem_text, password=None, source="private key"):
    """An Ed25519 private key from PKCS#8 PEM text (``password`` for an encrypted key).

    ``source`` names the key in error messages (a file path, an option name).
    """
    require_cryptography()
    data = _to_bytes(pem_text, source)
    secret = None if password is None else _to_bytes(password, "password of %s" % source)
    if b"-----BEGIN" not in data:
        raise AnsibleError("%s is not PEM: expected a '-----BEGIN PRIVATE KEY-----' block "
                           "(create one with: openssl genpkey -algorithm ed25519)" % source)
    if b"-----BEGIN OPENSSH PRIVATE KEY-----" in data:
        raise AnsibleError("%s is an OpenSSH private key: only PKCS#8 PEM Ed25519 keys are supported "
                           "(create one with: openssl genpkey -algorithm ed25519)" % source)
    if b"PRIVATE KEY-----" not in data:
        raise AnsibleError("%s is PEM but holds no private key (a public key or certificate?): "
                           "expected a '-----BEGIN PRIVATE KEY-----' block" % source)
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data or b"Proc-Type: 4,ENCRYPTED" in data
    if encrypted and secret is None:
        raise AnsibleError("%s is encrypted: a password is required" % source)
    if not encrypted and secret is not None:
        raise AnsibleError("%s is not encrypted but a password was given" % source)
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        if encrypted:
            raise AnsibleError("%s could not be decrypted: wrong password (or a corrupted key)" % source)
        raise AnsibleError("%s is not a valid PEM private key: %s" % (source, exc))
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise AnsibleError("%s is not Ed25519 (key type: %s): receipts are signed with Ed25519 only "
                           "(create one with: openssl genpkey -algorithm ed25519)" % (source, _key_kind(key)))
    return key


def load_private_key_file(path, password=None):
    """An Ed25519 private key from a PKCS#8 PEM file."""
    require_cryptography()
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise AnsibleError("cannot read private key file %s: %s" % (path, exc.strerror or exc))
    return load_private_key(data, password=password, source="private key file %s" % path)


def _public(key):
    require_cryptography()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.public_key()
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    raise AnsibleError("expected an Ed25519 key, got %s" % type(key).__name__)


def public_key_pem(key):
    """SubjectPublicKeyInfo PEM text of a key's public half (private or public key given)."""
    return _public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def private_key_pem(key, password=None):
    """PKCS#8 PEM text of a private key: unencrypted (throwaway demo keys) unless ``password`` is given."""
    require_cryptography()
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise AnsibleError("expected an Ed25519 private key, got %s" % type(key).__name__)
    if password is None:
        encryption = serialization.NoEncryption()
    else:
        encryption = serialization.BestAvailableEncryption(_to_bytes(password, "password"))
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode("ascii")


def load_public_key(pem_text, source="public key"):
    """An Ed25519 public key from SubjectPublicKeyInfo PEM text."""
    require_cryptography()
    data = _to_bytes(pem_text, source)
    if b"-----BEGIN PUBLIC KEY-----" not in data:
        if b"PRIVATE KEY-----" in data:
            raise AnsibleError("%s is a private key: give the public key (openssl pkey -in KEY -pubout)" % source)
        raise AnsibleError("%s is not PEM: expected a '-----BEGIN PUBLIC KEY-----' block" % source)
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise AnsibleError("%s is not a valid PEM public key: %s" % (source, exc))
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise AnsibleError("%s is not Ed25519 (key type: %s)" % (source, _key_kind(key)))
    return key


def key_id(key):
    """``sha256:<hex>`` of the raw 32-byte Ed25519 public key (private or public key given)."""
    raw = _public(key).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def hmac_key_from(private_key):
    """The 32-byte redaction HMAC key of a deployment, derived from its signing key (HKDF-SHA256)."""
    require_cryptography()
    if not isinstance(private_key, ed25519.Ed25519PrivateKey):
        raise AnsibleError("expected an Ed25519 private key, got %s" % type(private_key).__name__)
    seed = private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HMAC_KEY_LABEL).derive(seed)


# --- DSSE ----------------------------------------------------------------------


def pae(payload_type, payload):
    """DSSE v1 pre-authentication encoding of a payload type and payload bytes."""
    if not isinstance(payload_type, str):
        raise TypeError("payload_type must be str, got %s" % type(payload_type).__name__)
    if not isinstance(payload, (bytes, bytearray)):
        raise TypeError("payload must be bytes, got %s" % type(payload).__name__)
    kind = payload_type.encode("utf-8")
    return b" ".join((DSSE_PREFIX, str(len(kind)).encode("ascii"), kind,
                      str(len(payload)).encode("ascii"), bytes(payload)))


def _b64encode(data):
    return base64.b64encode(data).decode("ascii")


def _b64decode(text, what):
    """Standard or URL-safe base64, padded or not (both allowed by DSSE); SignatureError when malformed."""
    if not isinstance(text, str):
        raise SignatureError(REASON_MALFORMED, "%s must be a base64 string, got %s" % (what, type(text).__name__))
    if _BASE64.fullmatch(text):
        decode = base64.b64decode
    elif _BASE64_URL.fullmatch(text):
        decode = base64.urlsafe_b64decode
    else:
        raise SignatureError(REASON_MALFORMED, "%s is not base64" % what)
    try:
        return decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise SignatureError(REASON_MALFORMED, "%s is not base64" % what)


def sign_envelope(payload, payload_type, private_key):
    """A DSSE envelope with one Ed25519 signature over PAE(payload_type, payload)."""
    require_cryptography()
    if not isinstance(private_key, ed25519.Ed25519PrivateKey):
        raise AnsibleError("expected an Ed25519 private key, got %s" % type(private_key).__name__)
    signature = private_key.sign(pae(payload_type, payload))
    return {
        "payloadType": payload_type,
        "payload": _b64encode(bytes(payload)),
        "signatures": [{"keyid": key_id(private_key), "sig": _b64encode(signature)}],
    }


def _trusted_keys(public_keys):
    require_cryptography()
    if public_keys is None:
        public_keys = []
    elif isinstance(public_keys, (str, bytes, ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        public_keys = [public_keys]
    trusted = {}
    for key in public_keys:
        if isinstance(key, (str, bytes)):
            key = load_public_key(key)
        trusted[key_id(key)] = _public(key)
    if not trusted:
        raise SignatureError(REASON_NO_TRUSTED_KEYS, "no trusted public key was given to verify against")
    return trusted


def verify_envelope(envelope, public_keys, payload_type=None):
    """The payload bytes of a DSSE envelope signed by one of ``public_keys``.

    ``public_keys`` is a list of Ed25519 public keys (objects or PEM text).
    The envelope is accepted when one signature verifies with the trusted
    key its ``keyid`` names (a signature without keyid is tried against
    every trusted key). ``payload_type``, when given, must match. Raises
    SignatureError with reason malformed-envelope, missing-signatures,
    unknown-keyid, bad-signature, no-trusted-keys or payload-type-mismatch.
    """
    trusted = _trusted_keys(public_keys)
    if not isinstance(envelope, dict):
        raise SignatureError(REASON_MALFORMED, "envelope must be a JSON object, got %s" % type(envelope).__name__)
    kind = envelope.get("payloadType")
    if not isinstance(kind, str):
        raise SignatureError(REASON_MALFORMED, "envelope payloadType is missing or not a string")
    if "payload" not in envelope:
        raise SignatureError(REASON_MALFORMED, "envelope payload is missing")
    payload = _b64decode(envelope["payload"], "envelope payload")
    signatures = envelope.get("signatures")
    if signatures is None or signatures == []:
        raise SignatureError(REASON_MISSING, "envelope has no signatures")
    if not isinstance(signatures, list):
        raise SignatureError(REASON_MALFORMED, "envelope signatures must be a list")
    decoded = []
    for index, entry in enumerate(signatures):
        if not isinstance(entry, dict) or "sig" not in entry:
            raise SignatureError(REASON_MALFORMED, "envelope signatures[%d] has no sig" % index)
        keyid = entry.get("keyid") or ""
        if not isinstance(keyid, str):
            raise SignatureError(REASON_MALFORMED, "envelope signatures[%d].keyid is not a string" % index)
        decoded.append((keyid, _b64decode(entry["sig"], "envelope signatures[%d].sig" % index)))

    message = pae(kind, payload)
    tried = []
    for keyid, signature in decoded:
        candidates = [keyid] if keyid else sorted(trusted)
        for candidate in candidates:
            if candidate not in trusted:
                continue
            tried.append(candidate)
            try:
                trusted[candidate].verify(signature, message)
            except InvalidSignature:
                continue
            if payload_type is not None and kind != payload_type:
                raise SignatureError(REASON_PAYLOAD_TYPE, "envelope payloadType is %r, expected %r" % (kind, payload_type))
            return payload
    if tried:
        raise SignatureError(REASON_BAD_SIGNATURE, "no signature verifies with trusted key(s) %s"
                             % ", ".join(sorted(set(tried))))
    raise SignatureError(REASON_UNKNOWN_KEYID, "no signature is by a trusted key: envelope keyids %s, trusted %s"
                         % (", ".join(sorted(set(entry[0] for entry in decoded))), ", ".join(sorted(trusted))))


# --- in-toto Statement v1 ------------------------------------------------------


def _subject(entry, index):
    if isinstance(entry, (list, tuple)) and len(entry) == 2:
        name, digest = entry
    elif isinstance(entry, dict):
        name, digest = entry.get("name"), entry.get("digest")
    else:
        raise ValueError("subject[%d] must be {'name': ..., 'digest': ...} or (name, digest)" % index)
    if not isinstance(name, str) or not name:
        raise ValueError("subject[%d].name must be a non-empty string" % index)
    if isinstance(digest, dict):
        hexdigest = digest.get("sha256")
    elif isinstance(digest, str) and digest.startswith("sha256:"):
        hexdigest = digest[len("sha256:"):]
    else:
        hexdigest = None
    if not isinstance(hexdigest, str) or not _HEX64.fullmatch(hexdigest):
        raise ValueError("subject[%d].digest must be 'sha256:<64 lower-case hex>' or {'sha256': <hex>}" % index)
    return {"name": name, "digest": {"sha256": hexdigest}}


def statement(subjects, predicate_type, predicate):
    """An in-toto Statement v1 about ``subjects`` (name and sha256 digest each)."""
    if not isinstance(subjects, (list, tuple)) or not subjects:
        raise ValueError("statement subjects must be a non-empty list")
    if not isinstance(predicate_type, str) or not predicate_type:
        raise ValueError("statement predicate_type must be a non-empty URI string")
    if not isinstance(predicate, dict):
        raise ValueError("statement predicate must be a JSON object")
    return {
        "_type": STATEMENT_TYPE,
        "subject": [_subject(entry, index) for index, entry in enumerate(subjects)],
        "predicateType": predicate_type,
        "predicate": predicate,
    }


def sign_statement(stmt, private_key):
    """A DSSE envelope (payload type application/vnd.in-toto+json) of a statement's canonical JSON."""
    if not isinstance(stmt, dict) or stmt.get("_type") != STATEMENT_TYPE:
        raise ValueError("not an in-toto Statement v1 (_type must be %s)" % STATEMENT_TYPE)
    return sign_envelope(canonical_json(stmt), IN_TOTO_PAYLOAD_TYPE, private_key)


def verify_statement(envelope, public_keys):
    """The statement of a verified in-toto envelope (signature, payloadType and _type checked)."""
    payload = verify_envelope(envelope, public_keys, payload_type=IN_TOTO_PAYLOAD_TYPE)
    try:
        stmt = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignatureError(REASON_NOT_A_STATEMENT, "signed payload is not JSON: %s" % exc)
    if not isinstance(stmt, dict) or stmt.get("_type") != STATEMENT_TYPE:
        raise SignatureError(REASON_NOT_A_STATEMENT, "signed payload is not an in-toto Statement v1 (_type must be %s)"
                             % STATEMENT_TYPE)
    if not isinstance(stmt.get("subject"), list) or not stmt["subject"] or not isinstance(stmt.get("predicateType"), str):
        raise SignatureError(REASON_NOT_A_STATEMENT, "signed statement lacks subject or predicateType")
    return stmt
