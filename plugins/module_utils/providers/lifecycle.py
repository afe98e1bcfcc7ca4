# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Activate, tear down or roll back a batch of providers on this node.

Activation (state ``started``), per batch:

1. Read every provider's installed files and service state; plan.
2. For each provider whose files differ: save the installed files as a
   revision (byte-for-byte), write the new files atomically, remove files
   the provider no longer has.
3. ``systemctl daemon-reload`` once, and only when a file changed (or a
   service is not loaded yet).
4. Restart (or start) each changed or stopped service, then its health
   gate: N consecutive passing checks within the window.
5. A provider that fails: its saved revision is restored byte-for-byte (or
   its files removed when it had none, after stopping it), one more
   ``daemon-reload``, the restored service restarted and gated again.

A provider whose files match and whose service is active is left alone
(``changed`` false); one health check is still run and reported. Check
mode reads and plans only: no file, revision or service is touched.
Teardown (``absent``) stops services and removes unit files, keeping a
revision of them and every data volume. Rollback (``rolled_back``)
restores the newest saved revision that differs from the installed files,
saving those first, so nothing is lost and a second rollback undoes the
first.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.evidence import runtime_evidence, text
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.health import check_once, run_gate, utc_now
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.request import UNIT_SUFFIXES, service_of
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.revisions import RevisionError, RevisionStore
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.systemd import (
    SystemdError, crash_reason, is_active, is_loaded,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.units import (
    container_digest, digest, installed_modes, installed_units, planned_changes, replace_units, unit_diff,
)

# Outcomes that fail the task, per state.
FAILING = {
    "started": ("failed", "rolled-back", "rollback-failed"),
    "absent": ("failed",),
    "rolled_back": ("failed", "rollback-failed"),
}
ACTIONS = {"started": "activate", "absent": "teardown", "rolled_back": "rollback"}


class Node:
    """What the lifecycle touches on this node; tests give a fake systemctl and clock."""

    def __init__(self, unit_dir, revisions_dir, systemctl, clock=time.monotonic, sleep=time.sleep, now=utc_now):
        self.unit_dir = unit_dir
        self.revisions_dir = revisions_dir
        self.systemctl = systemctl
        self.clock = clock
        self.sleep = sleep
        self.now = now
        self.reloads = 0

    def installed(self, name):
        return installed_units(self.unit_dir, name)

    def daemon_reload(self):
        self.systemctl.daemon_reload()
        self.reloads += 1


class _Work:
    """One provider in the batch: what was found, what was done, and its evidence."""

    def __init__(self, provider, node, action):
        self.provider = provider
        self.name = provider["name"]
        self.service = self.name + ".service"
        self.action = action
        self.store = RevisionStore(node.revisions_dir, self.name)
        self.started_at = node.now()
        self.installed = node.installed(self.name)
        self.modes = installed_modes(node.unit_dir, self.installed)
        self.wanted = dict((unit["name"], unit["data"]) for unit in provider["units"])
        self.state = {}
        self.changes = []
        self.diff = []
        self.saved = None
        self.restored = None
        self.previous_digest = container_digest(self.installed, self.name)
        self.new_digest = None
        self.checks = []
        self.messages = []
        self.outcome = None
        self.changed = False
        self.rolled_back = False
        self.healthy = None
        self.finished_at = None

    def services(self, names):
        """The services of unit files, the container's first (stop order)."""
        ordered = sorted(names, key=lambda unit_name: (not unit_name.endswith(".container"), unit_name))
        services = [service_of(unit_name) for unit_name in ordered]
        return services if self.service in services else [self.service] + services

    def add_gate(self, gate, label):
        first = len(self.checks) + 1
        self.checks.extend(gate["checks"])
        if gate["checks"]:
            self.messages.append("health checks %d-%d: %s" % (first, len(self.checks), label))
        if gate["omitted"]:
            self.messages.append("%d earlier checks of the %s were not recorded" % (gate["omitted"], label))

    def finish(self, outcome, now):
        self.outcome = outcome
        self.finished_at = now()

    def evidence(self):
        return runtime_evidence(self.provider, self.action, self.outcome, self.started_at, self.finished_at,
                                self.previous_digest, self.new_digest, self.rolled_back, self.checks,
                                self.messages or ["no action needed"])

    def report(self):
        return {"name": self.name, "service": self.service, "outcome": self.outcome, "changed": self.changed,
                "rolled_back": self.rolled_back, "healthy": self.healthy, "units": self.changes,
                "saved_revision": self.saved, "restored_revision": self.restored,
                "previous_revision_digest": self.previous_digest, "new_revision_digest": self.new_digest,
                "messages": list(self.messages)}


class Lifecycle:
    """One run of provider_units over a parsed request."""

    def __init__(self, request, node, check_mode=False):
        self.request = request
        self.node = node
        self.systemctl = node.systemctl
        self.check_mode = check_mode

    def run(self, want_diff=False):
        """Returns ``(failed, result)``; result holds providers, evidence, daemon_reloads and diff."""
        state = self.request["state"]
        action = ACTIONS[state]
        works = [_Work(provider, self.node, action) for provider in self.request["providers"]]
        {"started": self._activate, "absent": self._teardown, "rolled_back": self._roll_back_on_demand}[state](works)
        if not self.check_mode:
            for work in works:
                work.store.prune(self.request["keep_revisions"])
        failing = [work for work in works if work.outcome in FAILING[state]]
        result = {
            "changed": any(work.changed for work in works),
            "state": state,
            "providers": [work.report() for work in works],
            "evidence": [work.evidence() for work in works],
            "daemon_reloads": self.node.reloads,
        }
        if want_diff:
            result["diff"] = [entry for work in works for entry in work.diff]
        if failing:
            result["msg"] = "; ".join("%s: %s (%s)" % (work.name, work.outcome, work.messages[-1] if work.messages else "-")
                                      for work in failing)
        return bool(failing), result

    # -- shared steps ----------------------------------------------------------------

    def _save(self, work, reason):
        if work.installed:
            work.saved = work.store.save(work.installed, work.modes, reason, self.node.now())
            work.messages.append("revision %d saved: the %d unit file(s) it replaced (%s)" % (
                work.saved, len(work.installed), ", ".join(sorted(work.installed))))

    def _put(self, work, units, modes=None):
        """Make the provider's files ``units``; records the changes."""
        current = self.node.installed(work.name)
        changes = replace_units(self.node.unit_dir, current, units, modes)
        if changes:
            work.changed = True
        return changes

    def _stop(self, work, names):
        for service in work.services(names):
            self.systemctl.stop(service)
        work.changed = True

    def _start_and_gate(self, work, label):
        """Restart the service and run its gate; True when it passed."""
        health = work.provider["health"]
        began = self.node.clock()
        try:
            self.systemctl.restart(work.service, timeout=max(int(health["window"]), 1))
            work.changed = True
            restarts = self.systemctl.show(work.service)["NRestarts"]
        except SystemdError as exc:
            gate = {"passed": False, "reason": str(exc), "omitted": 0, "checks": [
                {"at": self.node.now(), "status": "fail", "httpStatus": None, "latencySeconds": None,
                 "error": text(exc)[:500]}]}
        else:
            gate = run_gate(health, crashed=lambda: crash_reason(self.systemctl.show(work.service), restarts),
                            clock=self.node.clock, sleep=self.node.sleep, now=self.node.now, started=began)
        work.add_gate(gate, label)
        if gate["passed"]:
            work.messages.append("health gate passed: %d consecutive HTTP %d from %s" % (
                health["passes"], health["expect_status"], health["url"]))
        else:
            work.messages.append("%s did not become healthy: %s" % (label, gate["reason"]))
        work.healthy = gate["passed"]
        return gate["passed"]

    def _check_steady(self, work):
        """One health check of a provider left alone."""
        health = work.provider["health"]
        record = check_once(health["url"], health["expect_status"], health["timeout"], clock=self.node.clock,
                            now=self.node.now)
        work.checks.append(record)
        work.healthy = record["status"] == "pass"
        work.messages.append("unit files unchanged and %s active; one health check: %s" % (
            work.service, record["status"] if work.healthy else "fail (%s)" % record["error"]))

    def _reload(self, needed, count):
        if needed:
            self.node.daemon_reload()
            return "daemon-reload once for %d changed provider(s)" % count
        return None

    # -- activation --------------------------------------------------------------------

    def _activate(self, works):
        for work in works:
            work.state = self.systemctl.show(work.service)
            work.new_digest = container_digest(work.wanted, work.name)
            work.changes = planned_changes(work.installed, work.wanted)
            work.diff = unit_diff(self.node.unit_dir, work.installed, work.wanted)
        pending = [work for work in works if work.changes or not is_active(work.state)]
        for work in works:
            if work not in pending:
                self._check_steady(work)
                work.finish("unchanged", self.node.now)
        if self.check_mode:
            for work in pending:
                work.changed = True
                work.messages.append("would %s%s" % (
                    "; ".join("%s %s" % (change["action"].replace("written", "write").replace("removed", "remove"),
                                         change["name"]) for change in work.changes) or "start " + work.service,
                    "" if work.changes else " (unit files unchanged)"))
                work.finish("planned", self.node.now)
            return
        installed = [work for work in pending if self._install(work)]
        broken = []
        try:
            note = self._reload(any(work.changes or not is_loaded(work.state) for work in installed),
                                len([work for work in installed if work.changes]))
        except SystemdError as exc:
            for work in installed:
                work.messages.append(str(exc))
            broken, installed = broken + installed, []
            note = None
        for work in installed:
            if note:
                work.messages.append(note)
            if not self._start_and_gate(work, "new revision %s" % work.new_digest):
                broken.append(work)
        self._recover(broken)
        for work in pending:
            if work.outcome is None:
                work.finish("activated", self.node.now)

    def _install(self, work):
        """Save the revision and write the new files; on failure put the old bytes back and finish the work."""
        if not work.changes:
            return True
        try:
            self._save(work, "replaced by activation")
            work.changes = self._put(work, work.wanted)
            work.messages.append("unit files: %s" % ", ".join(
                ("%s %s %s" % (change["name"], change["action"], digest(work.wanted.get(change["name"])) or "")).strip()
                for change in work.changes))
            return True
        except (OSError, RevisionError) as exc:
            work.messages.append("installing the unit files failed, nothing was started: %s" % exc)
        # The service never saw the new files (no reload yet): put the installed bytes back from memory.
        try:
            self._put(work, work.installed, work.modes)
            work.finish("failed", self.node.now)
        except OSError as exc:
            work.rolled_back = True
            work.messages.append("putting the previous unit files back failed: %s" % exc)
            work.finish("rollback-failed", self.node.now)
        return False

    def _recover(self, broken):
        """Roll back the providers whose new revision failed; leave the others failed."""
        restorable = [work for work in broken if work.changes]
        for work in broken:
            if not work.changes:
                work.finish("failed", self.node.now)
        restored, removed = [], []
        for work in restorable:
            work.rolled_back = True
            try:
                if work.saved is None:
                    self._stop(work, set(work.wanted) | set(work.installed))
                    self._put(work, {})
                    removed.append(work)
                else:
                    units, modes = work.store.load(work.saved)
                    self._put(work, units, modes)
                    work.restored = work.saved
                    restored.append(work)
            except (OSError, RevisionError, SystemdError) as exc:
                work.messages.append("rollback failed: %s" % exc)
                work.finish("rollback-failed", self.node.now)
        if not restored and not removed:
            return
        try:
            self.node.daemon_reload()
        except SystemdError as exc:
            for work in restored + removed:
                work.messages.append("rollback failed: %s" % exc)
                work.finish("rollback-failed", self.node.now)
            return
        for work in removed:
            state = self.systemctl.show(work.service)
            if is_active(state):
                work.messages.append("no previous revision: unit files removed but %s is still %s" % (
                    work.service, state["ActiveState"]))
                work.finish("rollback-failed", self.node.now)
            else:
                work.messages.append("no previous revision: %s stopped and its unit files removed" % work.service)
                work.finish("rolled-back", self.node.now)
        for work in restored:
            label = "restored revision %d (%s)" % (work.saved, work.previous_digest)
            if self._start_and_gate(work, label):
                work.messages.append("previous revision %d restored byte-for-byte and healthy again" % work.saved)
                work.finish("rolled-back", self.node.now)
            else:
                work.finish("rollback-failed", self.node.now)

    # -- teardown ------------------------------------------------------------------------

    def _teardown(self, works):
        acting = []
        for work in works:
            work.state = self.systemctl.show(work.service)
            work.changes = planned_changes(work.installed, {})
            work.diff = unit_diff(self.node.unit_dir, work.installed, {})
            if not work.installed and not is_active(work.state):
                work.messages.append("no unit files and %s not active" % work.service)
                work.finish("unchanged", self.node.now)
            elif self.check_mode:
                work.changed = True
                work.messages.append("would stop %s and remove %s" % (work.service, ", ".join(sorted(work.installed)) or "nothing"))
                work.finish("planned", self.node.now)
            else:
                acting.append(work)
        for work in acting:
            try:
                self._save(work, "removed by teardown")
                self._stop(work, work.installed)
                work.changes = self._put(work, {})
                work.messages.append("%s stopped; unit files removed: %s; data volumes kept" % (
                    work.service, ", ".join(sorted(work.installed)) or "none"))
            except (OSError, RevisionError, SystemdError) as exc:
                work.messages.append("teardown failed: %s" % exc)
                work.finish("failed", self.node.now)
        removed = [work for work in acting if work.outcome is None and work.changes]
        if removed:
            try:
                self.node.daemon_reload()
            except SystemdError as exc:
                for work in removed:
                    work.messages.append(str(exc))
                    work.finish("failed", self.node.now)
        for work in acting:
            if work.outcome is None:
                work.finish("stopped", self.node.now)

    # -- rollback on demand ----------------------------------------------------------------

    def _roll_back_on_demand(self, works):
        acting = []
        for work in works:
            try:
                target = work.store.latest_differing(work.installed)
                units, modes = work.store.load(target) if target is not None else (None, None)
            except RevisionError as exc:
                work.messages.append(str(exc))
                work.finish("failed", self.node.now)
                continue
            if target is None:
                work.messages.append("no saved revision of %s differs from the installed unit files" % work.name)
                work.finish("failed", self.node.now)
                continue
            work.restored = target
            work.new_digest = container_digest(units, work.name)
            work.changes = planned_changes(work.installed, units)
            work.diff = unit_diff(self.node.unit_dir, work.installed, units)
            work.changed = True
            if self.check_mode:
                work.messages.append("would restore revision %d (%s)" % (target, work.new_digest))
                work.finish("planned", self.node.now)
                continue
            try:
                self._save(work, "replaced by rollback to revision %d" % target)
                work.changes = self._put(work, units, modes)
                work.rolled_back = True
                acting.append(work)
            except (OSError, RevisionError) as exc:
                work.messages.append("restoring revision %d failed: %s" % (target, exc))
                work.finish("failed", self.node.now)
        if not acting:
            return
        try:
            self.node.daemon_reload()
        except SystemdError as exc:
            for work in acting:
                work.messages.append(str(exc))
                work.finish("rollback-failed", self.node.now)
            return
        for work in acting:
            label = "restored revision %d (%s)" % (work.restored, work.new_digest)
            if self._start_and_gate(work, label):
                work.messages.append("revision %d restored byte-for-byte and healthy" % work.restored)
                work.finish("rolled-back", self.node.now)
            else:
                work.finish("rollback-failed", self.node.now)


def run_lifecycle(request, node, check_mode=False, want_diff=False):
    """``(failed, result)`` of one provider_units run; see the module documentation."""
    return Lifecycle(request, node, check_mode).run(want_diff)


__all__ = ["Lifecycle", "Node", "UNIT_SUFFIXES", "run_lifecycle"]
