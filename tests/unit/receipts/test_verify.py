"""Tamper tests: every kind of damage to a sealed run is found and named."""

import base64
import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import signing
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.manifest import seal_run
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.verify import verify_run
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.writer import write_receipt

RUN = "run-1"


@pytest.fixture(name="sealed")
def sealed_run(tmp_path):
    key = signing.generate_private_key()
    hmac_key = signing.hmac_key_from(key)
    paths = {}
    for host in ("node-a", "node-b"):
        for index, kind in enumerate(("AgentMachine", "StorageReceipt", "ModelReceipt")):
            document = {"kind": kind, "id": "urn:srcos:agent-machine:x:%s-%d" % (host, index), "value": index}
            paths[(host, index)] = write_receipt(str(tmp_path), RUN, host, document, hmac_key)["path"]
    seal_run(str(tmp_path), RUN, key)
    return tmp_path, key, paths


def run_path(root, relative):
    return os.path.join(str(root), relative)


def codes(report):
    return sorted((p["path"], p["code"]) for p in report["problems"])


def test_untouched_run_verifies_clean(sealed):
    root, key, _paths = sealed
    report = verify_run(str(root), RUN, [key.public_key()])
    assert report == {"ok": True, "checked": 6, "problems": []}


def test_flipped_byte_is_a_digest_mismatch_naming_the_file(sealed):
    root, key, paths = sealed
    target = run_path(root, paths[("node-a", 1)])
    data = bytearray(open(target, "rb").read())
    position = data.index(b'"value":1') + len(b'"value":')
    data[position] = ord("7")
    open(target, "wb").write(bytes(data))
    report = verify_run(str(root), RUN, [key.public_key()])
    assert not report["ok"]
    assert codes(report) == [("node-a/storage-receipt/node-a-1.json", "digest-mismatch")]


def test_deleted_receipt_is_named(sealed):
    root, key, paths = sealed
    os.remove(run_path(root, paths[("node-b", 0)]))
    report = verify_run(str(root), RUN, [key.public_key()])
    assert ("node-b/agent-machine/node-b-0.json", "missing-receipt") in codes(report)


def test_swapped_receipts_break_digests_order_and_chain(sealed):
    root, key, paths = sealed
    first, second = run_path(root, paths[("node-a", 0)]), run_path(root, paths[("node-a", 1)])
    a, b = open(first, "rb").read(), open(second, "rb").read()
    open(first, "wb").write(b)
    open(second, "wb").write(a)
    found = codes(verify_run(str(root), RUN, [key.public_key()]))
    for path in ("node-a/agent-machine/node-a-0.json", "node-a/storage-receipt/node-a-1.json"):
        assert (path, "digest-mismatch") in found
        assert (path, "sequence-out-of-order") in found
        assert (path, "chain-break") in found


def test_stripped_signature_is_named(sealed):
    root, key, _paths = sealed
    envelope_path = run_path(root, os.path.join(RUN, "manifest.dsse.json"))
    envelope = json.load(open(envelope_path))
    envelope["signatures"] = []
    json.dump(envelope, open(envelope_path, "w"))
    report = verify_run(str(root), RUN, [key.public_key()])
    assert codes(report) == [("manifest.dsse.json", "missing-signature")]


def test_removed_envelope_is_a_missing_signature(sealed):
    root, key, _paths = sealed
    os.remove(run_path(root, os.path.join(RUN, "manifest.dsse.json")))
    report = verify_run(str(root), RUN, [key.public_key()])
    assert ("manifest.dsse.json", "missing-signature") in codes(report)


def test_wrong_key_is_a_bad_signature(sealed):
    root, _key, _paths = sealed
    report = verify_run(str(root), RUN, [signing.generate_private_key().public_key()])
    assert codes(report) == [("manifest.dsse.json", "bad-signature")]


def test_forged_signature_is_a_bad_signature(sealed):
    root, key, _paths = sealed
    envelope_path = run_path(root, os.path.join(RUN, "manifest.dsse.json"))
    envelope = json.load(open(envelope_path))
    signature = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    signature[0] ^= 0x01
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes(signature)).decode()
    json.dump(envelope, open(envelope_path, "w"))
    assert codes(verify_run(str(root), RUN, [key.public_key()])) == [("manifest.dsse.json", "bad-signature")]


def test_tampered_manifest_is_named(sealed):
    root, key, _paths = sealed
    manifest_path = run_path(root, os.path.join(RUN, "manifest.json"))
    manifest = json.load(open(manifest_path))
    manifest["hosts"]["node-a"]["count"] = 99
    json.dump(manifest, open(manifest_path, "w"))
    assert ("manifest.json", "digest-mismatch") in codes(verify_run(str(root), RUN, [key.public_key()]))


def test_receipt_added_after_sealing_is_unlisted(sealed):
    root, key, _paths = sealed
    shutil.copy(run_path(root, os.path.join(RUN, "node-a", "agent-machine", "node-a-0.json")),
                run_path(root, os.path.join(RUN, "node-a", "agent-machine", "extra.json")))
    assert ("node-a/agent-machine/extra.json", "unlisted-receipt") in codes(verify_run(str(root), RUN, [key.public_key()]))


def test_several_problems_are_all_reported(sealed):
    root, key, paths = sealed
    os.remove(run_path(root, paths[("node-a", 2)]))
    with open(run_path(root, paths[("node-b", 1)]), "ab") as handle:
        handle.write(b" ")
    found = codes(verify_run(str(root), RUN, [key.public_key()]))
    assert ("node-a/model-receipt/node-a-2.json", "missing-receipt") in found
    assert ("node-b/storage-receipt/node-b-1.json", "digest-mismatch") in found


def test_unsealed_run_reports_missing_signature_and_checks_chains(tmp_path):
    hmac_key = b"h" * 32
    for index in range(3):
        write_receipt(str(tmp_path), RUN, "node-a", {"kind": "AgentMachine", "id": "urn:srcos:agent-machine:x:n-%d" % index}, hmac_key)
    os.remove(os.path.join(str(tmp_path), RUN, "node-a", "agent-machine", "n-1.json"))
    found = codes(verify_run(str(tmp_path), RUN, [signing.generate_private_key().public_key()]))
    assert ("manifest.dsse.json", "missing-signature") in found
    assert ("node-a/agent-machine/n-2.json", "chain-break") in found
    assert ("node-a/agent-machine/n-2.json", "sequence-out-of-order") in found


def test_openssl_independently_verifies_the_run_signature(sealed, tmp_path_factory):
    """OpenSSL's own Ed25519 checks the DSSE signature over a PAE built here by hand."""
    root, key, _paths = sealed
    work = tmp_path_factory.mktemp("openssl")
    envelope = json.load(open(run_path(root, os.path.join(RUN, "manifest.dsse.json"))))
    payload = base64.b64decode(envelope["payload"])
    payload_type = envelope["payloadType"].encode()
    pae = b"DSSEv1 %d %s %d %s" % (len(payload_type), payload_type, len(payload), payload)
    (work / "pae.bin").write_bytes(pae)
    (work / "sig.bin").write_bytes(base64.b64decode(envelope["signatures"][0]["sig"]))
    (work / "pub.pem").write_text(signing.public_key_pem(key.public_key()))
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(work / "pub.pem"), "-rawin",
               "-in", str(work / "pae.bin"), "-sigfile", str(work / "sig.bin")]
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    (work / "pae.bin").write_bytes(pae.replace(b"ReceiptManifest", b"ReceiptManifesT") if b"ReceiptManifest" in pae else pae + b" ")
    assert subprocess.run(command, capture_output=True, check=False).returncode != 0
    statement = json.loads(payload)
    subjects = {s["name"] for s in statement["subject"]}
    assert "node-a/agent-machine/node-a-0.json" in subjects and "manifest.json" in subjects
