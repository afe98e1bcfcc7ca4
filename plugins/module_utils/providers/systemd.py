# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""systemctl through the CommandRunner: reload, start, restart, stop, and a service's state."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

SHOW_PROPERTIES = ("LoadState", "ActiveState", "SubState", "NRestarts", "Result")
# systemctl stop of a unit that is not loaded: nothing to stop.
RC_NOT_LOADED = 5


class SystemdError(Exception):
    """A systemctl command failed; the message has the command line, rc and stderr."""


class Systemctl:
    """The systemctl calls of the lifecycle; ``calls`` records every argv, in order."""

    def __init__(self, runner, timeout=120):
        self.runner = runner
        self.timeout = timeout
        self.calls = []

    def _run(self, args, timeout=None, ok_rcs=(0,)):
        argv = ["systemctl"] + list(args)
        self.calls.append(argv)
        result = self.runner.run(argv, timeout=timeout or self.timeout)
        if result is None:
            raise SystemdError("systemctl is not installed on this node: providers need systemd and Quadlet")
        if result.rc not in ok_rcs:
            detail = " ".join((result.stderr or result.stdout or "").split())[:500]
            raise SystemdError("%s failed (rc %d): %s" % (" ".join(argv), result.rc, detail or "no output"))
        return result

    def daemon_reload(self):
        self._run(["daemon-reload"])

    def start(self, service, timeout=None):
        self._run(["start", service], timeout=timeout)

    def restart(self, service, timeout=None):
        self._run(["restart", service], timeout=timeout)

    def stop(self, service, timeout=None):
        self._run(["stop", service], timeout=timeout, ok_rcs=(0, RC_NOT_LOADED))

    def show(self, service):
        """``{property: value}`` of SHOW_PROPERTIES; NRestarts as an int (0 when unknown)."""
        result = self._run(["show", service, "--property=" + ",".join(SHOW_PROPERTIES)])
        state = dict((key, "") for key in SHOW_PROPERTIES)
        for line in result.stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep and key in state:
                state[key] = value.strip()
        try:
            state["NRestarts"] = int(state["NRestarts"] or 0)
        except ValueError:
            state["NRestarts"] = 0
        return state


def is_active(state):
    return state.get("ActiveState") in ("active", "reloading")


def is_loaded(state):
    return state.get("LoadState") not in ("", "not-found")


def crash_reason(state, restarts_before):
    """Why the service counts as dead during a health gate, or None while it may still come up."""
    active, sub = state.get("ActiveState"), state.get("SubState")
    if active in ("failed", "inactive"):
        return "service %s (%s, result %s)" % (active, sub or "-", state.get("Result") or "-")
    if sub == "auto-restart" or state.get("NRestarts", 0) > restarts_before:
        return "service exited and is being restarted by systemd (restarts: %d)" % state.get("NRestarts", 0)
    return None
