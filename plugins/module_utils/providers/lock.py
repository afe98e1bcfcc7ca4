# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-node activation lock: one lifecycle action at a time.

``flock`` on a lock file: the kernel drops it when the holder exits, so a
crashed run never leaves the node locked. The holder writes its pid into
the file so a waiting run can say who holds it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import time


class LockTimeout(Exception):
    """The lock was not acquired in time."""


class ActivationLock:
    """Context manager: ``with ActivationLock(path, timeout):``."""

    def __init__(self, path, timeout, clock=time.monotonic, sleep=time.sleep, poll=0.2):
        self.path = path
        self.timeout = timeout
        self.clock = clock
        self.sleep = sleep
        self.poll = poll
        self.descriptor = None

    def _holder(self):
        try:
            with open(self.path, "r") as handle:
                text = handle.read(64).strip()
        except OSError:
            return "unknown"
        return ("pid " + text) if text.isdigit() else "unknown"

    def __enter__(self):
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = self.clock() + self.timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(descriptor)
                    raise
            if self.clock() >= deadline:
                holder = self._holder()
                os.close(descriptor)
                raise LockTimeout("lock_path: another provider activation holds %s (%s); gave up after %g s "
                                  "(raise lock_timeout to wait longer)" % (self.path, holder, self.timeout))
            self.sleep(self.poll)
        os.ftruncate(descriptor, 0)
        os.write(descriptor, str(os.getpid()).encode("ascii"))
        self.descriptor = descriptor
        return self

    def __exit__(self, *exc_info):
        if self.descriptor is not None:
            fcntl.flock(self.descriptor, fcntl.LOCK_UN)
            os.close(self.descriptor)
            self.descriptor = None
        return False
