# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Materialize one model artifact under the models root, safely and idempotently.

Layout of the models root::

    <root>/<name>                      the artifacts
    <root>/.partial/<name>.<id>.part   downloads in progress (kept when interrupted)
    <root>/.quarantine/                artifacts whose digest did not match, and replaced files
    <root>/.residency.json             the residency manifest (residency.py)
    <root>/.fingerprints.json          digests and file identities (no re-hash when unchanged)

A new artifact is written to the partial file (same filesystem as the
final path), hashed while it is written, compared with the expected
digest, fsynced and renamed into place; the directory is fsynced after the
rename. On a digest mismatch the partial file moves to the quarantine and
nothing appears at the final path. A file already at the final path is
trusted from its fingerprint, or hashed when it has none, when it changed
or when ``verify`` is set. A present file with another digest is replaced
the same way, its old bytes kept in the quarantine.

Check mode reads (and may hash) but writes nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os
import stat
import time

from ansible_collections.sourceos.agent_machine.plugins.module_utils.models import digests, download, files, residency
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.receipt import (
    build_receipt,
    timestamp,
    timestamp_from_ns,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.request import display_url

PARTIAL_DIR = ".partial"
QUARANTINE_DIR = ".quarantine"
ROOT_MODE = 0o750
PRIVATE_DIR_MODE = 0o700


class MaterializeError(Exception):
    """The artifact was not materialized; ``result`` holds what is known (a quarantined receipt, notes)."""

    def __init__(self, message, result=None):
        Exception.__init__(self, message)
        self.result = result or {}


class NodeIO:
    """What the materializer takes from the node; tests replace parts of it."""

    def __init__(self, statvfs=os.statvfs, hash_file=digests.sha256_file, sleep=time.sleep, now=timestamp):
        self.statvfs = statvfs
        self.hash_file = hash_file
        self.sleep = sleep
        self.now = now


class Present:
    """What is at the final path: nothing, or a file with a digest (hashed now or trusted from its fingerprint)."""

    def __init__(self, exists, digest=None, hashed=False, size_bytes=None):
        self.exists = exists
        self.digest = digest
        self.hashed = hashed
        self.size_bytes = size_bytes

    def matches(self, request):
        return self.exists and (request.digest is None or self.digest == request.digest)


class Paths:
    def __init__(self, request):
        root = request.models_root
        self.root = root
        self.final = request.final_path
        self.partial_dir = os.path.join(root, PARTIAL_DIR)
        tag = request.digest.split(":", 1)[1][:16] if request.digest else "unverified"
        self.partial = os.path.join(self.partial_dir, "%s.%s.part" % (request.name, tag))
        self.quarantine_dir = os.path.join(root, QUARANTINE_DIR)
        self.lock = os.path.join(root, residency.LOCK_NAME)


def final_exists(paths):
    """True when a regular file is at the final path; MaterializeError for a link, directory or device."""
    try:
        mode = os.lstat(paths.final).st_mode
    except FileNotFoundError:
        return False
    if not stat.S_ISREG(mode):
        raise MaterializeError("name: %s exists and is not a regular file (a link or directory is never replaced)" % paths.final)
    return True


def inspect_present(request, paths, records, io):
    """Present for the final path; hashes only when the fingerprint cannot vouch for the file."""
    if not final_exists(paths):
        return Present(False)
    identity = digests.fingerprint(paths.final)
    trusted = None if request.verify else residency.trusted_digest(records, request.name, identity)
    if trusted is not None:
        return Present(True, trusted, hashed=False, size_bytes=identity["sizeBytes"])
    return Present(True, io.hash_file(paths.final), hashed=True, size_bytes=identity["sizeBytes"])


def check_collision(request, paths, manifest):
    """MaterializeError when the final path holds another ref's file."""
    entry = residency.entry_at(manifest, paths.final)
    if entry is not None and entry["ref"] != request.ref and final_exists(paths):
        raise MaterializeError("name: %s holds %s (per %s); choose another name for %s"
                               % (paths.final, entry["ref"], residency.MANIFEST_NAME, request.ref))


def _live_entries(manifest, notes):
    """The manifest without entries whose file is gone (noted)."""
    kept = []
    for entry in manifest["models"]:
        if os.path.isfile(entry["path"]):
            kept.append(entry)
        else:
            notes.append("%s is gone: its residency entry (%s) is dropped" % (entry["path"], entry["ref"]))
    return {"specVersion": manifest["specVersion"], "models": kept}


def _records_of_present_files(root, records):
    """The digest records whose file still exists."""
    return dict((name, record) for name, record in records.items() if os.path.isfile(os.path.join(root, name)))


def _entry(request, previous, digest, io, materialized_at):
    unchanged = previous is not None and previous["digest"] == digest and previous["ref"] == request.ref
    return {
        "ref": request.ref,
        "digest": digest,
        "sizeBytes": os.path.getsize(request.final_path),
        "path": request.final_path,
        "format": request.format,
        "materializedAt": previous["materializedAt"] if unchanged and previous["materializedAt"] else materialized_at,
        "lastUsedAt": io.now() if request.mark_used else (previous["lastUsedAt"] if unchanged else None),
    }


def _without_use(entry):
    return dict((key, value) for key, value in (entry or {}).items() if key != "lastUsedAt")


def _copy(request, paths, io):
    """Copy the node-side source into the partial file; (digest, size)."""
    source = request.source_path
    if not os.path.isfile(source):
        raise MaterializeError("path: %s is not a file on the node" % source)
    size = os.path.getsize(source)
    if request.size_bytes is not None and size != request.size_bytes:
        raise MaterializeError("size_bytes: %d expected, but %s has %d bytes" % (request.size_bytes, source, size))
    files.require_space(paths.partial_dir, size, request.name, io.statvfs)
    hasher = hashlib.sha256()
    with open(source, "rb") as src, open(paths.partial, "wb") as out:
        for chunk in iter(lambda: src.read(digests.CHUNK_BYTES), b""):
            out.write(chunk)
            hasher.update(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digests.as_digest(hasher), size


def _quarantine_target(paths, name, digest, io, suffix=""):
    """A free path in the quarantine for a file of ``name`` with ``digest``."""
    files.ensure_dir(paths.quarantine_dir, PRIVATE_DIR_MODE)
    stem = "%s.%s.%s%s" % (name, digest.split(":", 1)[1][:16], io.now().replace(":", ""), suffix)
    target, counter = os.path.join(paths.quarantine_dir, stem), 1
    while os.path.lexists(target):
        counter += 1
        target = os.path.join(paths.quarantine_dir, "%s.%d" % (stem, counter))
    return target


def _fetch(request, paths, io, notes):
    """Bring the source into the partial file; (outcome, digest, size, transfer details)."""
    files.ensure_dir(paths.partial_dir, PRIVATE_DIR_MODE)
    if request.source_kind == "url":
        try:
            transfer = download.fetch(request, paths.partial, io.statvfs, io.sleep)
        except (download.DownloadError, files.SpaceError) as exc:
            raise MaterializeError(str(exc), {"notes": notes})
        finally:
            files.fsync_dir(paths.partial_dir)
        notes.extend(transfer.notes)
        outcome = "resumed" if transfer.resumed_from else "downloaded"
        details = {"received_bytes": transfer.received_bytes, "resumed_from": transfer.resumed_from, "attempts": transfer.attempts}
        return outcome, transfer.digest, transfer.size_bytes, details
    try:
        digest, size = _copy(request, paths, io)
    except files.SpaceError as exc:
        raise MaterializeError(str(exc), {"notes": notes})
    return "copied", digest, size, {"received_bytes": size, "resumed_from": 0, "attempts": 1}


def _reject(request, paths, machine_id, digest, size, io, notes):
    """Quarantine the partial file and raise, with the quarantined receipt."""
    target = _quarantine_target(paths, request.name, digest, io)
    os.rename(paths.partial, target)
    files.fsync_dir(paths.partial_dir)
    files.fsync_dir(paths.quarantine_dir)
    receipt = build_receipt(request, machine_id, "quarantined", target, digest, size, None, io.now())
    message = ("digest mismatch for %s from %s: expected %s, got %s; the file was moved to %s and nothing was written to %s"
               % (request.ref, _source_text(request), request.digest, digest, target, paths.final))
    raise MaterializeError(message, {"model_receipt": receipt, "quarantined_path": target, "digest": digest, "notes": notes})


def _source_text(request):
    return display_url(request.url) if request.source_kind == "url" else "%s %s" % (request.source_kind, request.source_path)


def _install(request, paths, io, replacing, notes):
    """Rename the verified partial file into place (keeping a replaced file's bytes in the quarantine)."""
    os.chmod(paths.partial, request.mode)
    files.fsync_file(paths.partial)
    if replacing is not None:
        kept = _quarantine_target(paths, request.name, replacing, io, ".replaced")
        os.link(paths.final, kept)
        files.fsync_dir(paths.quarantine_dir)
        notes.append("%s had digest %s; its bytes are kept at %s" % (paths.final, replacing, kept))
    os.rename(paths.partial, paths.final)
    files.fsync_dir(paths.root)
    files.fsync_dir(paths.partial_dir)


def _result(request, machine_id, outcome, present_digest, size, entry, hashed, changed, manifest, notes, io, details=None):
    receipt = build_receipt(request, machine_id, outcome, request.final_path, present_digest, size, entry, io.now())
    result = {
        "changed": changed,
        "outcome": outcome,
        "path": request.final_path,
        "digest": present_digest,
        "verified": bool(receipt and receipt["verified"]),
        "hashed": hashed,
        "size_bytes": size,
        "received_bytes": 0,
        "resumed_from": 0,
        "attempts": 0,
        "source": request.source_record(),
        "notes": notes,
        "model_receipt": receipt,
        "residency": manifest,
    }
    result.update(details or {})
    return result


def _apply_mode(request, paths, present, records):
    """Give a present file the requested mode; its fingerprint moves with it (the bytes do not)."""
    if stat.S_IMODE(os.stat(paths.final).st_mode) == request.mode:
        return False
    os.chmod(paths.final, request.mode)
    records[request.name] = residency.record(digests.fingerprint(paths.final), present.digest)
    return True


def _materialize_new(request, paths, machine_id, present, io, notes):
    """Fetch, verify and install the artifact; (outcome, digest, transfer details)."""
    if request.source_kind != "url" and present.exists and os.path.realpath(request.source_path) == os.path.realpath(paths.final):
        raise MaterializeError("path: %s is the final path and its digest is %s, not %s"
                               % (request.source_path, present.digest, request.digest))
    outcome, digest, size, details = _fetch(request, paths, io, notes)
    if request.digest is not None and digest != request.digest:
        _reject(request, paths, machine_id, digest, size, io, notes)
    _install(request, paths, io, present.digest if present.exists else None, notes)
    return outcome, digest, details


def _apply(request, machine_id, io):
    paths = Paths(request)
    notes = []
    changed = files.ensure_dir(paths.root, ROOT_MODE)
    with files.locked(paths.lock):
        manifest = residency.load_manifest(paths.root)
        check_collision(request, paths, manifest)
        stored_records = residency.load_fingerprints(paths.root)
        records = _records_of_present_files(paths.root, stored_records)
        present = inspect_present(request, paths, records, io)
        live = _live_entries(manifest, notes)
        previous = residency.entry_at(live, paths.final)
        if present.matches(request):
            outcome, digest, details = "already-present", present.digest, None
            changed = _apply_mode(request, paths, present, records) or changed
        else:
            outcome, digest, details = _materialize_new(request, paths, machine_id, present, io, notes)
            changed = True
        if present.hashed or outcome != "already-present":
            records[request.name] = residency.record(digests.fingerprint(paths.final), digest)
        entry = _entry(request, previous, digest, io, timestamp_from_ns(os.stat(paths.final).st_mtime_ns))
        updated = residency.with_entry(live, entry)
        changed = changed or live != manifest or _without_use(entry) != _without_use(previous)
        if updated != manifest:
            residency.save_manifest(paths.root, updated)
        if records != stored_records:
            residency.save_fingerprints(paths.root, records)
    hashed = present.hashed or outcome != "already-present"
    return _result(request, machine_id, outcome, digest, entry["sizeBytes"], entry, hashed, changed, updated, notes, io, details)


def _plan_fetch(request, paths, notes):
    if request.source_kind == "url":
        kept = os.path.getsize(paths.partial) if os.path.isfile(paths.partial) else 0
        notes.append("would resume the download of %s from byte %d" % (display_url(request.url), kept) if kept
                     else "would download %s" % display_url(request.url))
        return request.size_bytes if request.size_bytes is not None else 0
    if os.path.isfile(request.source_path):
        notes.append("would copy %s" % request.source_path)
        return os.path.getsize(request.source_path)
    if request.source_kind == "controller":
        notes.append("would copy %s once it is staged from the controller" % request.source_path)
        return request.size_bytes if request.size_bytes is not None else 0
    raise MaterializeError("path: %s is not a file on the node" % request.source_path)


def _plan(request, machine_id, io):
    """What a real run would do, touching nothing."""
    paths = Paths(request)
    notes = []
    if not os.path.isdir(paths.root):
        notes.append("would create %s" % paths.root)
        manifest, records, present = residency.empty_manifest(), {}, Present(False)
    else:
        manifest = residency.load_manifest(paths.root)
        records = residency.load_fingerprints(paths.root)
        check_collision(request, paths, manifest)
        present = inspect_present(request, paths, records, io)
    live = _live_entries(manifest, notes)
    previous = residency.entry_at(live, paths.final)
    if present.matches(request):
        materialized_at = timestamp_from_ns(os.stat(paths.final).st_mtime_ns)
        entry = _entry(request, previous, present.digest, io, materialized_at)
        mode_differs = stat.S_IMODE(os.stat(paths.final).st_mode) != request.mode
        changed = live != manifest or mode_differs or _without_use(entry) != _without_use(previous)
        return _result(request, machine_id, "already-present", present.digest, present.size_bytes, entry, present.hashed,
                       changed, residency.with_entry(live, entry), notes, io)
    if present.exists:
        notes.append("would replace %s (digest %s), keeping its bytes in %s" % (paths.final, present.digest, paths.quarantine_dir))
    size = _plan_fetch(request, paths, notes)
    return _result(request, machine_id, "planned", None, size, None, present.hashed, True, live, notes, io)


def materialize(request, machine_id, check_mode=False, io=None):
    """Materialize (or, in check mode, plan) one artifact; the module's result dict.

    Raises MaterializeError (with a partial result: quarantined receipt,
    notes) when the artifact could not be materialized, and
    residency.ResidencyError when the manifest is unusable.
    """
    io = io or NodeIO()
    if check_mode:
        return _plan(request, machine_id, io)
    return _apply(request, machine_id, io)
