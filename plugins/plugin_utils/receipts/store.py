# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where receipts live on the controller and how files are written.

Layout of one run::

    <artifacts>/<run-id>/<host>/<kind>/<id>.json   receipts (canonical JSON)
    <artifacts>/<run-id>/manifest.json             every receipt and digest
    <artifacts>/<run-id>/manifest.dsse.json        signed in-toto statement
    <artifacts>/spool/<digest hex>.json            receipts waiting for the evidence endpoint

Files are written by temp file + fsync + rename, never in place.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from contextlib import contextmanager

MANIFEST_NAME = "manifest.json"
ENVELOPE_NAME = "manifest.dsse.json"
SPOOL_DIR = "spool"
RUN_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
NAME_PATTERN = re.compile(r"[^A-Za-z0-9._-]+")


class StoreError(Exception):
    """A receipt path or file that cannot be used."""


def check_run_id(run_id):
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise StoreError("run_id: %r is not a valid run id (letters, digits, '.', '_', '-'; at most 128)" % (run_id,))
    return run_id


def safe_name(value):
    """A file or folder name derived from a host, kind or id (no path separators)."""
    name = NAME_PATTERN.sub("-", str(value)).strip("-.")
    if not name:
        raise StoreError("cannot derive a file name from %r" % (value,))
    return name[:120]


def kind_folder(kind):
    """``AgentMachine`` → ``agent-machine``."""
    return safe_name(re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower())


def id_file_stem(document_id):
    """The last segment of a urn id, e.g. ``...:machine:gpu-01`` → ``gpu-01``."""
    return safe_name(str(document_id).rsplit(":", 1)[-1])


def run_dir(artifacts_dir, run_id):
    return os.path.join(artifacts_dir, check_run_id(run_id))


def host_dir(artifacts_dir, run_id, host):
    return os.path.join(run_dir(artifacts_dir, run_id), safe_name(host))


def spool_dir(artifacts_dir):
    return os.path.join(artifacts_dir, SPOOL_DIR)


def write_atomic(path, data, mode=0o640):
    """Write bytes to ``path`` through a temp file in the same folder, fsync, rename."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o750, exist_ok=True)
    handle, temp_path = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp_path, mode)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def read_bytes(path):
    with open(path, "rb") as handle:
        return handle.read()


@contextmanager
def locked(folder):
    """Hold an exclusive lock on ``folder`` (one writer per host chain)."""
    os.makedirs(folder, mode=0o750, exist_ok=True)
    with open(os.path.join(folder, ".lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def list_receipt_files(host_folder):
    """Every receipt file of one host in one run, relative to the host folder."""
    found = []
    if not os.path.isdir(host_folder):
        return found
    for kind in sorted(os.listdir(host_folder)):
        kind_path = os.path.join(host_folder, kind)
        if not os.path.isdir(kind_path):
            continue
        for name in sorted(os.listdir(kind_path)):
            if name.endswith(".json") and not name.startswith("."):
                found.append(os.path.join(kind, name))
    return found


def list_hosts(run_folder):
    if not os.path.isdir(run_folder):
        return []
    return sorted(name for name in os.listdir(run_folder)
                  if os.path.isdir(os.path.join(run_folder, name)) and not name.startswith("."))
