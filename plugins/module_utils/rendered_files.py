# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Place rendered files (Quadlet units, manifests) in one directory: compare, diff, write atomically."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.sourceos.agent_machine.plugins.module_utils.atomic_file import (
    read_bytes, sha256_hex, write_atomic,
)


class RenderedFileError(ValueError):
    """Input that cannot be written; the message names the field."""


def check_files(directory, files):
    """Refuse bad input before anything on the host is touched."""
    if not os.path.isabs(directory):
        raise RenderedFileError("directory: must be an absolute path, got %r" % directory)
    seen = set()
    for index, item in enumerate(files):
        name = item.get("name")
        field = "files[%d].name" % index
        if not name or "/" in name or name in (".", "..") or "\x00" in name:
            raise RenderedFileError("%s: must be a plain file name, got %r" % (field, name))
        if name in seen:
            raise RenderedFileError("%s: %s is listed twice" % (field, name))
        seen.add(name)
        if not isinstance(item.get("content"), str):
            raise RenderedFileError("files[%d].content: must be text" % index)
    if os.path.lexists(directory) and not os.path.isdir(directory):
        raise RenderedFileError("directory: %s exists and is not a directory" % directory)


def plan_files(directory, files, mode):
    """What each file needs: ``{"name", "path", "before", "after", "changed", "sha256"}`` (text before/after)."""
    plans = []
    for item in files:
        path = os.path.join(directory, item["name"])
        if os.path.islink(path) or (os.path.lexists(path) and not os.path.isfile(path)):
            raise RenderedFileError("files: %s exists and is not a regular file; refusing to replace it" % path)
        before = read_bytes(path)
        after = item["content"].encode("utf-8")
        mode_differs = before is not None and stat.S_IMODE(os.stat(path).st_mode) != mode
        plans.append({
            "name": item["name"], "path": path,
            "before": None if before is None else before.decode("utf-8", "replace"),
            "after": item["content"], "changed": before != after or mode_differs,
            "sha256": sha256_hex(after),
        })
    return plans


def diffs(plans):
    """Ansible diff entries for the files that change."""
    return [{"before": plan["before"] or "", "after": plan["after"],
             "before_header": plan["path"] if plan["before"] is not None else "%s (absent)" % plan["path"],
             "after_header": plan["path"]} for plan in plans if plan["changed"]]


def apply_files(directory, plans, mode, directory_mode):
    """Create the directory when missing and write every changed file."""
    if not os.path.isdir(directory):
        os.makedirs(directory, directory_mode)
    for plan in plans:
        if plan["changed"]:
            write_atomic(plan["path"], plan["after"].encode("utf-8"), mode)


def summary(plans):
    return [{"name": plan["name"], "path": plan["path"], "changed": plan["changed"], "sha256": plan["sha256"]}
            for plan in plans]
