# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Assemble the AgentMachine document from every probe collector."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import re
import time

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.accelerators import collect_accelerators
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.cpu import collect_cpu
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.gpu_sysfs import list_pci_devices
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.host import collect_host
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.labels import build_labels
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.memory import collect_memory
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.profile import classify_profile
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.runtime import collect_runtime
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import collect_storage, lvm_report_argv

SPEC_VERSION = "0.1.0"
PROBE_VERSION = "0.1.0"
ID_PREFIX = "urn:srcos:agent-machine:machine:"
# Commands the collectors always ask for, started together up front.
# nvidia-smi is left out: it runs only when NVML is unavailable.
PREFETCHED_COMMANDS = (
    ["systemd-detect-virt"],
    ["lvm", "version"],
    lvm_report_argv("pv"),
    lvm_report_argv("vg"),
    lvm_report_argv("lv"),
    ["systemctl", "--version"],
    ["systemctl", "is-system-running"],
    ["podman", "--version"],
    ["vulkaninfo", "--summary"],
)


def machine_id(hostname):
    """``urn:srcos:agent-machine:machine:<slug>`` from a hostname."""
    slug = re.sub(r"[^a-z0-9-]+", "-", (hostname or "unknown").lower()).strip("-")
    if not slug or not slug[0].isalnum():
        slug = "m-" + slug
    return ID_PREFIX + slug


def build_document(ctx, now=None):
    """Probe everything through ``ctx`` and return the AgentMachine dict."""
    started = time.monotonic()
    observed = now or datetime.datetime.now(datetime.timezone.utc)
    ctx.prefetch(PREFETCHED_COMMANDS)
    host = collect_host(ctx)
    cpu = collect_cpu(ctx)
    memory = collect_memory(ctx)
    accelerators = collect_accelerators(ctx)
    storage = collect_storage(ctx)
    runtime = collect_runtime(ctx)
    profile = classify_profile(ctx, host, cpu, accelerators)
    labels = build_labels(host, cpu, accelerators, list_pci_devices(ctx), profile)
    if ctx.replayed_from:
        ctx.warn("commands were not run but replayed from %s: root %s is not the running machine"
                 % (ctx.replayed_from, ctx.root))
    elif not ctx.commands_enabled:
        ctx.warn("commands were not run: root %s is not the running machine" % ctx.root)
    return {
        "specVersion": SPEC_VERSION,
        "kind": "AgentMachine",
        "id": machine_id(host.get("hostname")),
        "observedAt": observed.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "probe": {
            "version": PROBE_VERSION,
            "root": ctx.root,
            "live": ctx.live,
            "commandsRun": ctx.commands_enabled,
            "commandsReplayedFrom": ctx.replayed_from,
            "durationSeconds": round(time.monotonic() - started, 3),
        },
        "host": host,
        "cpu": cpu,
        "memory": memory,
        "accelerators": accelerators,
        "storage": storage,
        "runtime": runtime,
        "profile": profile,
        "labels": labels,
        "warnings": list(ctx.warnings),
    }
