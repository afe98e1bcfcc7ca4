# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage facts: LVM state, device-mapper availability, and where the
agent paths live (mount, filesystem, free space).

LVM is read with ``pvs``/``vgs``/``lvs --reportformat json --units b
--nosuffix``; sizes come back as integers in bytes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

AGENT_ROOT = "/var/lib/agent-machine"
AGENT_PATHS = (
    AGENT_ROOT,
    AGENT_ROOT + "/models",
    AGENT_ROOT + "/cache",
    AGENT_ROOT + "/scratch",
    AGENT_ROOT + "/evidence",
    AGENT_ROOT + "/artifacts",
)

LVM_FIELDS = {
    "pv": ("pv_name", "vg_name", "pv_size", "pv_free", "pv_uuid"),
    "vg": ("vg_name", "vg_size", "vg_free", "vg_uuid", "pv_count", "lv_count", "vg_extent_size"),
    "lv": ("lv_name", "vg_name", "lv_size", "lv_attr", "lv_uuid", "pool_lv", "data_percent", "lv_layout"),
}
LVM_REPORT_ARGS = ("--reportformat", "json", "--units", "b", "--nosuffix")
LVM_BINARIES = ("/usr/sbin/lvm", "/sbin/lvm")

# Report fields that hold numbers: integers (bytes or counts) and percentages.
_INT_FIELD = re.compile(r"(_size|_free|_count|_used|_extent_size|_extent_count|_major|_minor|_kernel_major|_kernel_minor)$")
_PERCENT_FIELD = re.compile(r"_percent$")


def lvm_report_argv(kind):
    """The argv that lists PVs, VGs or LVs as a JSON report."""
    return [kind + "s"] + list(LVM_REPORT_ARGS) + ["-o", ",".join(LVM_FIELDS[kind])]


def _convert(key, value):
    if value is None:
        return None
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "":
        return None
    if _INT_FIELD.search(key) and re.match(r"^-?\d+$", text):
        return int(text)
    if _PERCENT_FIELD.search(key):
        try:
            return float(text)
        except ValueError:
            return text
    return value


def parse_lvm_report(text, kind):
    """Rows of a ``pvs|vgs|lvs --reportformat json`` report.

    ``kind`` is "pv", "vg" or "lv". Field names stay LVM's; sizes and counts
    become ints, percentages floats, empty strings None. Raises ValueError
    when the text is not such a report.
    """
    if kind not in LVM_FIELDS:
        raise ValueError("kind must be one of pv, vg, lv, not %r" % (kind,))
    text = text or ""
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in the LVM report")
    try:
        data = json.loads(text[start:])
    except ValueError as exc:
        raise ValueError("the LVM report is not valid JSON: %s" % exc)
    if not isinstance(data, dict) or not isinstance(data.get("report"), list):
        raise ValueError("the LVM report has no 'report' list")
    rows = []
    for section in data["report"]:
        if not isinstance(section, dict):
            continue
        for row in section.get(kind) or []:
            if isinstance(row, dict):
                rows.append(dict((key, _convert(key, value)) for key, value in row.items()))
    return rows


def parse_lvm_version(text):
    """"2.03.16" from ``lvm version`` output, or None."""
    match = re.search(r"LVM version:\s*([0-9][0-9.]*)", text or "")
    return match.group(1).rstrip(".") if match else None


def _lvm(ctx):
    section = {"available": False, "version": None, "pvs": [], "vgs": [], "lvs": [], "source": "unavailable"}
    binary = ctx.which("lvm")
    if binary is None:
        if not ctx.live:
            for path in LVM_BINARIES:
                if ctx.exists(path):
                    section["available"] = True
                    section["source"] = path
                    break
        return section
    section["available"] = True
    section["source"] = "lvm commands"
    result = ctx.run(["lvm", "version"])
    if result is not None:
        section["version"] = parse_lvm_version(result.stdout)
        if section["version"] is None:
            ctx.warn("lvm version printed no version (rc %s)" % result.rc)
    for kind in ("pv", "vg", "lv"):
        argv = lvm_report_argv(kind)
        result = ctx.run(argv)
        if result is None:
            ctx.warn("%s is not installed" % argv[0])
            continue
        if not result.ok:
            ctx.warn("%s failed (rc %s): %s" % (" ".join(argv), result.rc, (result.stderr or "").strip()[:300]))
            continue
        try:
            section[kind + "s"] = parse_lvm_report(result.stdout, kind)
        except ValueError as exc:
            ctx.warn("%s: %s" % (argv[0], exc))
    return section


def _device_mapper(ctx):
    if ctx.exists("/dev/mapper/control"):
        return {"available": True, "source": "/dev/mapper/control"}
    misc = ctx.read_text("/proc/misc")
    if misc is not None:
        present = any(line.split()[1:2] == ["device-mapper"] for line in misc.splitlines())
        return {"available": present, "source": "/proc/misc"}
    return {"available": False, "source": "unavailable"}


# -- mounts ------------------------------------------------------------
def unescape_mount_field(value):
    """Undo the octal escapes (\\040 space, \\011 tab, \\012 newline, \\134 backslash)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), value)


def parse_mountinfo(text):
    """Mounts of a /proc/<pid>/mountinfo file, in file order.

    Each mount: mountPoint, root, options (list), fstype, source, superOptions (list).
    """
    mounts = []
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) < 7 or "-" not in fields[6:]:
            continue
        separator = fields.index("-", 6)
        after = fields[separator + 1:]
        if not after:
            continue
        mounts.append({
            "mountPoint": unescape_mount_field(fields[4]),
            "root": unescape_mount_field(fields[3]),
            "options": fields[5].split(","),
            "fstype": after[0],
            "source": unescape_mount_field(after[1]) if len(after) > 1 else None,
            "superOptions": after[2].split(",") if len(after) > 2 else [],
        })
    return mounts


def mount_for(mounts, path):
    """The mount that holds ``path``: the longest matching mount point, the
    latest one when several are stacked on the same point."""
    best = None
    for mount in mounts:
        point = mount["mountPoint"]
        if point != "/" and path != point and not path.startswith(point.rstrip("/") + "/"):
            continue
        if best is None or len(point) >= len(best["mountPoint"]):
            best = mount
    return best


def _nearest_existing(ctx, path):
    current = path
    while current != "/" and not ctx.exists(current):
        current = os.path.dirname(current)
    return current


def _agent_paths(ctx, mounts):
    entries = []
    for path in AGENT_PATHS:
        entry = {"path": path, "exists": ctx.exists(path), "mountPoint": None, "device": None,
                 "fstype": None, "options": [], "sizeBytes": None, "freeBytes": None}
        mount = mount_for(mounts, ctx.resolve(path)) if mounts else None
        if mount is not None:
            entry.update(mountPoint=mount["mountPoint"], device=mount["source"],
                         fstype=mount["fstype"], options=list(mount["options"]))
        if ctx.live:
            try:
                stats = os.statvfs(ctx.path(_nearest_existing(ctx, path)))
                entry["sizeBytes"] = stats.f_blocks * stats.f_frsize
                entry["freeBytes"] = stats.f_bavail * stats.f_frsize
            except OSError as exc:
                ctx.warn("cannot stat the filesystem of %s: %s" % (path, exc.strerror or exc))
        entries.append(entry)
    return entries


def collect_storage(ctx):
    """Return the storage section of the probe facts; never raises."""
    text = ctx.read_text("/proc/self/mountinfo")
    if text is None:
        ctx.warn("/proc/self/mountinfo is missing or unreadable; mount facts of the agent paths are missing")
    mounts = parse_mountinfo(text)
    return {
        "lvm": _lvm(ctx),
        "deviceMapper": _device_mapper(ctx),
        "agentPaths": _agent_paths(ctx, mounts),
        "source": "/proc/self/mountinfo" if text is not None else "unavailable",
    }
