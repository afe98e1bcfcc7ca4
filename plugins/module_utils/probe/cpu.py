# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CPU facts from /proc/cpuinfo, sysfs topology and the device tree.

Works for x86 (vendor_id, model name, physical id / core id, flags) and
arm64 (CPU implementer / CPU part / Features); x86 also reports ``family`` and
``modelId`` (cpu family / model, for the NFD cpu-model labels). Apple Silicon is recognised
by implementer 0x61 with a real part number and, for the SoC name, by the
device-tree compatible list (``apple,t8112`` is an M2).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.host import read_device_tree

APPLE_IMPLEMENTER = "0x61"

# arm64 MIDR implementer codes.
IMPLEMENTERS = {
    "0x41": "ARM",
    "0x42": "Broadcom",
    "0x43": "Cavium",
    "0x46": "Fujitsu",
    "0x48": "HiSilicon",
    "0x4e": "NVIDIA",
    "0x50": "APM",
    "0x51": "Qualcomm",
    "0x53": "Samsung",
    "0x56": "Marvell",
    "0x61": "Apple",
    "0x69": "Intel",
    "0x6d": "Microsoft",
    "0xc0": "Ampere",
}

# Part numbers per implementer (names as the Linux arm64 cputype table has them).
PART_NAMES = {
    "0x61": {
        "0x022": "Icestorm", "0x023": "Firestorm",
        "0x024": "Icestorm", "0x025": "Firestorm",
        "0x028": "Icestorm", "0x029": "Firestorm",
        "0x032": "Blizzard", "0x033": "Avalanche",
        "0x034": "Blizzard", "0x035": "Avalanche",
        "0x038": "Blizzard", "0x039": "Avalanche",
    },
    "0x41": {
        "0xd03": "Cortex-A53", "0xd04": "Cortex-A35", "0xd05": "Cortex-A55",
        "0xd07": "Cortex-A57", "0xd08": "Cortex-A72", "0xd09": "Cortex-A73",
        "0xd0a": "Cortex-A75", "0xd0b": "Cortex-A76", "0xd0c": "Neoverse-N1",
        "0xd0d": "Cortex-A77", "0xd40": "Neoverse-V1", "0xd41": "Cortex-A78",
        "0xd44": "Cortex-X1", "0xd46": "Cortex-A510", "0xd47": "Cortex-A710",
        "0xd48": "Cortex-X2", "0xd49": "Neoverse-N2", "0xd4a": "Neoverse-E1",
        "0xd4b": "Cortex-A78C", "0xd4f": "Neoverse-V2",
    },
}

# Apple SoC device-tree ids.
APPLE_SOCS = {
    "apple,t8103": "Apple M1",
    "apple,t6000": "Apple M1 Pro",
    "apple,t6001": "Apple M1 Max",
    "apple,t6002": "Apple M1 Ultra",
    "apple,t8112": "Apple M2",
    "apple,t6020": "Apple M2 Pro",
    "apple,t6021": "Apple M2 Max",
    "apple,t6022": "Apple M2 Ultra",
}

_APPLE_SOC_ID = re.compile(r"^apple,t\d{4}$")


def apple_soc(compatible_list):
    """(compatible, name) of the Apple SoC in a device-tree compatible list.

    An id missing from the table gives a generic name ("apple,t8122" ->
    "Apple T8122"); no Apple SoC gives None.
    """
    entries = [c.strip() for c in (compatible_list or []) if c and c.strip()]
    for entry in entries:
        if entry in APPLE_SOCS:
            return entry, APPLE_SOCS[entry]
    for entry in entries:
        if _APPLE_SOC_ID.match(entry):
            return entry, "Apple " + entry.split(",", 1)[1].upper()
    return None


def is_apple_silicon(cpu):
    """True for Apple cores: implementer 0x61 with a non-zero part number.

    A virtual machine on a Mac reports implementer 0x61 with part 0x000;
    that is not an Apple SoC that Asahi Linux runs on.
    """
    if not cpu or cpu.get("implementer") != APPLE_IMPLEMENTER:
        return False
    for part in cpu.get("parts") or []:
        if part.get("implementer") not in (None, APPLE_IMPLEMENTER):
            continue
        number = _hex_int(part.get("part"))
        if number:
            return True
    return False


def parse_cpuinfo(text):
    """List of per-processor dicts from /proc/cpuinfo text.

    Keys and values are stripped (separators may be tabs or spaces). Fields
    printed once outside the processor blocks (old arm64 kernels) are
    copied into every processor.
    """
    records = []
    shared = {}
    current = None
    for line in (text or "").splitlines():
        if not line.strip():
            current = None
            continue
        if ":" not in line:
            continue
        key, value = line.split(":", 1)
        key = key.strip()
        value = value.strip()
        if key == "processor":
            current = {"processor": value}
            records.append(current)
        elif current is not None:
            current[key] = value
        else:
            shared[key] = value
    for record in records:
        for key, value in shared.items():
            record.setdefault(key, value)
    return records


def _hex_int(value):
    try:
        return int(str(value), 16)
    except (TypeError, ValueError):
        return None


def _norm_hex(value, width):
    number = _hex_int(value)
    if number is None:
        return None
    return "0x%0*x" % (width, number)


def _sysfs_topology(ctx):
    """(package ids, core sibling groups, cpu count) from sysfs, or None."""
    cpus = [n for n in ctx.listdir("/sys/devices/system/cpu") if re.match(r"^cpu\d+$", n)]
    if not cpus:
        return None
    packages = set()
    cores = set()
    for name in cpus:
        base = "/sys/devices/system/cpu/%s/topology/" % name
        package = ctx.read_value(base + "physical_package_id")
        if package and package.lstrip("-").isdigit() and int(package) >= 0:
            packages.add(int(package))
        siblings = ctx.read_value(base + "core_cpus_list") or ctx.read_value(base + "thread_siblings_list")
        if siblings:
            cores.add(siblings)
    return packages, cores, len(cpus)


def collect_cpu(ctx):
    """Return the cpu section of the probe facts; never raises."""
    text = ctx.read_text("/proc/cpuinfo")
    if text is None:
        ctx.warn("/proc/cpuinfo is missing or unreadable; CPU facts are partial")
    records = parse_cpuinfo(text)
    sources = ["/proc/cpuinfo"] if records else []

    vendor = None
    implementer = None
    model_name = None
    family = None
    model_id = None
    parts = []
    part_index = {}
    flags = set()
    physical = set()
    core_pairs = set()
    cores_per_socket = None
    for record in records:
        vendor = vendor or record.get("vendor_id") or None
        model_name = model_name or record.get("model name") or None
        family = family or record.get("cpu family") or None
        model_id = model_id or record.get("model") or None
        for field in ("flags", "Features"):
            flags.update(record.get(field, "").split())
        if "physical id" in record:
            physical.add(record["physical id"])
            if "core id" in record:
                core_pairs.add((record["physical id"], record["core id"]))
        if record.get("cpu cores", "").isdigit():
            cores_per_socket = int(record["cpu cores"])
        impl = _norm_hex(record.get("CPU implementer"), 2)
        if impl is None:
            continue
        implementer = implementer or impl
        part = _norm_hex(record.get("CPU part"), 3)
        key = (impl, part)
        if key not in part_index:
            part_index[key] = {"implementer": impl, "part": part,
                               "name": PART_NAMES.get(impl, {}).get(part), "count": 0}
            parts.append(part_index[key])
        part_index[key]["count"] += 1
    if vendor is None and implementer is not None:
        vendor = IMPLEMENTERS.get(implementer)

    threads = len(records) or None
    topology = _sysfs_topology(ctx)
    if threads is None and topology is not None:
        threads = topology[2]
        sources.append("/sys/devices/system/cpu")
    if threads is None and ctx.live:
        threads = os.cpu_count()
        sources.append("os.cpu_count()")

    if physical:
        sockets = len(physical)
    elif topology is not None and topology[0]:
        sockets = len(topology[0])
    else:
        sockets = 1 if threads else None

    if core_pairs:
        cores = len(core_pairs)
    elif topology is not None and topology[1]:
        cores = len(topology[1])
    elif cores_per_socket and sockets:
        cores = cores_per_socket * sockets
    else:
        cores = threads

    soc = None
    if implementer is not None or not vendor:
        found = apple_soc(read_device_tree(ctx)[1])
        if found is not None:
            soc = {"compatible": found[0], "name": found[1]}
            sources.append("/proc/device-tree/compatible")

    if model_name is None:
        if soc is not None:
            model_name = soc["name"]
        else:
            named = [p["name"] for p in parts if p["name"]]
            if named:
                model_name = " + ".join(named)

    return {
        "vendor": vendor,
        "implementer": implementer,
        "modelName": model_name,
        "family": family,
        "modelId": model_id,
        "parts": parts,
        "sockets": sockets,
        "cores": cores,
        "threads": threads,
        "flags": sorted(flags),
        "soc": soc,
        "source": ", ".join(sources) if sources else "unavailable",
    }
