# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The model residency manifest: which models are materialized on the node's models volume.

``<models root>/.residency.json``, written by the step that materializes
models::

    {"specVersion": "0.1.0",
     "models": [{"ref": ..., "digest": "sha256:...", "sizeBytes": ..., "path": ...,
                 "format": ..., "materializedAt": ..., "lastUsedAt": ...}]}

``ref``, ``digest``, ``sizeBytes`` and ``path`` are required (a relative
path is under the models root); the others may be null. A missing manifest
means no resident model; one that cannot be read or does not have this
shape is an error naming the file and the entry. Each model is then
checked on disk: a regular file of the recorded size is ``onDisk``,
anything else is reported with its ``problem`` (the file is never read).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import stat

from ansible_collections.sourceos.agent_machine.plugins.module_utils.cache.prefixes import CacheInventoryError

MANIFEST_NAME = ".residency.json"
SPEC_VERSION = "0.1.0"
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_REQUIRED = ("ref", "digest", "sizeBytes", "path")
_OPTIONAL = ("format", "materializedAt", "lastUsedAt")


def _string(value):
    return isinstance(value, str) and value != ""


def _check_entry(entry, where):
    if not isinstance(entry, dict):
        raise CacheInventoryError("%s: must be an object" % where)
    for key in _REQUIRED:
        if key not in entry:
            raise CacheInventoryError("%s.%s: field required" % (where, key))
    if not _string(entry["ref"]):
        raise CacheInventoryError("%s.ref: must be a non-empty string" % where)
    if not isinstance(entry["digest"], str) or not _DIGEST.match(entry["digest"]):
        raise CacheInventoryError("%s.digest: must be a sha256 digest (sha256:<64 lowercase hex digits>)" % where)
    size = entry["sizeBytes"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise CacheInventoryError("%s.sizeBytes: must be a whole number of bytes, at least 0" % where)
    if not _string(entry["path"]) or "\x00" in entry["path"]:
        raise CacheInventoryError("%s.path: must be a non-empty path" % where)
    for key in _OPTIONAL:
        if entry.get(key) is not None and not _string(entry[key]):
            raise CacheInventoryError("%s.%s: must be a non-empty string or null" % (where, key))


def read_manifest(models_root):
    """(manifest path, model entries as written, whether the manifest exists)."""
    path = os.path.join(models_root, MANIFEST_NAME)
    if not os.path.lexists(path):
        return path, [], False
    if os.path.islink(path) or not os.path.isfile(path):
        raise CacheInventoryError("%s: the residency manifest must be a regular file" % path)
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CacheInventoryError("%s: the residency manifest cannot be read as JSON: %s" % (path, exc))
    if not isinstance(data, dict):
        raise CacheInventoryError("%s: the residency manifest must be a JSON object" % path)
    if data.get("specVersion") != SPEC_VERSION:
        raise CacheInventoryError("%s: specVersion must be %s, found %r" % (path, SPEC_VERSION, data.get("specVersion")))
    models = data.get("models")
    if not isinstance(models, list):
        raise CacheInventoryError("%s: models must be a list" % path)
    for position, entry in enumerate(models):
        _check_entry(entry, "%s: models[%d]" % (path, position))
    return path, models, True


def _on_disk(models_root, entry):
    """(absolute path, onDisk, problem) of one manifest entry."""
    path = entry["path"] if os.path.isabs(entry["path"]) else os.path.join(models_root, entry["path"])
    try:
        info = os.stat(path)
    except OSError as exc:
        return path, False, "missing: %s" % (exc.strerror or exc)
    if not stat.S_ISREG(info.st_mode):
        return path, False, "not a regular file"
    if info.st_size != entry["sizeBytes"]:
        return path, False, "size differs: %d bytes on disk, %d in the manifest" % (info.st_size, entry["sizeBytes"])
    return path, True, None


def resident_models(models_root):
    """(manifest path, whether it exists, models sorted by digest then ref, each with onDisk and problem)."""
    if os.path.lexists(models_root) and not os.path.isdir(models_root):
        raise CacheInventoryError("%s: the models root is not a directory" % models_root)
    manifest, entries, found = read_manifest(models_root)
    models = []
    for entry in entries:
        path, present, problem = _on_disk(models_root, entry)
        model = {key: entry[key] for key in _REQUIRED}
        model.update({key: entry.get(key) for key in _OPTIONAL})
        model.update({"path": path, "onDisk": present, "problem": problem})
        models.append(model)
    models.sort(key=lambda model: (model["digest"], model["ref"]))
    return manifest, found, models
