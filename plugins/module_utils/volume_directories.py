# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's volume directories and mount points, ensured in one pass.

Each entry names an absolute path with its owner, group and mode. A missing
directory is created (parents as root, 0755); an existing one gets its owner,
group and mode corrected. A path that is a symbolic link, or anything but a
directory, is refused before any entry is touched: a volume must never be
redirected elsewhere, and nothing in the way is replaced.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import stat

from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.request import LayoutError, parse_mode


class DirectoryError(ValueError):
    """An entry that cannot be ensured; the message names it."""


def check_entries(entries):
    """Resolve owners, groups and modes and refuse what is in the way; returns the plans."""
    plans, seen = [], set()
    for index, entry in enumerate(entries):
        field = "directories[%d]" % index
        path = entry["path"]
        if not os.path.isabs(path) or os.path.normpath(path) != path or path == "/":
            raise DirectoryError("%s.path: %r must be a normalized absolute path other than /" % (field, path))
        if path in seen:
            raise DirectoryError("%s.path: %s is listed twice" % (field, path))
        seen.add(path)
        plans.append(_plan(field, path, entry))
    return plans


def _plan(field, path, entry):
    try:
        mode = parse_mode(entry.get("mode", "0750"), field + ".mode")
    except LayoutError as exc:
        raise DirectoryError(str(exc))
    uid = _lookup(pwd.getpwnam, entry.get("owner"), field + ".owner", "user")
    gid = _lookup(grp.getgrnam, entry.get("group"), field + ".group", "group")
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {"path": path, "uid": uid, "gid": gid, "mode": mode, "before": None}
    if stat.S_ISLNK(info.st_mode):
        raise DirectoryError("%s.path: %s is a symbolic link; a volume directory must not point elsewhere" % (field, path))
    if not stat.S_ISDIR(info.st_mode):
        raise DirectoryError("%s.path: %s exists and is not a directory; it is left as it is" % (field, path))
    before = {"uid": info.st_uid, "gid": info.st_gid, "mode": stat.S_IMODE(info.st_mode)}
    return {"path": path, "uid": uid, "gid": gid, "mode": mode, "before": before}


def _lookup(resolve, name, field, what):
    name = "root" if name is None else str(name)
    if name.isdigit():
        return int(name)
    try:
        return resolve(name)[2]
    except KeyError:
        raise DirectoryError("%s: no %s named %r on the node" % (field, what, name))


def changes(plan):
    """What must change for one plan: created, owner, group, mode (empty when nothing)."""
    before = plan["before"]
    if before is None:
        return ["created"]
    found = []
    if before["uid"] != plan["uid"]:
        found.append("owner")
    if before["gid"] != plan["gid"]:
        found.append("group")
    if before["mode"] != plan["mode"]:
        found.append("mode")
    return found


def apply_plans(plans):
    for plan in plans:
        if not changes(plan):
            continue
        if plan["before"] is None:
            os.makedirs(os.path.dirname(plan["path"]), mode=0o755, exist_ok=True)
            os.mkdir(plan["path"], 0o700)
        # A link put there since the check is refused rather than followed.
        if stat.S_ISLNK(os.lstat(plan["path"]).st_mode):
            raise DirectoryError("%s became a symbolic link while it was being ensured" % plan["path"])
        os.lchown(plan["path"], plan["uid"], plan["gid"])
        os.chmod(plan["path"], plan["mode"])


def summary(plans):
    return [{"path": plan["path"], "changes": changes(plan)} for plan in plans]


def diffs(plans):
    return [{"before_header": plan["path"], "after_header": plan["path"],
             "before": _state(plan["before"]), "after": _state(plan)} for plan in plans if changes(plan)]


def _state(values):
    if values is None:
        return "absent\n"
    return "directory owner=%s group=%s mode=%04o\n" % (values["uid"], values["gid"], values["mode"])
