# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Memory facts: totals and huge pages from /proc/meminfo, NUMA nodes from
/sys/devices/system/node."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

NODE_DIR = "/sys/devices/system/node"


def parse_meminfo(text):
    """{key: value} of a meminfo file; values in bytes where the line says kB.

    Per-node files (``Node 0 MemTotal: ... kB``) are accepted: the node
    prefix is dropped. Counters without a unit (HugePages_Total) stay counts.
    """
    values = {}
    for line in (text or "").splitlines():
        match = re.match(r"^(?:Node\s+\d+\s+)?([A-Za-z0-9_()]+):\s*(\d+)\s*(kB)?\s*$", line.strip())
        if not match:
            continue
        number = int(match.group(2))
        values[match.group(1)] = number * 1024 if match.group(3) else number
    return values


def _numa_nodes(ctx):
    nodes = []
    for name in ctx.listdir(NODE_DIR):
        match = re.match(r"^node(\d+)$", name)
        if not match:
            continue
        base = "%s/%s/" % (NODE_DIR, name)
        values = parse_meminfo(ctx.read_text(base + "meminfo"))
        nodes.append({
            "id": int(match.group(1)),
            "totalBytes": values.get("MemTotal"),
            "cpus": ctx.read_value(base + "cpulist") or None,
        })
    return sorted(nodes, key=lambda node: node["id"])


def collect_memory(ctx):
    """Return the memory section of the probe facts; never raises."""
    values = parse_meminfo(ctx.read_text("/proc/meminfo"))
    source = "/proc/meminfo"
    total = values.get("MemTotal")
    if total is None:
        ctx.warn("/proc/meminfo is missing, unreadable or has no MemTotal; memory facts are partial")
        source = "unavailable"
        if ctx.live:
            try:
                total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
                source = "sysconf(SC_PHYS_PAGES)"
            except (ValueError, OSError, AttributeError):
                total = None
    return {
        "totalBytes": total,
        "availableBytes": values.get("MemAvailable"),
        "swapTotalBytes": values.get("SwapTotal"),
        "hugepages": {
            "defaultSizeBytes": values.get("Hugepagesize"),
            "total": values.get("HugePages_Total"),
            "free": values.get("HugePages_Free"),
        },
        "numaNodes": _numa_nodes(ctx),
        "source": source,
    }
