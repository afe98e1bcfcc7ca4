# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Seal a run: a manifest of every receipt and digest, signed as an in-toto
Statement v1 in a DSSE envelope whose subjects are the receipt files."""

from __future__ import annotations

import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import store
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import canonical_json, digest_hex, sha256_digest
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.signing import sign_statement, statement
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.writer import RECEIPT_SPEC_VERSION, read_chain, utc_now

PREDICATE_TYPE = "https://sourceos.dev/agent-machine/receipt-manifest/v1"


def build_manifest(artifacts_dir, run_id, now=None):
    """Every host's chain in the run, in chain order, with digests."""
    run_folder = store.run_dir(artifacts_dir, run_id)
    hosts = {}
    for host in store.list_hosts(run_folder):
        chain = read_chain(os.path.join(run_folder, host))
        if not chain:
            continue
        hosts[host] = {
            "count": len(chain),
            "head": chain[-1].digest,
            "receipts": [{
                "sequence": entry.sequence,
                "path": os.path.join(host, entry.relative_path),
                "digest": entry.digest,
                "kind": entry.receipt.get("kind"),
                "documentId": entry.receipt.get("documentId"),
            } for entry in chain],
        }
    return {"specVersion": RECEIPT_SPEC_VERSION, "kind": "ReceiptManifest", "runId": run_id,
            "sealedAt": now or utc_now(), "hosts": hosts}


def seal_run(artifacts_dir, run_id, private_key, check_mode=False, now=None):
    """Write manifest.json and manifest.dsse.json for the run; returns a summary."""
    run_folder = store.run_dir(artifacts_dir, run_id)
    manifest = build_manifest(artifacts_dir, run_id, now=now)
    manifest_bytes = canonical_json(manifest)
    subjects = [{"name": receipt["path"], "digest": {"sha256": digest_hex(receipt["digest"])}}
                for host in sorted(manifest["hosts"]) for receipt in manifest["hosts"][host]["receipts"]]
    subjects.append({"name": store.MANIFEST_NAME, "digest": {"sha256": digest_hex(sha256_digest(manifest_bytes))}})
    predicate = {"runId": run_id, "sealedAt": manifest["sealedAt"],
                 "hosts": {host: {"count": info["count"], "head": info["head"]} for host, info in manifest["hosts"].items()}}
    envelope = sign_statement(statement(subjects, PREDICATE_TYPE, predicate), private_key)
    envelope_bytes = canonical_json(envelope)
    if not check_mode:
        store.write_atomic(os.path.join(run_folder, store.MANIFEST_NAME), manifest_bytes)
        store.write_atomic(os.path.join(run_folder, store.ENVELOPE_NAME), envelope_bytes)
    return {
        "runDir": run_folder,
        "manifest": os.path.join(run_folder, store.MANIFEST_NAME),
        "envelope": os.path.join(run_folder, store.ENVELOPE_NAME),
        "manifestDigest": sha256_digest(manifest_bytes),
        "envelopeDigest": sha256_digest(envelope_bytes),
        "receipts": len(subjects) - 1,
        "hosts": sorted(manifest["hosts"]),
        "envelopeBytes": envelope_bytes,
    }
