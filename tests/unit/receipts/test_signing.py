"""Ed25519 keys, DSSE envelopes and in-toto statements, cross-checked with OpenSSL and securesystemslib."""

import base64
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
from ansible.errors import AnsibleError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import canonical_json
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.redaction import redact
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.signing import (
    IN_TOTO_PAYLOAD_TYPE,
    STATEMENT_TYPE,
    SignatureError,
    generate_private_key,
    hmac_key_from,
    key_id,
    load_private_key,
    load_private_key_file,
    load_public_key,
    pae,
    private_key_pem,
    public_key_pem,
    sign_envelope,
    sign_statement,
    statement,
    verify_envelope,
    verify_statement,
)

PAYLOAD_TYPE = "application/vnd.sourceos.agent-machine.receipt+json"
PAYLOAD = b'{"kind":"DeploymentReceipt","id":"urn:srcos:agent-machine:deployment-receipt:n1"}'
HEX = "ab" * 32


@pytest.fixture(scope="module")
def key():
    return generate_private_key()


@pytest.fixture(scope="module")
def other_key():
    return generate_private_key()


def _reason(excinfo):
    return excinfo.value.reason


def _by_hand_pae(payload_type, payload):
    """PAE written out from the DSSE v1 protocol text, independently of signing.pae."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 " + str(len(kind)).encode() + b" " + kind + b" " + str(len(payload)).encode() + b" " + payload


# --- PAE and envelopes -----------------------------------------------------------


def test_pae_matches_the_protocol_example():
    assert pae("http://example.com/HelloWorld", b"hello world") == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    assert pae("", b"") == b"DSSEv1 0  0 "
    assert pae("application/vnd.\u00fc+json", b"\x00\xff") == b"DSSEv1 23 application/vnd.\xc3\xbc+json 2 \x00\xff"
    with pytest.raises(TypeError):
        pae("t", "text is not bytes")


def test_envelope_round_trip(key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    assert sorted(envelope) == ["payload", "payloadType", "signatures"]
    assert envelope["payloadType"] == PAYLOAD_TYPE
    assert base64.b64decode(envelope["payload"], validate=True) == PAYLOAD
    [signature] = envelope["signatures"]
    assert signature["keyid"] == key_id(key)
    assert len(base64.b64decode(signature["sig"], validate=True)) == 64
    assert verify_envelope(envelope, [key.public_key()]) == PAYLOAD
    assert verify_envelope(envelope, [public_key_pem(key)], payload_type=PAYLOAD_TYPE) == PAYLOAD
    assert verify_envelope(json.loads(json.dumps(envelope)), key.public_key()) == PAYLOAD


def test_tampered_payload(key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    envelope["payload"] = base64.b64encode(PAYLOAD.replace(b"n1", b"n2")).decode()
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [key.public_key()])
    assert _reason(excinfo) == "bad-signature"


def test_tampered_payload_type(key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    envelope["payloadType"] = IN_TOTO_PAYLOAD_TYPE
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [key.public_key()])
    assert _reason(excinfo) == "bad-signature"


def test_tampered_signature(key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    raw = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    raw[10] ^= 0x01
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes(raw)).decode()
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [key.public_key()])
    assert _reason(excinfo) == "bad-signature"
    assert key_id(key) in str(excinfo.value)


def test_wrong_key(key, other_key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [other_key.public_key()])
    assert _reason(excinfo) == "unknown-keyid"
    assert key_id(key) in str(excinfo.value) and key_id(other_key) in str(excinfo.value)


def test_keyid_claiming_a_trusted_key_is_not_trusted(key, other_key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, other_key)
    envelope["signatures"][0]["keyid"] = key_id(key)
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [key.public_key()])
    assert _reason(excinfo) == "bad-signature"


@pytest.mark.parametrize("keyid", [None, ""])
def test_signature_without_keyid_is_tried_against_every_trusted_key(key, other_key, keyid):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    if keyid is None:
        del envelope["signatures"][0]["keyid"]
    else:
        envelope["signatures"][0]["keyid"] = keyid
    assert verify_envelope(envelope, [other_key.public_key(), key.public_key()]) == PAYLOAD
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [other_key.public_key()])
    assert _reason(excinfo) == "bad-signature"


def test_one_good_signature_of_several_is_enough(key, other_key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, other_key)
    envelope["signatures"] += sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)["signatures"]
    assert verify_envelope(envelope, [key.public_key()]) == PAYLOAD


@pytest.mark.parametrize("strip", ["empty", "absent", "null"])
def test_stripped_signatures(key, strip):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    if strip == "empty":
        envelope["signatures"] = []
    elif strip == "absent":
        del envelope["signatures"]
    else:
        envelope["signatures"] = None
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [key.public_key()])
    assert _reason(excinfo) == "missing-signatures"


@pytest.mark.parametrize("damage", [
    lambda e: e.update(payload="not base64!"),
    lambda e: e.update(payload="QUJD" + "=" * 3),
    lambda e: e.update(payload="QUJDR"),
    lambda e: e.update(payload=12),
    lambda e: e.pop("payload"),
    lambda e: e.pop("payloadType"),
    lambda e: e.update(payloadType=["x"]),
    lambda e: e["signatures"][0].update(sig="***"),
    lambda e: e["signatures"][0].pop("sig"),
    lambda e: e["signatures"][0].update(keyid=5),
    lambda e: e.update(signatures="sig"),
    lambda e: e.update(signatures=["sig"]),
])
def test_malformed_envelopes(key, damage):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    damage(envelope)
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [key.public_key()])
    assert _reason(excinfo) == "malformed-envelope"


@pytest.mark.parametrize("envelope", [None, [], "envelope", b"{}"])
def test_not_an_envelope(key, envelope):
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [key.public_key()])
    assert _reason(excinfo) == "malformed-envelope"


def test_url_safe_and_unpadded_base64_accepted(key):
    envelope = sign_envelope(b"\xfb\xff\xfe payload", PAYLOAD_TYPE, key)
    for field in ("payload",):
        envelope[field] = base64.urlsafe_b64encode(base64.b64decode(envelope[field])).decode().rstrip("=")
    sig = envelope["signatures"][0]
    sig["sig"] = base64.urlsafe_b64encode(base64.b64decode(sig["sig"])).decode().rstrip("=")
    assert verify_envelope(envelope, [key.public_key()]) == b"\xfb\xff\xfe payload"


def test_no_trusted_keys(key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [])
    assert _reason(excinfo) == "no-trusted-keys"


def test_payload_type_expectation(key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [key.public_key()], payload_type=IN_TOTO_PAYLOAD_TYPE)
    assert _reason(excinfo) == "payload-type-mismatch"


def test_signature_error_is_an_ansible_error():
    assert issubclass(SignatureError, AnsibleError)
    error = SignatureError("bad-signature", "details")
    assert error.reason == "bad-signature" and "bad-signature: details" in str(error)


# --- keys ----------------------------------------------------------------------


def test_key_pem_round_trips(key):
    loaded = load_private_key(private_key_pem(key))
    assert key_id(loaded) == key_id(key)
    assert private_key_pem(key).startswith("-----BEGIN PRIVATE KEY-----")
    public = load_public_key(public_key_pem(key))
    assert key_id(public) == key_id(key)
    assert public_key_pem(public) == public_key_pem(key)
    encrypted = private_key_pem(key, password="pw")
    assert encrypted.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert key_id(load_private_key(encrypted, password="pw")) == key_id(key)
    assert key_id(load_private_key(encrypted.encode(), password=b"pw")) == key_id(key)


def test_key_id_is_sha256_of_raw_public_key(key):
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert len(raw) == 32
    assert key_id(key) == key_id(key.public_key()) == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_hmac_key_from_private_key(key, other_key):
    derived = hmac_key_from(key)
    assert isinstance(derived, bytes) and len(derived) == 32
    assert hmac_key_from(load_private_key(private_key_pem(key))) == derived
    assert hmac_key_from(other_key) != derived
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    assert derived != seed
    first = redact({"password": "x"}, derived)[0]
    second = redact({"password": "x"}, hmac_key_from(other_key))[0]
    assert first != second


@pytest.mark.parametrize("text,message", [
    ("just text", "is not PEM"),
    ("", "is not PEM"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "holds no private key"),
    ("-----BEGIN PRIVATE KEY-----\nnot-base64\n-----END PRIVATE KEY-----\n", "not a valid PEM private key"),
])
def test_private_key_loading_errors(text, message):
    with pytest.raises(AnsibleError, match=message):
        load_private_key(text)


def test_private_key_of_other_algorithms_refused():
    for other in (rsa.generate_private_key(public_exponent=65537, key_size=2048), ec.generate_private_key(ec.SECP256R1())):
        pem = other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
        with pytest.raises(AnsibleError, match="is not Ed25519"):
            load_private_key(pem)


def test_openssh_private_key_refused(key):
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    with pytest.raises(AnsibleError, match="OpenSSH private key"):
        load_private_key(pem)


def test_password_errors(key):
    encrypted = private_key_pem(key, password="right")
    with pytest.raises(AnsibleError, match="is encrypted: a password is required"):
        load_private_key(encrypted)
    with pytest.raises(AnsibleError, match="wrong password"):
        load_private_key(encrypted, password="wrong")
    with pytest.raises(AnsibleError, match="not encrypted but a password was given"):
        load_private_key(private_key_pem(key), password="pw")


def test_public_key_loading_errors(key):
    with pytest.raises(AnsibleError, match="is a private key"):
        load_public_key(private_key_pem(key))
    with pytest.raises(AnsibleError, match="is not PEM"):
        load_public_key("nope")
    rsa_public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(AnsibleError, match="is not Ed25519"):
        load_public_key(rsa_public)


def test_private_key_file(tmp_path, key):
    path = tmp_path / "signing.pem"
    path.write_text(private_key_pem(key, password="pw"))
    assert key_id(load_private_key_file(str(path), password="pw")) == key_id(key)
    with pytest.raises(AnsibleError, match="private key file %s is encrypted" % path):
        load_private_key_file(str(path))
    with pytest.raises(AnsibleError, match="cannot read private key file .*missing.pem"):
        load_private_key_file(str(tmp_path / "missing.pem"))


# --- in-toto statements --------------------------------------------------------


def test_statement_shape():
    stmt = statement([{"name": "receipt.json", "digest": "sha256:" + HEX}, ("unit.container", {"sha256": HEX})],
                     "https://sourceos.dev/agent-machine/DeploymentReceipt/v1", {"id": "x"})
    assert stmt == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "receipt.json", "digest": {"sha256": HEX}},
                    {"name": "unit.container", "digest": {"sha256": HEX}}],
        "predicateType": "https://sourceos.dev/agent-machine/DeploymentReceipt/v1",
        "predicate": {"id": "x"},
    }


@pytest.mark.parametrize("subjects,predicate_type,predicate", [
    ([], "https://t", {}),
    ([{"name": "", "digest": "sha256:" + HEX}], "https://t", {}),
    ([{"name": "a", "digest": "sha256:" + HEX.upper()}], "https://t", {}),
    ([{"name": "a", "digest": "sha512:" + HEX}], "https://t", {}),
    ([{"name": "a", "digest": {"sha1": HEX[:40]}}], "https://t", {}),
    (["a"], "https://t", {}),
    ([("a", "sha256:" + HEX)], "", {}),
    ([("a", "sha256:" + HEX)], "https://t", ["not", "an", "object"]),
])
def test_statement_input_errors(subjects, predicate_type, predicate):
    with pytest.raises(ValueError):
        statement(subjects, predicate_type, predicate)


def test_statement_round_trip(key):
    stmt = statement([("receipt.json", "sha256:" + HEX)], "https://sourceos.dev/t/v1", {"b": 1, "a": "\u00e9"})
    envelope = sign_statement(stmt, key)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert base64.b64decode(envelope["payload"]) == canonical_json(stmt)
    assert verify_statement(envelope, [key.public_key()]) == stmt


def test_verify_statement_checks_payload_type_and_type(key):
    other_type = sign_envelope(canonical_json(statement([("a", "sha256:" + HEX)], "https://t", {})), PAYLOAD_TYPE, key)
    with pytest.raises(SignatureError) as excinfo:
        verify_statement(other_type, [key.public_key()])
    assert _reason(excinfo) == "payload-type-mismatch"
    for payload in (b"not json", canonical_json({"_type": "https://in-toto.io/Statement/v0.1", "subject": []}),
                    canonical_json({"_type": STATEMENT_TYPE, "subject": [], "predicateType": "x"}), b"[]"):
        envelope = sign_envelope(payload, IN_TOTO_PAYLOAD_TYPE, key)
        with pytest.raises(SignatureError) as excinfo:
            verify_statement(envelope, [key.public_key()])
        assert _reason(excinfo) == "not-a-statement"
    with pytest.raises(ValueError):
        sign_statement({"_type": "https://in-toto.io/Statement/v0.1"}, key)


# --- independent cross-checks: OpenSSL CLI ---------------------------------------


def _openssl_rawin():
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    helptext = subprocess.run([openssl, "pkeyutl", "-help"], capture_output=True, text=True, check=False)
    return openssl if "-rawin" in helptext.stdout + helptext.stderr else None


OPENSSL = _openssl_rawin()
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl with pkeyutl -rawin (OpenSSL 3) not available")


def _openssl(*args, cwd):
    return subprocess.run([OPENSSL] + list(args), cwd=str(cwd), capture_output=True, text=True, check=False)


@needs_openssl
def test_openssl_verifies_our_envelope(tmp_path, key):
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    (tmp_path / "pub.pem").write_text(public_key_pem(key))
    payload = base64.b64decode(envelope["payload"])
    (tmp_path / "pae.bin").write_bytes(_by_hand_pae(envelope["payloadType"], payload))
    (tmp_path / "sig.bin").write_bytes(base64.b64decode(envelope["signatures"][0]["sig"]))
    result = _openssl("pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "pae.bin",
                      "-sigfile", "sig.bin", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Signature Verified Successfully" in result.stdout

    (tmp_path / "pae.bin").write_bytes(_by_hand_pae(envelope["payloadType"], payload + b" "))
    result = _openssl("pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "pae.bin",
                      "-sigfile", "sig.bin", cwd=tmp_path)
    assert result.returncode != 0


@needs_openssl
def test_we_verify_an_openssl_signature(tmp_path):
    for args in (("genpkey", "-algorithm", "ed25519", "-out", "key.pem"),
                 ("pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"),
                 ("pkey", "-pubin", "-in", "pub.pem", "-outform", "DER", "-out", "pub.der")):
        result = _openssl(*args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    raw_public = (tmp_path / "pub.der").read_bytes()[-32:]
    openssl_keyid = "sha256:" + hashlib.sha256(raw_public).hexdigest()

    (tmp_path / "pae.bin").write_bytes(_by_hand_pae(PAYLOAD_TYPE, PAYLOAD))
    result = _openssl("pkeyutl", "-sign", "-inkey", "key.pem", "-rawin", "-in", "pae.bin", "-out", "sig.bin",
                      cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    envelope = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(PAYLOAD).decode(),
        "signatures": [{"keyid": openssl_keyid, "sig": base64.b64encode((tmp_path / "sig.bin").read_bytes()).decode()}],
    }
    public = load_public_key((tmp_path / "pub.pem").read_text())
    assert key_id(public) == openssl_keyid
    assert verify_envelope(envelope, [public]) == PAYLOAD

    private = load_private_key_file(str(tmp_path / "key.pem"))
    assert key_id(private) == openssl_keyid
    assert sign_envelope(PAYLOAD, PAYLOAD_TYPE, private) == envelope  # Ed25519 is deterministic


# --- independent cross-checks: securesystemslib ----------------------------------


def test_securesystemslib_verifies_our_envelope(key):
    sslib_dsse = pytest.importorskip("securesystemslib.dsse")
    sslib_signer = pytest.importorskip("securesystemslib.signer")
    envelope = sign_envelope(PAYLOAD, PAYLOAD_TYPE, key)
    theirs = sslib_dsse.Envelope.from_dict(copy.deepcopy(envelope))
    assert theirs.pae() == pae(PAYLOAD_TYPE, PAYLOAD)
    public = sslib_signer.SSlibKey.from_crypto(key.public_key(), keyid=key_id(key))
    accepted = theirs.verify([public], 1)
    assert list(accepted) == [key_id(key)]
    assert theirs.to_dict() == envelope


def test_we_verify_a_securesystemslib_envelope():
    sslib_dsse = pytest.importorskip("securesystemslib.dsse")
    sslib_signer = pytest.importorskip("securesystemslib.signer")
    private = ed25519.Ed25519PrivateKey.generate()
    public = sslib_signer.SSlibKey.from_crypto(private.public_key(), keyid=key_id(private))
    theirs = sslib_dsse.Envelope(PAYLOAD, PAYLOAD_TYPE, {})
    theirs.sign(sslib_signer.CryptoSigner(private, public))
    envelope = theirs.to_dict()
    assert verify_envelope(envelope, [private.public_key()]) == PAYLOAD
    envelope["payload"] = base64.b64encode(PAYLOAD + b"x").decode()
    with pytest.raises(SignatureError) as excinfo:
        verify_envelope(envelope, [private.public_key()])
    assert _reason(excinfo) == "bad-signature"


def test_signing_module_imports_without_cryptography():
    """ansible-test's import sanity imports plugin_utils without third-party packages."""
    code = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def fake(name, *args, **kwargs):\n"
        "    if name.startswith('cryptography'):\n"
        "        raise ImportError('No module named ' + repr(name))\n"
        "    return real(name, *args, **kwargs)\n"
        "builtins.__import__ = fake\n"
        "sys.path.insert(0, %r)\n"
        "from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import signing\n"
        "from ansible.errors import AnsibleError\n"
        "assert signing.pae('t', b'x') == b'DSSEv1 1 t 1 x'\n"
        "try:\n"
        "    signing.generate_private_key()\n"
        "except AnsibleError as exc:\n"
        "    assert 'pip install -r requirements.txt' in str(exc), str(exc)\n"
        "else:\n"
        "    raise SystemExit('no error')\n"
    ) % os.path.join(os.path.dirname(__file__), "..", "..", "..", ".build", "collections")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
