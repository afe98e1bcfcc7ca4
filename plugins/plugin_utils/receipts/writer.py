# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one receipt writer every step goes through.

A receipt wraps one (redacted) document with where it sits in its host's
chain for the run::

    {"receipt": {"specVersion", "kind", "documentId", "documentDigest",
                 "host", "runId", "sequence", "previousDigest",
                 "recordedAt", "redactions": [...]},
     "document": {...}}

The file holds the receipt's canonical JSON; its digest is the sha256 of
those bytes. ``previousDigest`` is the digest of the host's previous
receipt in the run (None for the first), so any removed, reordered or
altered receipt breaks the chain.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts import store
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.canonical import (
    canonical_json,
    document_digest,
    sha256_digest,
)
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.receipts.redaction import contains_secret_patterns, redact

RECEIPT_SPEC_VERSION = "0.1.0"


class ReceiptError(Exception):
    """A receipt that must not be written, or a chain that cannot be extended."""


class ChainEntry:
    """One receipt file of a host chain, as read back from disk."""

    def __init__(self, relative_path, data):
        self.relative_path = relative_path
        self.data = data
        self.digest = sha256_digest(data)
        try:
            self.receipt = json.loads(data.decode("utf-8"))["receipt"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise ReceiptError("%s is not a readable receipt: %s" % (relative_path, exc))

    @property
    def sequence(self):
        return self.receipt.get("sequence")


def read_chain(host_folder):
    """The host's receipts in this run, ordered by their sequence number."""
    entries = [ChainEntry(path, store.read_bytes(os.path.join(host_folder, path)))
               for path in store.list_receipt_files(host_folder)]
    return sorted(entries, key=lambda entry: (entry.sequence if isinstance(entry.sequence, int) else 1 << 62, entry.relative_path))


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_receipt(artifacts_dir, run_id, host, document, hmac_key, kind=None, spool=False, check_mode=False, now=None):
    """Redact ``document``, append it to the host's chain and return what was recorded.

    The same document (same kind, id and redacted digest) written twice in
    one run is recorded once. In check mode everything is computed and
    nothing is written.
    """
    if not isinstance(document, dict):
        raise ReceiptError("document: must be a mapping, got %s" % type(document).__name__)
    kind = kind or document.get("kind")
    if not isinstance(kind, str) or not kind:
        raise ReceiptError("kind: the document has no 'kind' and none was given")
    redacted, findings = redact(document, hmac_key)
    document_id = redacted.get("id") or document_digest(redacted)
    redacted_digest = document_digest(redacted)
    folder = store.host_dir(artifacts_dir, run_id, host)

    # Check mode leaves the artifacts untouched: no run folder, no lock file.
    with contextlib.nullcontext() if check_mode else store.locked(folder):
        chain = read_chain(folder)
        for entry in chain:
            if (entry.receipt.get("kind"), entry.receipt.get("documentId"), entry.receipt.get("documentDigest")) == (kind, document_id, redacted_digest):
                return _result(artifacts_dir, folder, entry.relative_path, entry.digest, entry.receipt, findings, written=False)
        receipt = {
            "specVersion": RECEIPT_SPEC_VERSION,
            "kind": kind,
            "documentId": document_id,
            "documentDigest": redacted_digest,
            "host": host,
            "runId": run_id,
            "sequence": len(chain) + 1,
            "previousDigest": chain[-1].digest if chain else None,
            "recordedAt": now or utc_now(),
            "redactions": findings,
        }
        data = canonical_json({"receipt": receipt, "document": redacted})
        leftovers = contains_secret_patterns(data.decode("utf-8"))
        if leftovers:
            raise ReceiptError("refusing to write a %s receipt for %s: secret patterns remain after redaction (%s)"
                               % (kind, host, ", ".join(sorted(set(leftovers)))))
        relative = _free_name(folder, store.kind_folder(kind), store.id_file_stem(document_id), receipt["sequence"])
        digest = sha256_digest(data)
        if not check_mode:
            store.write_atomic(os.path.join(folder, relative), data)
            if spool:
                spool_receipt(artifacts_dir, digest, data)
    return _result(artifacts_dir, folder, relative, digest, receipt, findings, written=not check_mode)


def spool_receipt(artifacts_dir, digest, data):
    """Queue bytes for the evidence endpoint; the digest names the file, so a
    receipt is spooled at most once."""
    path = os.path.join(store.spool_dir(artifacts_dir), digest.split(":", 1)[1] + ".json")
    if not os.path.exists(path):
        store.write_atomic(path, data)


def _free_name(folder, kind_folder, stem, sequence):
    relative = os.path.join(kind_folder, stem + ".json")
    if os.path.exists(os.path.join(folder, relative)):
        relative = os.path.join(kind_folder, "%s.%d.json" % (stem, sequence))
    return relative


def _result(artifacts_dir, folder, relative, digest, receipt, findings, written):
    return {
        "path": os.path.relpath(os.path.join(folder, relative), artifacts_dir),
        "digest": digest,
        "kind": receipt["kind"],
        "documentId": receipt["documentId"],
        "documentDigest": receipt["documentDigest"],
        "sequence": receipt["sequence"],
        "previousDigest": receipt["previousDigest"],
        "redactions": findings,
        "written": written,
    }
