# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A provider's Quadlet files in the unit directory: read them, write them atomically, remove them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

from ansible_collections.sourceos.agent_machine.plugins.module_utils.atomic_file import (
    read_bytes, remove_durably, write_atomic,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.request import UNIT_SUFFIXES

UNIT_MODE = 0o644


def digest(data):
    """``sha256:<hex>`` of bytes, or None for None."""
    if data is None:
        return None
    return "sha256:" + hashlib.sha256(data).hexdigest()


def installed_units(unit_dir, name):
    """``{unit file name: bytes}`` of the provider's files present in ``unit_dir``."""
    found = {}
    for suffix in UNIT_SUFFIXES:
        data = read_bytes(os.path.join(unit_dir, name + suffix))
        if data is not None:
            found[name + suffix] = data
    return found


def installed_modes(unit_dir, names):
    """``{unit file name: permission bits}`` of installed files."""
    return dict((unit_name, os.stat(os.path.join(unit_dir, unit_name)).st_mode & 0o7777) for unit_name in names)


def container_digest(units, name):
    """The revision digest: sha256 of the ``.container`` file (what a DeploymentReceipt names)."""
    return digest(units.get(name + ".container"))


def replace_units(unit_dir, current, wanted, modes=None):
    """Make the provider's files in ``unit_dir`` exactly ``wanted``; returns [{name, action}] of what changed.

    ``modes`` maps a file name to its permission bits (default 0644).
    """
    modes = modes or {}
    changes = []
    if wanted and not os.path.isdir(unit_dir):
        os.makedirs(unit_dir, 0o755)
    for unit_name in sorted(wanted):
        if current.get(unit_name) != wanted[unit_name]:
            write_atomic(os.path.join(unit_dir, unit_name), wanted[unit_name], modes.get(unit_name, UNIT_MODE))
            changes.append({"name": unit_name, "action": "written"})
    for unit_name in sorted(set(current) - set(wanted)):
        remove_durably(os.path.join(unit_dir, unit_name))
        changes.append({"name": unit_name, "action": "removed"})
    return changes


def planned_changes(current, wanted):
    """What ``replace_units`` would do, without doing it."""
    changes = [{"name": unit_name, "action": "written"} for unit_name in sorted(wanted)
               if current.get(unit_name) != wanted[unit_name]]
    changes += [{"name": unit_name, "action": "removed"} for unit_name in sorted(set(current) - set(wanted))]
    return changes


def unit_diff(unit_dir, current, wanted):
    """Ansible diff entries (one per changed file) from ``current`` to ``wanted``."""
    entries = []
    for change in planned_changes(current, wanted):
        path = os.path.join(unit_dir, change["name"])
        before, after = current.get(change["name"]), wanted.get(change["name"])
        entries.append({
            "before_header": path if before is not None else "%s (absent)" % path,
            "after_header": path if after is not None else "%s (absent)" % path,
            "before": before.decode("utf-8", "replace") if before is not None else "",
            "after": after.decode("utf-8", "replace") if after is not None else "",
        })
    return entries
