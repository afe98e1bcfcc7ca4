# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the LVM state the planner needs, through a command runner.

- PVs, VGs and LVs (``lvs -a``: hidden thin-pool parts included) as JSON
  reports in bytes (``--reportformat json --units b --nosuffix``);
- for every device the layout names: whether it exists and is a block
  device, its real path, its size (``blockdev --getsize64``) and, when it
  is not yet a PV, its signatures (``blkid -p -o export``; rc 2 means none);
- for every existing, active LV of the layout: its signatures and where it
  is mounted (``/proc/self/mountinfo``);
- whether the kernel has device-mapper (``/proc/misc``).

The result is a plain dict (JSON-friendly) so tests can build states by
hand or from recorded output. Nothing here writes anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import stat

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import (
    LVM_REPORT_ARGS,
    parse_lvm_report,
    parse_lvm_version,
    parse_mountinfo,
)

ACTIVATION_OFF = ("--config", "global{activation=0}")
STATE_FIELDS = {
    "pv": ("pv_name", "vg_name", "pv_size", "pv_free", "pv_used", "pv_uuid", "pv_pe_count", "pv_pe_alloc_count",
           "dev_size", "pe_start", "pv_attr"),
    "vg": ("vg_name", "vg_size", "vg_free", "vg_uuid", "pv_count", "lv_count", "vg_extent_size", "vg_extent_count",
           "vg_free_count", "vg_attr"),
    # lv_layout, not segtype: segment fields give one row per segment.
    "lv": ("lv_name", "vg_name", "lv_size", "lv_attr", "lv_uuid", "pool_lv", "data_percent", "lv_layout", "lv_path",
           "lv_dm_path", "lv_active", "lv_metadata_size"),
}
_EXTRA_INT_FIELDS = ("pe_start",)
BLKID_NOTHING_FOUND = 2


class StateError(Exception):
    """The LVM state could not be read; the message says which command failed."""


class Host:
    """File-system questions about the node (replaced by a fake in tests)."""

    def exists(self, path):
        return os.path.exists(path)

    def is_block(self, path):
        try:
            return stat.S_ISBLK(os.stat(path).st_mode)
        except OSError:
            return False

    def realpath(self, path):
        return os.path.realpath(path)

    def read_text(self, path):
        try:
            with open(path) as handle:
                return handle.read()
        except (IOError, OSError):
            return None


def lvm_command(name, activate):
    """``[name]`` plus the activation-off config when ``activate`` is false."""
    return [name] + ([] if activate else list(ACTIVATION_OFF))


def state_report_argv(kind, activate=True):
    """The report argv for "pv", "vg" or "lv" with the fields the planner needs."""
    argv = lvm_command(kind + "s", activate)
    if kind == "lv":
        argv.insert(1, "-a")
    return argv + list(LVM_REPORT_ARGS) + ["-o", ",".join(STATE_FIELDS[kind])]


def blkid_argv(device):
    return ["blkid", "-p", "-o", "export", device]


def blockdev_size_argv(device):
    return ["blockdev", "--getsize64", device]


def parse_blkid_export(text):
    """KEY=VALUE lines of ``blkid -o export`` as a dict (backslash escapes undone)."""
    values = {}
    for line in (text or "").splitlines():
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip()] = re.sub(r"\\(.)", r"\1", value.strip())
    return values


def signature_of(values):
    """The part of a blkid result that says what is on a device:
    TYPE (filesystem, swap, LVM2_member, ...), PTTYPE (partition table), USAGE."""
    return dict((key, values[key]) for key in ("TYPE", "PTTYPE", "USAGE") if values.get(key))


def probe_signature(runner, device):
    """(signature dict, error or None) for ``device`` from ``blkid -p``."""
    result = runner.run(blkid_argv(device))
    if result is None:
        return None, "blkid is not installed; signatures of %s cannot be checked" % device
    if result.rc == BLKID_NOTHING_FOUND:
        return {}, None
    if result.rc != 0:
        return None, "blkid -p %s failed (rc %s): %s" % (device, result.rc, (result.stderr or "").strip()[:300])
    return signature_of(parse_blkid_export(result.stdout)), None


def _report(runner, kind, activate):
    argv = state_report_argv(kind, activate)
    result = runner.run(argv)
    if result is None:
        raise StateError("%s is not installed: the lvm2 package is needed" % argv[0])
    if not result.ok:
        raise StateError("%s failed (rc %s): %s" % (" ".join(argv), result.rc, (result.stderr or "").strip()[:500]))
    try:
        rows = parse_lvm_report(result.stdout, kind)
    except ValueError as exc:
        raise StateError("%s: %s" % (" ".join(argv), exc))
    for row in rows:
        for key in _EXTRA_INT_FIELDS:
            if isinstance(row.get(key), str) and row[key].isdigit():
                row[key] = int(row[key])
    return rows


def is_active(lv):
    """True when lv_attr says the LV is active (5th character 'a')."""
    attr = lv.get("lv_attr") or ""
    return len(attr) > 4 and attr[4] == "a"


def _lv_rows(rows):
    """Rows with ``hidden`` set and brackets stripped; one row per LV."""
    seen = set()
    lvs = []
    for row in rows:
        key = row.get("lv_uuid") or (row.get("vg_name"), row.get("lv_name"))
        if key in seen:
            continue
        seen.add(key)
        name = row.get("lv_name") or ""
        row = dict(row)
        row["hidden"] = name.startswith("[") and name.endswith("]")
        row["lv_name"] = name.strip("[]")
        lvs.append(row)
    return lvs


def _device_mapper(host):
    misc = host.read_text("/proc/misc")
    if misc is None:
        return False
    return any(line.split()[1:2] == ["device-mapper"] for line in misc.splitlines())


def _mount_points(host, lvs):
    text = host.read_text("/proc/self/mountinfo")
    mounts = parse_mountinfo(text) if text else []
    found = {}
    for lv in lvs:
        if lv["hidden"]:
            continue
        names = set(name for name in (lv.get("lv_path"), lv.get("lv_dm_path")) if name)
        names.update(host.realpath(name) for name in list(names))
        for mount in mounts:
            if mount["source"] in names:
                found["%s/%s" % (lv["vg_name"], lv["lv_name"])] = mount["mountPoint"]
                break
    return found


def read_state(runner, layout, activate=True, host=None):
    """The state dict for ``layout`` (a Layout); raises StateError."""
    host = host or Host()
    version = None
    result = runner.run(["lvm", "version"])
    if result is not None:
        version = parse_lvm_version(result.stdout)
    pvs = _report(runner, "pv", activate)
    vgs = _report(runner, "vg", activate)
    lvs = _lv_rows(_report(runner, "lv", activate))
    for pv in pvs:
        pv["realpath"] = host.realpath(pv["pv_name"]) if pv.get("pv_name", "").startswith("/") else pv.get("pv_name")
    pv_paths = set(pv["realpath"] for pv in pvs)

    devices = {}
    for device in layout.devices():
        info = {"path": device, "exists": host.exists(device), "block": False, "realpath": None,
                "size": None, "signature": None, "probe_error": None}
        if info["exists"]:
            info["block"] = host.is_block(device)
            info["realpath"] = host.realpath(device)
        if info["exists"] and info["block"] and info["realpath"] not in pv_paths:
            size = runner.run(blockdev_size_argv(device))
            if size is not None and size.ok and size.stdout.strip().isdigit():
                info["size"] = int(size.stdout.strip())
            info["signature"], info["probe_error"] = probe_signature(runner, device)
        devices[device] = info

    wanted = set((volume["volume_group"], volume["lv_name"]) for volume in layout.volumes)
    lv_signatures = {}
    for lv in lvs:
        if lv["hidden"] or (lv["vg_name"], lv["lv_name"]) not in wanted or not is_active(lv):
            continue
        path = lv.get("lv_path") or "/dev/%s/%s" % (lv["vg_name"], lv["lv_name"])
        signature, error = probe_signature(runner, path)
        lv_signatures["%s/%s" % (lv["vg_name"], lv["lv_name"])] = {"signature": signature, "probe_error": error}

    return {
        "lvm_version": version,
        "device_mapper": _device_mapper(host),
        "pvs": pvs,
        "vgs": vgs,
        "lvs": lvs,
        "devices": devices,
        "lv_signatures": lv_signatures,
        "mounts": _mount_points(host, lvs),
    }


def summarize(state, vg_names):
    """YAML-friendly view of the named VGs and their visible LVs, for diffs:
    {volume_groups: {vg: {size, free, pvs}}, logical_volumes: {vg/lv: {size, attr}}}."""
    groups = {}
    volumes = {}
    names = set(vg_names)
    for vg in state.get("vgs", []):
        if vg["vg_name"] in names:
            groups[vg["vg_name"]] = {
                "size": vg.get("vg_size"), "free": vg.get("vg_free"),
                "pvs": sorted(pv["pv_name"] for pv in state.get("pvs", []) if pv.get("vg_name") == vg["vg_name"]),
            }
    for lv in state.get("lvs", []):
        if lv["vg_name"] in names and not lv.get("hidden"):
            volumes["%s/%s" % (lv["vg_name"], lv["lv_name"])] = {"size": lv.get("lv_size"), "attr": lv.get("lv_attr")}
    return {"volume_groups": groups, "logical_volumes": volumes}
