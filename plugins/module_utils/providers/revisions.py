# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Saved unit revisions of one provider: ``<revisions_dir>/<name>/<n>/``.

A revision is a byte-for-byte copy of every unit file an action replaced,
plus ``revision.json`` (each file's sha256 and mode, when and why it was
saved). It is written into a temporary directory and renamed into place,
so a revision directory is complete or absent. A revision whose files no
longer match their recorded digests is refused, never restored.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import tempfile

from ansible_collections.sourceos.agent_machine.plugins.module_utils.atomic_file import fsync_directory
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.units import digest

MANIFEST = "revision.json"
STAGING_PREFIX = ".saving-"


class RevisionError(Exception):
    """A revision cannot be saved or restored."""


def _write_synced(path, data, mode=0o600):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


class RevisionStore:
    """The revisions of one provider, numbered 1, 2, ... (newest highest)."""

    def __init__(self, revisions_dir, name):
        self.name = name
        self.root = os.path.join(revisions_dir, name)

    def numbers(self):
        """Revision numbers present, oldest first."""
        try:
            entries = os.listdir(self.root)
        except OSError:
            return []
        return sorted(int(entry) for entry in entries if entry.isdigit() and os.path.isfile(
            os.path.join(self.root, entry, MANIFEST)))

    def path(self, number):
        return os.path.join(self.root, str(number))

    def save(self, units, modes, reason, saved_at):
        """Save ``units`` ({file name: bytes}) as the next revision; returns its number."""
        if not os.path.isdir(self.root):
            os.makedirs(self.root, 0o700)
        entries = os.listdir(self.root)
        for entry in entries:
            if entry.startswith(STAGING_PREFIX):  # left by a run that died mid-save; the lock is held now
                shutil.rmtree(os.path.join(self.root, entry), ignore_errors=True)
        # Any numbered entry counts, complete or not, so a new revision never lands on an old one.
        number = max([int(entry) for entry in entries if entry.isdigit()] or [0]) + 1
        staging = tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=self.root)
        try:
            manifest = {"revision": number, "provider": self.name, "savedAt": saved_at, "reason": reason,
                        "units": {}}
            for unit_name in sorted(units):
                _write_synced(os.path.join(staging, unit_name), units[unit_name])
                manifest["units"][unit_name] = {"digest": digest(units[unit_name]),
                                                "mode": "%04o" % modes.get(unit_name, 0o644)}
            text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
            _write_synced(os.path.join(staging, MANIFEST), text.encode("utf-8"))
            fsync_directory(staging)
            os.rename(staging, self.path(number))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        fsync_directory(self.root)
        return number

    def manifest(self, number):
        try:
            with open(os.path.join(self.path(number), MANIFEST), "rb") as handle:
                return json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise RevisionError("revision %d of %s cannot be read: %s" % (number, self.name, exc))

    def load(self, number):
        """``({file name: bytes}, {file name: mode})`` of a revision, each file checked against its digest."""
        manifest = self.manifest(number)
        units, modes = {}, {}
        for unit_name, entry in sorted(manifest.get("units", {}).items()):
            try:
                with open(os.path.join(self.path(number), unit_name), "rb") as handle:
                    data = handle.read()
            except OSError as exc:
                raise RevisionError("revision %d of %s: %s cannot be read: %s" % (number, self.name, unit_name, exc))
            if digest(data) != entry.get("digest"):
                raise RevisionError("revision %d of %s: %s no longer matches its recorded digest; refusing to "
                                    "restore it" % (number, self.name, unit_name))
            units[unit_name] = data
            modes[unit_name] = int(entry.get("mode", "0644"), 8)
        return units, modes

    def latest_differing(self, installed):
        """The newest revision whose files differ from ``installed``, or None."""
        for number in reversed(self.numbers()):
            units, _modes = self.load(number)
            if units != installed:
                return number
        return None

    def prune(self, keep):
        """Remove all but the newest ``keep`` revisions; returns the numbers removed."""
        removed = self.numbers()[:-keep] if keep > 0 else []
        for number in removed:
            shutil.rmtree(self.path(number))
        return removed
