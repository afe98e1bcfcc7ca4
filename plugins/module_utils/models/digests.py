# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sha256 of model files, and the file identity that lets a later run skip re-hashing.

A fingerprint is what ``stat`` says about a file: size, modification and
change times in nanoseconds, inode and device. Rewriting the bytes moves the
change time even when the size and modification time are put back, so an
unchanged fingerprint means the bytes hashed earlier are still the bytes
on disk.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

CHUNK_BYTES = 1 << 20
PREFIX = "sha256:"


def sha256_file(path):
    """``sha256:<hex>`` of the file's bytes."""
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            hasher.update(chunk)
    return PREFIX + hasher.hexdigest()


def seeded_hasher(path, length):
    """A sha256 hasher fed the first ``length`` bytes of ``path`` (a partial download being resumed)."""
    hasher = hashlib.sha256()
    if length <= 0:
        return hasher
    remaining = length
    with open(path, "rb") as handle:
        while remaining > 0:
            chunk = handle.read(min(CHUNK_BYTES, remaining))
            if not chunk:
                raise IOError("%s is shorter than %d bytes" % (path, length))
            hasher.update(chunk)
            remaining -= len(chunk)
    return hasher


def as_digest(hasher):
    return PREFIX + hasher.hexdigest()


def fingerprint(path):
    """The file's identity as a JSON-ready dict (see the module docstring)."""
    stats = os.stat(path)
    return {
        "sizeBytes": stats.st_size,
        "mtimeNs": stats.st_mtime_ns,
        "ctimeNs": stats.st_ctime_ns,
        "inode": stats.st_ino,
        "device": stats.st_dev,
    }
