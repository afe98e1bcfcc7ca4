# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mounts of the node and the options in effect on them.

A requested option is compared with what the kernel reports in
/proc/self/mountinfo (per-mount flags and filesystem options together).
Options that only mean something to mount(8) or fstab, or that the kernel
rewrites (tmpfs ``size=8G`` shows as ``size=8388608k``), are not compared
there; sizes and modes are compared on their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import (
    mount_for, parse_mountinfo, unescape_mount_field,
)

# Options that never show in mountinfo.
NOT_IN_KERNEL = frozenset((
    "defaults", "auto", "noauto", "nofail", "user", "users", "nouser", "owner", "group",
    "_netdev", "async", "exec", "suid", "dev", "rw",
))
NOT_IN_KERNEL_PREFIXES = ("x-", "comment=", "X-")
# Positive options whose opposite must be absent.
OPPOSITES = {"exec": "noexec", "suid": "nosuid", "dev": "nodev", "rw": "ro", "async": "sync"}
# Compared elsewhere (capacity, ownership) or rewritten by the kernel.
NOT_COMPARED_KEYS = frozenset(("size", "nr_blocks", "nr_inodes", "mode", "uid", "gid",
                               "context", "fscontext", "defcontext", "rootcontext"))
# Spellings of the same quota option: the kernel reports the canonical one.
QUOTA_ALIASES = {
    "quota": "usrquota", "uquota": "usrquota", "usrquota": "usrquota",
    "gquota": "grpquota", "grpquota": "grpquota",
    "pquota": "prjquota", "prjquota": "prjquota",
    "uqnoenforce": "uqnoenforce", "qnoenforce": "uqnoenforce",
    "gqnoenforce": "gqnoenforce", "pqnoenforce": "pqnoenforce",
}
QUOTA_KEYS = ("usrjquota", "grpjquota", "prjjquota", "jqfmt")
PROJECT_QUOTA_ENFORCING = frozenset(("prjquota",))
# Option keys whose value is never reported (credentials of network filesystems).
_SECRET_KEY = re.compile(r"(pass|secret|token|cred|auth|key)", re.IGNORECASE)


def device_numbers(text):
    """mount point -> "major:minor" from mountinfo text (later lines win, as stacked mounts do)."""
    numbers = {}
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) < 7 or "-" not in fields[6:]:
            continue
        numbers[unescape_mount_field(fields[4])] = fields[2]
    return numbers


class Mounts:
    """The parsed mount table plus device numbers per mount point."""

    def __init__(self, text):
        self.available = text is not None
        self.entries = parse_mountinfo(text)
        self._numbers = device_numbers(text)

    def at(self, path):
        """The mount whose mount point is exactly ``path`` (the topmost when stacked), or None."""
        found = None
        for mount in self.entries:
            if mount["mountPoint"] == path:
                found = mount
        return found

    def holding(self, path):
        """The mount that holds ``path``."""
        return mount_for(self.entries, path) if self.entries else None

    def device_number(self, mount):
        return self._numbers.get(mount["mountPoint"]) if mount else None


def _key(option):
    return option.split("=", 1)[0]


def effective_options(mount):
    """Per-mount options then filesystem options not already listed;
    values of credential-like keys dropped."""
    options = []
    for option in list(mount.get("options") or []) + list(mount.get("superOptions") or []):
        if not option or option in options:
            continue
        if "=" in option and _SECRET_KEY.search(_key(option)):
            continue
        options.append(option)
    return options


def _canonical(option):
    return QUOTA_ALIASES.get(option, option)


def option_in_effect(option, observed):
    """True/False when ``option`` can be checked against the observed
    options, None when the kernel does not report it."""
    observed_set = set(_canonical(item) for item in observed)
    if option in OPPOSITES:
        return OPPOSITES[option] not in observed_set
    if option in NOT_IN_KERNEL or option.startswith(NOT_IN_KERNEL_PREFIXES):
        return None
    if "=" in option:
        key = _key(option)
        if key in NOT_COMPARED_KEYS:
            return None
        if key in QUOTA_KEYS:
            return any(_key(item) == key for item in observed)
        return option in observed_set
    return _canonical(option) in observed_set


def quota_options(observed):
    """The quota-related options among ``observed``, as the kernel spells them."""
    found = []
    for option in observed:
        if option in QUOTA_ALIASES or _key(option) in QUOTA_KEYS:
            if option not in found:
                found.append(option)
    return found


def project_quota_enforced(observed):
    return any(_canonical(option) in PROJECT_QUOTA_ENFORCING for option in observed)


def tmpfs_size(observed):
    """Bytes of a tmpfs ``size=`` option as the kernel reports it (``size=8388608k``), or None."""
    for option in observed:
        if option.startswith("size="):
            match = re.match(r"^([0-9]+)([kmgtpe]?)$", option[5:].lower())
            if match:
                shift = " kmgtpe".index(match.group(2) or " ") * 10
                return int(match.group(1)) << shift
    return None
