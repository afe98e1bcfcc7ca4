# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every probe collector reads through: a root directory, a command
runner, an optional NVML binding, and a list of warnings.

Collectors never raise for a missing or unreadable source: they get None
back and the context records a warning naming the source.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
from concurrent.futures import ThreadPoolExecutor

PREFETCH_WORKERS = 8


class ProbeContext:
    """Reads files under ``root`` and runs commands through ``runner``.

    ``runner`` is None when commands must not run (a root other than ``/``
    describes another machine); ``nvml`` is a pynvml-compatible module or
    None. ``live`` is True when the root is this running machine.
    ``replayed_from`` names the recording a replaying runner answers from.
    """

    def __init__(self, root="/", runner=None, nvml=None, live=None, replayed_from=None):
        self.root = os.path.abspath(root)
        self.runner = runner
        self.replayed_from = replayed_from
        self.nvml = nvml
        self.live = (self.root == "/") if live is None else live
        self.warnings = []
        self._prefetched = {}

    # -- paths ---------------------------------------------------------
    def path(self, absolute_path):
        """The on-disk path of ``absolute_path`` inside the probed root."""
        return os.path.join(self.root, absolute_path.lstrip("/"))

    def exists(self, absolute_path):
        return os.path.lexists(self.path(absolute_path))

    def is_dir(self, absolute_path):
        return os.path.isdir(self.path(absolute_path))

    def listdir(self, absolute_path):
        """Sorted entries of a directory; [] when it is absent or unreadable."""
        try:
            return sorted(os.listdir(self.path(absolute_path)))
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.warn("cannot list %s: %s" % (absolute_path, exc.strerror or exc))
            return []

    def readlink_name(self, absolute_path):
        """Last path component of a symlink's target (e.g. a driver name)."""
        try:
            return os.path.basename(os.readlink(self.path(absolute_path)).rstrip("/"))
        except OSError:
            return None

    def resolve(self, absolute_path):
        """Resolve symlinks while staying inside the root; returns an
        absolute path as seen from the probed machine."""
        current = "/"
        parts = [p for p in absolute_path.split("/") if p]
        hops = 0
        while parts:
            part = parts.pop(0)
            candidate = os.path.normpath(os.path.join(current, part))
            on_disk = self.path(candidate)
            if os.path.islink(on_disk) and hops < 40:
                hops += 1
                target = os.readlink(on_disk)
                base = "/" if target.startswith("/") else current
                parts = [p for p in os.path.normpath(os.path.join(base, target)).split("/") if p] + parts
                current = "/"
                continue
            current = candidate
        return current

    # -- files ---------------------------------------------------------
    def read_bytes(self, absolute_path, quiet_missing=True):
        try:
            with open(self.path(absolute_path), "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            if not quiet_missing:
                self.warn("%s is missing" % absolute_path)
            return None
        except OSError as exc:
            self.warn("cannot read %s: %s" % (absolute_path, exc.strerror or exc))
            return None

    def read_text(self, absolute_path, quiet_missing=True):
        """File content as text (UTF-8, undecodable bytes replaced) or None."""
        data = self.read_bytes(absolute_path, quiet_missing=quiet_missing)
        if data is None:
            return None
        return data.decode("utf-8", "replace")

    def read_value(self, absolute_path):
        """A one-line sysfs/procfs value, stripped, or None."""
        text = self.read_text(absolute_path)
        if text is None:
            return None
        return text.strip()

    def read_int(self, absolute_path, base=10):
        value = self.read_value(absolute_path)
        if value is None or value == "":
            return None
        try:
            return int(value, base)
        except ValueError:
            self.warn("%s holds %r, not an integer" % (absolute_path, value[:40]))
            return None

    # -- commands ------------------------------------------------------
    def which(self, name):
        if self.runner is None:
            return None
        return self.runner.which(name)

    def run(self, argv, timeout=None):
        """Run a command; None when commands are off or it is not installed.

        A command that ran and failed is returned as is (check ``ok``).
        A command already prefetched is answered from that result.
        """
        if self.runner is None:
            return None
        key = tuple(argv)
        if key in self._prefetched:
            return self._prefetched[key]
        return self.runner.run(argv, timeout=timeout)

    def prefetch(self, commands):
        """Run independent read-only commands concurrently, ahead of the
        collectors that ask for them: the probe's time is then that of the
        slowest command rather than the sum of all of them."""
        if self.runner is None:
            return
        pending = [list(argv) for argv in commands if tuple(argv) not in self._prefetched]
        if not pending:
            return
        with ThreadPoolExecutor(max_workers=PREFETCH_WORKERS) as pool:
            results = list(pool.map(self.runner.run, pending))
        for argv, result in zip(pending, results):
            self._prefetched[tuple(argv)] = result

    @property
    def commands_enabled(self):
        return self.runner is not None

    # -- warnings ------------------------------------------------------
    def warn(self, message):
        if message not in self.warnings:
            self.warnings.append(message)
