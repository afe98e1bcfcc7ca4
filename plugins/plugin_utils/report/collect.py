# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read one run's evidence from the controller: every receipt, by host and kind, and the manifest.

Layout (docs/evidence.md)::

    <artifacts>/<run id>/<host>/<kind>/<id>.json   one receipt: {"receipt": {...}, "document": {...}}
    <artifacts>/<run id>/manifest.json             written when the run is sealed

Reading never judges the evidence: a file that is not a receipt is kept
aside as unreadable, and whether the run is intact is the verifier's
answer (plugin_utils/receipts/verify.py), not this module's.
"""

from __future__ import annotations

import json
import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import store


class ReportError(Exception):
    """A run that cannot be reported on (no such run, bad run id)."""


class Receipt:
    """One receipt file of the run."""

    def __init__(self, host, path, receipt, document):
        self.host = host
        self.path = path
        self.kind = receipt.get("kind")
        self.document_id = receipt.get("documentId")
        self.sequence = receipt.get("sequence") if isinstance(receipt.get("sequence"), int) else 0
        self.recorded_at = receipt.get("recordedAt")
        self.document = document


class RunEvidence:
    """Every readable receipt of a run, in host and chain order, and what could not be read."""

    def __init__(self, run_id, run_dir, receipts, unreadable, manifest):
        self.run_id = run_id
        self.run_dir = run_dir
        self.receipts = receipts
        self.unreadable = unreadable
        self.manifest = manifest

    @property
    def hosts(self):
        return sorted({receipt.host for receipt in self.receipts})

    @property
    def sealed_at(self):
        return self.manifest.get("sealedAt") if isinstance(self.manifest, dict) else None

    def of_kind(self, kind):
        return [receipt for receipt in self.receipts if receipt.kind == kind]

    def latest_per_host(self, kind):
        """{host: the host's last receipt of ``kind`` in its chain}."""
        latest = {}
        for receipt in self.of_kind(kind):
            if receipt.host not in latest or receipt.sequence >= latest[receipt.host].sequence:
                latest[receipt.host] = receipt
        return latest

    def counts(self):
        """{kind: number of receipts}."""
        counts = {}
        for receipt in self.receipts:
            counts[receipt.kind] = counts.get(receipt.kind, 0) + 1
        return counts


def collect_run(artifacts_dir, run_id):
    """The evidence of ``run_id`` under ``artifacts_dir``; ReportError when there is no such run."""
    try:
        run_folder = store.run_dir(artifacts_dir, run_id)
    except store.StoreError as exc:
        raise ReportError(str(exc))
    if not os.path.isdir(run_folder):
        raise ReportError("run_id: no run %r under %s (is artifacts_dir right?)" % (run_id, artifacts_dir))
    receipts, unreadable = [], []
    for host in store.list_hosts(run_folder):
        for relative in store.list_receipt_files(os.path.join(run_folder, host)):
            path = os.path.join(host, relative)
            try:
                receipts.append(_read_receipt(run_folder, host, path))
            except ValueError as exc:
                unreadable.append({"path": path, "detail": str(exc)})
    receipts.sort(key=lambda receipt: (receipt.host, receipt.sequence, receipt.path))
    return RunEvidence(run_id, run_folder, receipts, unreadable, _read_manifest(run_folder))


def _read_receipt(run_folder, host, path):
    try:
        data = json.loads(store.read_bytes(os.path.join(run_folder, path)).decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError("cannot read: %s" % exc)
    if not isinstance(data, dict) or not isinstance(data.get("receipt"), dict) or not isinstance(data.get("document"), dict):
        raise ValueError("not a receipt: expected an object with 'receipt' and 'document' objects")
    return Receipt(host, path, data["receipt"], data["document"])


def _read_manifest(run_folder):
    try:
        manifest = json.loads(store.read_bytes(os.path.join(run_folder, store.MANIFEST_NAME)).decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return manifest if isinstance(manifest, dict) else None
