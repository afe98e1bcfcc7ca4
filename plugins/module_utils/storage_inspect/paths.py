# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A mount path walked one component at a time, inside the probed root.

Symbolic links are resolved by hand, relative to the root, so a link that
points at ``/`` or climbs with ``..`` never leaves the root; nothing is
ever opened through a link. Every directory actually traversed is checked
for world-writable permissions.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

MAX_LINK_HOPS = 40
SELINUX_XATTR = "security.selinux"


class PathWalk:
    """What walking one path found.

    ``resolved``: the machine path it leads to once links are resolved
    (the existing part plus the components not found); ``exists``: whether
    every component exists; ``final_stat``: lstat of the last component
    when it exists; ``symlinks``: machine paths of the links met;
    ``world_writable``: machine paths of traversed entries writable by
    others without the sticky bit.
    """

    def __init__(self, path):
        self.path = path
        self.resolved = path
        self.exists = False
        self.final_stat = None
        self.symlinks = []
        self.world_writable = []
        self.problem = None


def _components(path):
    return [part for part in path.split("/") if part not in ("", ".")]


def is_world_writable(mode):
    """Writable by others and not protected by the sticky bit."""
    return bool(mode & stat.S_IWOTH) and not mode & stat.S_ISVTX


def walk_path(ctx, path):
    """Walk ``path`` (absolute, as seen on the probed machine) under ``ctx.root``."""
    walk = PathWalk(path)
    current = "/"
    try:
        root_stat = os.lstat(ctx.path("/"))
    except OSError as exc:
        walk.problem = "cannot stat the root %s: %s" % (ctx.root, exc.strerror or exc)
        return walk
    if is_world_writable(root_stat.st_mode):
        walk.world_writable.append("/")
    parts = _components(path)
    hops = 0
    last_stat = root_stat
    while parts:
        part = parts.pop(0)
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        try:
            info = os.lstat(ctx.path(candidate))
        except FileNotFoundError:
            walk.resolved = os.path.join(candidate, *parts) if parts else candidate
            return walk
        except OSError as exc:
            walk.problem = "cannot stat %s: %s" % (candidate, exc.strerror or exc)
            walk.resolved = os.path.join(candidate, *parts) if parts else candidate
            return walk
        if stat.S_ISLNK(info.st_mode):
            walk.symlinks.append(candidate)
            hops += 1
            if hops > MAX_LINK_HOPS:
                walk.problem = "too many symbolic links under %s" % path
                walk.resolved = candidate
                return walk
            target = os.readlink(ctx.path(candidate))
            if target.startswith("/"):
                current = "/"
            parts = _components(target) + parts
            continue
        if parts and not stat.S_ISDIR(info.st_mode):
            walk.problem = "%s is not a directory" % candidate
            walk.resolved = os.path.join(candidate, *parts)
            return walk
        if is_world_writable(info.st_mode):
            walk.world_writable.append(candidate)
        current = candidate
        last_stat = info
    walk.resolved = current
    walk.exists = True
    walk.final_stat = last_stat
    return walk


def selinux_type(on_disk_path, getxattr=None):
    """The type field of a path's SELinux label (``container_file_t``), or
    None where the label cannot be read (no SELinux, no xattr support)."""
    getxattr = getxattr or getattr(os, "getxattr", None)
    if getxattr is None:
        return None
    try:
        raw = getxattr(on_disk_path, SELINUX_XATTR, follow_symlinks=False)
    except (OSError, TypeError):
        return None
    label = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    fields = label.rstrip("\x00").strip().split(":")
    if len(fields) < 3 or not fields[2]:
        return None
    return fields[2]


def _parse_id_file(text):
    """name -> id and id -> name from /etc/passwd or /etc/group text."""
    by_id, by_name = {}, {}
    for line in (text or "").splitlines():
        fields = line.split(":")
        if len(fields) < 3 or not fields[0] or fields[0].startswith(("#", "+", "-")):
            continue
        try:
            number = int(fields[2])
        except ValueError:
            continue
        by_id.setdefault(number, fields[0])
        by_name.setdefault(fields[0], number)
    return by_id, by_name


class Names:
    """User and group names as the probed machine sees them.

    On the running machine the system's name service answers (so LDAP or
    SSSD users resolve); under another root, that root's /etc/passwd and
    /etc/group do. An id without a name is reported as its number.
    """

    def __init__(self, ctx):
        self.ctx = ctx
        self._tables = {}

    def _table(self, kind):
        if kind not in self._tables:
            path = "/etc/passwd" if kind == "user" else "/etc/group"
            self._tables[kind] = _parse_id_file(self.ctx.read_text(path))
        return self._tables[kind]

    def _system(self, kind, key):
        # Imported here: pwd and grp exist on every POSIX target, and only the live path needs them.
        import grp  # pylint: disable=import-outside-toplevel
        import pwd  # pylint: disable=import-outside-toplevel
        try:
            if kind == "user":
                entry = pwd.getpwuid(key) if isinstance(key, int) else pwd.getpwnam(key)
                return entry.pw_name if isinstance(key, int) else entry.pw_uid
            entry = grp.getgrgid(key) if isinstance(key, int) else grp.getgrnam(key)
            return entry.gr_name if isinstance(key, int) else entry.gr_gid
        except (KeyError, OverflowError):
            return None

    def name(self, kind, number):
        """Name of uid/gid ``number`` (kind "user" or "group"); the number as text when unnamed."""
        if self.ctx.live:
            found = self._system(kind, number)
        else:
            found = self._table(kind)[0].get(number)
        return found if found else str(number)

    def number(self, kind, name):
        """uid/gid of a name, or of a numeric string; None when unknown."""
        if name.isdigit():
            return int(name)
        if self.ctx.live:
            return self._system(kind, name)
        return self._table(kind)[1].get(name)


def ownership(ctx, names, resolved, info):
    """The Ownership section (camelCase) for an existing path."""
    return {
        "owner": names.name("user", info.st_uid),
        "group": names.name("group", info.st_gid),
        "mode": "%04o" % stat.S_IMODE(info.st_mode),
        "selinuxType": selinux_type(ctx.path(resolved)),
    }
