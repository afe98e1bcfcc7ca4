# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""/etc/fstab entries, so a volume can be checked for being there exactly once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import unescape_mount_field


def parse_fstab(text):
    """Entries of an fstab file in file order: spec, file, vfstype, options (list), line (1-based)."""
    entries = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split()
        if len(fields) < 2:
            continue
        entries.append({
            "spec": unescape_mount_field(fields[0]),
            "file": unescape_mount_field(fields[1]),
            "vfstype": fields[2] if len(fields) > 2 else None,
            "options": fields[3].split(",") if len(fields) > 3 else ["defaults"],
            "line": number,
        })
    return entries


def _normal(path):
    if not path.startswith("/"):
        return path
    path = os.path.normpath(path)
    return "/" + path.lstrip("/") if path.startswith("//") else path


def entries_for(entries, paths):
    """The entries that mount on any of ``paths`` (a mount point as written
    and as resolved), in file order."""
    wanted = set(_normal(path) for path in paths if path)
    return [entry for entry in entries if _normal(entry["file"]) in wanted]
