# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Verify a sealed run and name every problem with the file it is in.

Problems (``code``):

- ``missing-signature``: no manifest.dsse.json, or it carries no signature
- ``bad-signature``: the envelope does not verify with the given keys
- ``missing-manifest``: no manifest.json
- ``digest-mismatch``: a file's bytes differ from the digest that was signed
- ``missing-receipt``: a signed receipt is gone
- ``unlisted-receipt``: a receipt file that the seal does not cover
- ``chain-break``: a receipt's previousDigest is not its predecessor's digest
- ``sequence-out-of-order``: a receipt's sequence is not its place in the chain
- ``unreadable-receipt``: a file that is not a receipt
- ``secret-pattern``: a receipt that still matches a secret pattern
"""

from __future__ import annotations

import json
import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import store
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import sha256_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.redaction import contains_secret_patterns
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.signing import SignatureError, verify_statement


class Report:
    def __init__(self):
        self.problems = []
        self.checked = 0

    def add(self, path, code, detail):
        self.problems.append({"path": path, "code": code, "detail": detail})

    def as_dict(self):
        return {"ok": not self.problems, "checked": self.checked, "problems": self.problems}


def verify_run(artifacts_dir, run_id, public_keys):
    """Check signature, digests, completeness and chains of one run."""
    run_folder = store.run_dir(artifacts_dir, run_id)
    report = Report()
    signed = _signed_subjects(run_folder, public_keys, report)
    manifest = _manifest(run_folder, signed, report)
    expected = _expected_receipts(signed, manifest)
    on_disk = _receipt_files_on_disk(run_folder)

    digests = {}
    for path in sorted(set(expected) | set(on_disk)):
        if path not in on_disk:
            report.add(path, "missing-receipt", "listed with digest %s but the file is gone" % expected[path])
            continue
        data = store.read_bytes(os.path.join(run_folder, path))
        report.checked += 1
        digests[path] = sha256_digest(data)
        if path not in expected:
            report.add(path, "unlisted-receipt", "not covered by the signed manifest")
        elif digests[path] != expected[path]:
            report.add(path, "digest-mismatch", "signed %s, file now %s" % (expected[path], digests[path]))
        leftovers = contains_secret_patterns(data.decode("utf-8", "replace"))
        if leftovers:
            report.add(path, "secret-pattern", "matches %s" % ", ".join(sorted(set(leftovers))))

    for host, paths in _chains(manifest, on_disk, run_folder).items():
        _check_chain(run_folder, host, paths, expected, report)
    return report.as_dict()


def _signed_subjects(run_folder, public_keys, report):
    """{name: sha256 digest} from a valid envelope, else None."""
    path = os.path.join(run_folder, store.ENVELOPE_NAME)
    if not os.path.exists(path):
        report.add(store.ENVELOPE_NAME, "missing-signature", "the run was not sealed, or its envelope was removed")
        return None
    try:
        envelope = json.loads(store.read_bytes(path).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        report.add(store.ENVELOPE_NAME, "bad-signature", "envelope is not JSON: %s" % exc)
        return None
    if isinstance(envelope, dict) and not envelope.get("signatures"):
        report.add(store.ENVELOPE_NAME, "missing-signature", "the envelope carries no signature")
        return None
    try:
        statement = verify_statement(envelope, public_keys)
    except SignatureError as exc:
        report.add(store.ENVELOPE_NAME, "bad-signature", str(exc))
        return None
    return {subject["name"]: "sha256:" + subject["digest"]["sha256"] for subject in statement.get("subject", [])}


def _manifest(run_folder, signed, report):
    path = os.path.join(run_folder, store.MANIFEST_NAME)
    if not os.path.exists(path):
        report.add(store.MANIFEST_NAME, "missing-manifest", "manifest.json is gone")
        return None
    data = store.read_bytes(path)
    if signed is not None and signed.get(store.MANIFEST_NAME) != sha256_digest(data):
        report.add(store.MANIFEST_NAME, "digest-mismatch", "signed %s, file now %s" % (signed.get(store.MANIFEST_NAME), sha256_digest(data)))
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        report.add(store.MANIFEST_NAME, "missing-manifest", "manifest.json is not JSON: %s" % exc)
        return None


def _expected_receipts(signed, manifest):
    """{path: digest}: the signed subjects when the signature holds, else the manifest's list."""
    if signed is not None:
        return {name: digest for name, digest in signed.items() if name != store.MANIFEST_NAME}
    expected = {}
    for info in ((manifest or {}).get("hosts") or {}).values():
        for receipt in info.get("receipts", []):
            expected[receipt["path"]] = receipt["digest"]
    return expected


def _receipt_files_on_disk(run_folder):
    found = set()
    for host in store.list_hosts(run_folder):
        for relative in store.list_receipt_files(os.path.join(run_folder, host)):
            found.add(os.path.join(host, relative))
    return found


def _chains(manifest, on_disk, run_folder):
    """{host: [path, ...]} in chain order: the manifest's order when there is
    one, else each file's own sequence number."""
    if manifest is not None:
        return {host: [r["path"] for r in info.get("receipts", [])] for host, info in (manifest.get("hosts") or {}).items()}
    chains = {}
    for path in on_disk:
        host = path.split(os.sep, 1)[0]
        chains.setdefault(host, []).append(path)
    for host, paths in chains.items():
        paths.sort(key=lambda p: _sequence_of(os.path.join(run_folder, p)))
    return chains


def _sequence_of(path):
    try:
        value = json.loads(store.read_bytes(path).decode("utf-8"))["receipt"]["sequence"]
        return value if isinstance(value, int) else 1 << 62
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, OSError):
        return 1 << 62


def _check_chain(run_folder, host, paths, expected, report):
    previous_path = None
    for position, path in enumerate(paths, start=1):
        full = os.path.join(run_folder, path)
        if not os.path.exists(full):
            previous_path = path
            continue
        try:
            receipt = json.loads(store.read_bytes(full).decode("utf-8"))["receipt"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            report.add(path, "unreadable-receipt", str(exc))
            previous_path = path
            continue
        if receipt.get("sequence") != position:
            report.add(path, "sequence-out-of-order", "sequence %r at chain position %d of %s" % (receipt.get("sequence"), position, host))
        wanted = None
        if previous_path is not None:
            wanted = expected.get(previous_path) or _digest_if_present(os.path.join(run_folder, previous_path))
        if receipt.get("previousDigest") != wanted:
            what = "the chain start" if previous_path is None else previous_path
            report.add(path, "chain-break", "previousDigest %s does not match %s (%s)" % (receipt.get("previousDigest"), what, wanted))
        previous_path = path


def _digest_if_present(path):
    return sha256_digest(store.read_bytes(path)) if os.path.exists(path) else None
