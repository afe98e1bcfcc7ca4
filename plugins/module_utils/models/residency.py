# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the models root holds: the residency manifest and the digest records.

``<models root>/.residency.json`` is read by placement (which models are
resident where), so its format is fixed::

    {"specVersion": "0.1.0",
     "models": [{"ref", "digest", "sizeBytes", "path", "format",
                 "materializedAt", "lastUsedAt"}]}

one entry per file, sorted by path. ``digest`` is the sha256 observed on
the node.

``<models root>/.fingerprints.json`` keeps, per file name, the digest and
the file identity (see digests.py) at the time it was hashed, so that a
later run can trust the digest without reading the file again.

Both are written by temp file, fsync and rename. A file that exists but is
not what it should be is an error, never silently replaced.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.sourceos.agent_machine.plugins.module_utils.models import files

SPEC_VERSION = "0.1.0"
MANIFEST_NAME = ".residency.json"
FINGERPRINTS_NAME = ".fingerprints.json"
LOCK_NAME = ".residency.lock"
ENTRY_KEYS = ("ref", "digest", "sizeBytes", "path", "format", "materializedAt", "lastUsedAt")


class ResidencyError(Exception):
    """The manifest or the digest records exist but cannot be used."""


def manifest_path(root):
    return os.path.join(root, MANIFEST_NAME)


def fingerprints_path(root):
    return os.path.join(root, FINGERPRINTS_NAME)


def empty_manifest():
    return {"specVersion": SPEC_VERSION, "models": []}


def _load(path, check):
    try:
        document = files.read_json(path)
    except (IOError, OSError) as exc:
        raise ResidencyError("%s cannot be read: %s" % (path, exc))
    except ValueError as exc:
        raise ResidencyError("%s is not valid JSON (%s); move it aside to start a new one" % (path, exc))
    if document is None:
        return None
    problem = check(document)
    if problem:
        raise ResidencyError("%s is not usable: %s; move it aside to start a new one" % (path, problem))
    return document


def _manifest_problem(document):
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        return "expected {\"specVersion\": ..., \"models\": [...]}"
    if document.get("specVersion") != SPEC_VERSION:
        return "specVersion %r is not %s" % (document.get("specVersion"), SPEC_VERSION)
    for index, entry in enumerate(document["models"]):
        if not isinstance(entry, dict) or sorted(entry) != sorted(ENTRY_KEYS):
            return "models[%d] must have exactly the keys %s" % (index, ", ".join(ENTRY_KEYS))
        if not isinstance(entry["path"], str) or not isinstance(entry["ref"], str):
            return "models[%d]: ref and path must be strings" % index
    return None


def _fingerprints_problem(document):
    if not isinstance(document, dict) or not isinstance(document.get("files"), dict):
        return "expected {\"specVersion\": ..., \"files\": {...}}"
    if document.get("specVersion") != SPEC_VERSION:
        return "specVersion %r is not %s" % (document.get("specVersion"), SPEC_VERSION)
    return None


def load_manifest(root):
    """The residency manifest of ``root`` (an empty one when there is none yet)."""
    return _load(manifest_path(root), _manifest_problem) or empty_manifest()


def load_fingerprints(root):
    """File name -> {digest, sizeBytes, mtimeNs, ctimeNs, inode, device}."""
    document = _load(fingerprints_path(root), _fingerprints_problem)
    return dict(document["files"]) if document else {}


def entry_at(manifest, path):
    """The manifest entry for ``path``, or None."""
    for entry in manifest["models"]:
        if entry["path"] == path:
            return entry
    return None


def with_entry(manifest, entry):
    """A new manifest with ``entry`` in place of any entry for the same path."""
    models = [existing for existing in manifest["models"] if existing["path"] != entry["path"]]
    models.append(dict((key, entry.get(key)) for key in ENTRY_KEYS))
    return {"specVersion": SPEC_VERSION, "models": sorted(models, key=lambda item: item["path"])}


def save_manifest(root, manifest):
    files.write_json_atomic(manifest_path(root), manifest)


def save_fingerprints(root, records):
    files.write_json_atomic(fingerprints_path(root), {"specVersion": SPEC_VERSION, "files": records}, mode=0o600)


def trusted_digest(records, name, identity):
    """The recorded digest of ``name`` when its file identity is unchanged, else None."""
    record = records.get(name)
    if not isinstance(record, dict):
        return None
    for key, value in identity.items():
        if record.get(key) != value:
            return None
    digest = record.get("digest")
    return digest if isinstance(digest, str) else None


def record(identity, digest):
    entry = dict(identity)
    entry["digest"] = digest
    return entry
