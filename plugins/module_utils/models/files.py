# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Durable file operations under the models root: fsync, atomic replace, locks, free space.

Nothing here is written in place: new content goes to a temporary file in
the destination's own directory (so the rename stays on one filesystem),
is fsynced, renamed over the destination, and the directory is fsynced so
the rename itself survives a crash.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import json
import os

from ansible_collections.sourceos.agent_machine.plugins.module_utils.atomic_file import fsync_directory as fsync_dir
from ansible_collections.sourceos.agent_machine.plugins.module_utils.atomic_file import write_atomic as write_bytes_atomic


class SpaceError(Exception):
    """Not enough free space for what has to be written."""


def fsync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(path, mode):
    """Create ``path`` (and parents) when missing; True when it was created."""
    if os.path.isdir(path):
        return False
    os.makedirs(path, mode)
    fsync_dir(os.path.dirname(path))
    return True


def write_json_atomic(path, document, mode=0o644):
    data = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
    write_bytes_atomic(path, data, mode)


def read_json(path):
    """The JSON document at ``path``; None when the file does not exist."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    return json.loads(data.decode("utf-8"))


def free_bytes(path, statvfs=os.statvfs):
    """Bytes an unprivileged writer may still use on the filesystem of ``path``."""
    stats = statvfs(path)
    return stats.f_bavail * stats.f_frsize


def require_space(path, needed, what, statvfs=os.statvfs):
    """SpaceError when the filesystem of ``path`` has less than ``needed`` bytes free."""
    available = free_bytes(path, statvfs)
    if needed > available:
        raise SpaceError("not enough free space for %s: %d bytes needed, %d free on the filesystem of %s"
                         % (what, needed, available, path))
    return available


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive lock on ``path`` (created when missing) for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
