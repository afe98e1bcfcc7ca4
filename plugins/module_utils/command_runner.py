# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one runner for external commands on the managed node.

Every external command goes through a runner so that locale, timeouts,
binary lookup and (for captured machines) replay are handled in one place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import subprocess

DEFAULT_TIMEOUT_SECONDS = 20
C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}


class CommandResult:
    """Outcome of one command: rc, stdout, stderr, and the argv that ran."""

    def __init__(self, argv, rc, stdout, stderr):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    @property
    def ok(self):
        return self.rc == 0

    @property
    def command_line(self):
        return " ".join(self.argv)


class CommandRunner:
    """Runs commands on this host with a C locale and a timeout.

    ``run`` returns None when the binary is not installed, so callers can
    tell "absent" from "failed". ``env`` adds variables to the commands'
    environment (for example ``LVM_SUPPRESS_FD_WARNINGS``).
    """

    def __init__(self, timeout=DEFAULT_TIMEOUT_SECONDS, search_path=None, env=None):
        self.timeout = timeout
        self.env = dict(env or {})
        self.search_path = search_path or os.pathsep.join(
            [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/local/bin",
             "/usr/sbin", "/usr/bin", "/sbin", "/bin"])

    def which(self, name):
        return shutil.which(name, path=self.search_path)

    def run(self, argv, timeout=None):
        binary = self.which(argv[0])
        if binary is None:
            return None
        env = dict(os.environ)
        env.update(self.env)
        env.update(C_LOCALE)
        try:
            proc = subprocess.run(  # pylint: disable=subprocess-run-check
                [binary] + list(argv[1:]), env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                timeout=timeout or self.timeout)
        except subprocess.TimeoutExpired:
            return CommandResult(argv, 124, "", "timed out after %ss" % (timeout or self.timeout))
        except OSError as exc:
            return CommandResult(argv, 126, "", str(exc))
        return CommandResult(argv, proc.returncode,
                             proc.stdout.decode("utf-8", "replace"),
                             proc.stderr.decode("utf-8", "replace"))


class ReplayRunner:
    """Answers commands from recorded output instead of running them.

    ``recordings`` maps the command line (argv joined by single spaces) to a
    dict with ``rc``, ``stdout`` and ``stderr``. A command that was not
    recorded behaves as not installed.
    """

    def __init__(self, recordings):
        self.recordings = dict(recordings or {})

    def which(self, name):
        prefix = name + " "
        for line in self.recordings:
            if line == name or line.startswith(prefix):
                return "/recorded/" + name
        return None

    def run(self, argv, timeout=None):
        record = self.recordings.get(" ".join(argv))
        if record is None:
            return None
        return CommandResult(argv, int(record.get("rc", 0)),
                             record.get("stdout", ""), record.get("stderr", ""))
