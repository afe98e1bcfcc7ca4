# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prefix caches saved in the warm-cache volume.

Layout: ``<warm cache root>/prefix/<sha256 hex>.bin``, one file per cached
context prefix, named by the prefix digest (the ``context.prefixDigests``
entry of the AgentPod, without ``sha256:``). These are the files
``llama-server --slot-save-path <warm cache root>/prefix`` writes when a
slot is saved under that name, and restores from. Anything else in the
directory (temporary files, other names, links, directories, empty files)
is listed as ignored with the reason; links are never followed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re
import stat

PREFIX_DIR = "prefix"
_NAME = re.compile(r"^([0-9a-f]{64})\.bin$")


class CacheInventoryError(Exception):
    """The caches cannot be read as documented; the message names the path and the problem."""


def utc_timestamp(seconds):
    """RFC 3339 UTC (seconds precision) of a POSIX time."""
    moment = datetime.datetime.fromtimestamp(int(seconds), tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _why_ignored(name, mode, size):
    if stat.S_ISLNK(mode):
        return "symbolic link (not followed)"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    if not _NAME.match(name):
        return "not named <sha256 hex>.bin"
    if size == 0:
        return "empty file"
    return None


def scan_prefixes(warm_root):
    """(prefix entries sorted by digest, ignored entries, whether the prefix directory exists)."""
    directory = os.path.join(warm_root, PREFIX_DIR)
    if os.path.lexists(warm_root) and not os.path.isdir(warm_root):
        raise CacheInventoryError("%s: the warm cache root is not a directory" % warm_root)
    if not os.path.lexists(directory):
        return [], [], False
    if os.path.islink(directory) or not os.path.isdir(directory):
        raise CacheInventoryError("%s: the prefix cache must be a directory, not a link or a file" % directory)
    prefixes, ignored = [], []
    try:
        with os.scandir(directory) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        raise CacheInventoryError("%s: cannot list the prefix cache: %s" % (directory, exc.strerror or exc))
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError as exc:
            ignored.append({"path": entry.path, "reason": "cannot stat: %s" % (exc.strerror or exc)})
            continue
        reason = _why_ignored(entry.name, info.st_mode, info.st_size)
        if reason:
            ignored.append({"path": entry.path, "reason": reason})
            continue
        prefixes.append({
            "digest": "sha256:" + _NAME.match(entry.name).group(1),
            "path": entry.path,
            "sizeBytes": info.st_size,
            "modifiedAt": utc_timestamp(info.st_mtime),
        })
    return prefixes, ignored, True
