# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Observe each requested volume and report it as a StorageReceipt.

A receipt states what is there, never what was asked for: the backend,
filesystem, mount and ownership come from the kernel, LVM and the
filesystem. How the observation differs from the request is reported next
to the receipts, one reason per difference, because the StorageReceipt
contract has no field for it. A volume of which nothing exists (no LV, no
mount, no directory) gets no receipt at all: there is nothing to attest.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import re

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.document import machine_id as machine_id_from_hostname
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.host import _hostname
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import lvm_report_argv, parse_lvm_report
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.devices import (
    BlockDevices, blkid_argv, dm_name, luks_method, parse_blkid_export,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.fstab import entries_for, parse_fstab
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.mounts import (
    Mounts, effective_options, option_in_effect, project_quota_enforced, quota_options, tmpfs_size,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.paths import Names, ownership, walk_path

SPEC_VERSION = "0.1.0"
MACHINE_ID = re.compile(r"^urn:srcos:agent-machine:machine:([a-z0-9][a-z0-9-]*)$")
RECEIPT_ID_PREFIX = "urn:srcos:agent-machine:storage-receipt:"
LVM_BACKENDS = ("lvm-linear", "lvm-thin")
# What this step did to the volume: it only looks.
OUTCOME = "unchanged"
# What lvm_layout's plan did to a logical volume, as a StorageReceipt outcome.
PLAN_OUTCOMES = (("lvcreate", "created"), ("lvextend", "extended"))
_FS_TYPE = re.compile(r"[^a-z0-9._-]")


def outcomes_from_plan(plan, check_mode=False):
    """{"vg/lv": outcome} from the plan lvm_layout returned (its ``plan`` key):
    created, extended, or planned when the plan was only a check-mode dry run."""
    found = {}
    for step in plan or []:
        for action, outcome in PLAN_OUTCOMES:
            if step.get("action") == action and step.get("target"):
                found.setdefault(step["target"], "planned" if check_mode else outcome)
    return found


def default_machine_id(ctx):
    """The machine id the probe gives this host (from its hostname)."""
    return machine_id_from_hostname(_hostname(ctx)[0])


def check_machine_id(machine):
    """ValueError naming the option when ``machine`` is not a machine id."""
    if not isinstance(machine, str) or not MACHINE_ID.match(machine):
        raise ValueError("machine_id: %r is not urn:srcos:agent-machine:machine:<slug>" % (machine,))
    return machine


def receipt_id(machine, volume_class):
    """``urn:srcos:agent-machine:storage-receipt:<machine slug>-<volume class>``."""
    return RECEIPT_ID_PREFIX + MACHINE_ID.match(check_machine_id(machine)).group(1) + "-" + volume_class


def timestamp(now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Node:
    """Everything read once and shared by the volumes: mounts, fstab, LVM, devices, names."""

    def __init__(self, ctx):
        self.ctx = ctx
        text = ctx.read_text("/proc/self/mountinfo")
        if text is None:
            ctx.warn("/proc/self/mountinfo is missing or unreadable: no volume can be seen as mounted")
        self.mounts = Mounts(text)
        fstab_text = ctx.read_text("/etc/fstab")
        self.fstab_available = fstab_text is not None
        self.fstab = parse_fstab(fstab_text)
        self.devices = BlockDevices(ctx)
        self.names = Names(ctx)
        self._lvs = None
        self._lvs_read = False

    def logical_volumes(self):
        """Rows of ``lvs``; None when LVM could not be asked (not installed,
        failed, or commands are off for this root)."""
        if self._lvs_read:
            return self._lvs
        self._lvs_read = True
        argv = lvm_report_argv("lv")
        if not self.ctx.commands_enabled:
            self.ctx.warn("lvs was not run: root %s is not the running machine; LVM is read from device-mapper only"
                          % self.ctx.root)
            return None
        result = self.ctx.run(argv)
        if result is None:
            self.ctx.warn("lvs is not installed; LVM is read from device-mapper only")
            return None
        if not result.ok:
            self.ctx.warn("%s failed (rc %s): %s" % (" ".join(argv), result.rc, (result.stderr or "").strip()[:300]))
            return None
        try:
            self._lvs = parse_lvm_report(result.stdout, "lv")
        except ValueError as exc:
            self.ctx.warn("lvs: %s" % exc)
        return self._lvs

    def blkid(self, device):
        """``blkid -p -o export`` of a device as a dict; {} when nothing was
        found, None when blkid could not run."""
        if not self.ctx.commands_enabled:
            return None
        result = self.ctx.run(blkid_argv(device))
        if result is None:
            self.ctx.warn("blkid is not installed; %s was not probed" % device)
            return None
        if result.rc == 2 and not (result.stderr or "").strip():
            return {}
        if not result.ok:
            self.ctx.warn("blkid -p %s failed (rc %s): %s" % (device, result.rc, (result.stderr or "").strip()[:300]))
            return None
        return parse_blkid_export(result.stdout)


def _lvm_row(rows, vg_name, lv_name):
    for row in rows or []:
        if row.get("vg_name") == vg_name and row.get("lv_name") == lv_name:
            return row
    return None


def _row_for_device(node, rows, kernel, source):
    name = node.devices.dm_name_of(kernel) if kernel else None
    for row in rows or []:
        if not row.get("vg_name") or not row.get("lv_name"):
            continue
        mapped = dm_name(row["vg_name"], row["lv_name"])
        if mapped == name or source in ("/dev/mapper/" + mapped, "/dev/%s/%s" % (row["vg_name"], row["lv_name"])):
            return row
    return None


def _lvm_from_row(row):
    attr = row.get("lv_attr") or ""
    thin = "thin" in (row.get("lv_layout") or "").split(",") or bool(row.get("pool_lv"))
    return {
        "vg_name": row["vg_name"],
        "lv_name": row["lv_name"],
        "thin_pool": row.get("pool_lv") if thin else None,
        "lv_uuid": row.get("lv_uuid"),
        "active": len(attr) > 4 and attr[4] == "a",
        "size": row.get("lv_size"),
        "thin": thin,
    }


class Observation:
    """What was found for one requested volume (plain attributes, no contract names)."""

    def __init__(self, request):
        self.request = request
        self.walk = None
        self.mount = None
        self.holding = None
        self.kernel = None
        self.lvm = None
        self.backend = None
        self.filesystem = None
        self.options = []
        self.blkid = None
        self.capacity = None
        self.ownership = None
        self.encryption = (None, None)
        self.quota = {"enforced": False, "method": None, "limitBytes": None}
        self.fstab = []
        self.notes = []


def _find_lvm(node, obs, req):
    """The LV behind the volume: the mounted one, or the requested one when nothing is mounted."""
    mount = obs.mount
    if mount is not None:
        if mount["fstype"] == "tmpfs":
            return None
        rows = node.logical_volumes() if (obs.kernel or "").startswith("dm-") or req["backend"] in LVM_BACKENDS else None
        row = _row_for_device(node, rows, obs.kernel, mount.get("source"))
        if row is not None:
            return _lvm_from_row(row)
        # The mounted device may sit on an LV (a dm-crypt device opened on it).
        below = node.devices.lvm_below(obs.kernel)
        if below is None:
            return None
        row = _row_for_device(node, rows, below, None)
        if row is not None:
            return _lvm_from_row(row)
        found = node.devices.lvm_of(below)
        found.update(active=True, size=node.devices.size_bytes(below), thin=found["thin_pool"] is not None)
        return found
    if req["backend"] not in LVM_BACKENDS:
        return None
    rows = node.logical_volumes()
    if rows is not None:
        row = _lvm_row(rows, req["volume_group"], req["lv_name"])
        if row is None:
            return None
        found = _lvm_from_row(row)
        obs.kernel = node.devices.dm_devices().get(dm_name(row["vg_name"], row["lv_name"])) if found["active"] else None
        return found
    kernel = node.devices.dm_devices().get(dm_name(req["volume_group"], req["lv_name"]))
    if kernel is None:
        return None
    obs.kernel = kernel
    found = node.devices.lvm_of(kernel)
    if found is not None:
        found.update(active=True, size=node.devices.size_bytes(kernel), thin=found["thin_pool"] is not None)
    return found


def _fs_type(name):
    return _FS_TYPE.sub("-", (name or "").lower())[:32] or None


def _device_path(lvm):
    return "/dev/%s/%s" % (lvm["vg_name"], lvm["lv_name"])


def observe(node, req):
    """Look at one normalized volume request."""
    ctx = node.ctx
    obs = Observation(req)
    obs.walk = walk = walk_path(ctx, req["mount_point"])
    if walk.problem:
        ctx.warn("%s: %s" % (req["mount_point"], walk.problem))
    obs.mount = node.mounts.at(walk.resolved)
    obs.fstab = entries_for(node.fstab, (req["mount_point"], walk.resolved))
    if obs.mount is not None:
        obs.kernel = node.devices.kernel_for(node.mounts.device_number(obs.mount), obs.mount.get("source"))
    obs.lvm = _find_lvm(node, obs, req)

    if obs.mount is not None:
        obs.backend = "tmpfs" if obs.mount["fstype"] == "tmpfs" else (
            ("lvm-thin" if obs.lvm["thin"] else "lvm-linear") if obs.lvm else "directory")
    elif obs.lvm is not None:
        obs.backend = "lvm-thin" if obs.lvm["thin"] else "lvm-linear"
    elif walk.exists:
        obs.backend = "directory"
    else:
        return obs

    if obs.backend == "directory" and obs.mount is None:
        obs.holding = node.mounts.holding(walk.resolved)
        if obs.holding is not None:
            obs.kernel = node.devices.kernel_for(node.mounts.device_number(obs.holding), obs.holding.get("source"))
    in_effect = obs.mount or obs.holding
    if in_effect is not None:
        obs.options = effective_options(in_effect)

    _observe_filesystem(node, obs)
    _observe_capacity(node, obs)
    if walk.exists:
        obs.ownership = ownership(ctx, node.names, walk.resolved, walk.final_stat)
    _observe_encryption(node, obs)
    _observe_quota(obs)
    return obs


def _observe_filesystem(node, obs):
    in_effect = obs.mount or obs.holding
    if in_effect is not None:
        uuid = node.devices.filesystem_uuid(obs.kernel)
        if uuid is None and obs.lvm is not None and obs.mount is not None and obs.kernel == node.devices.lvm_below(obs.kernel):
            # No udev link: ask blkid about the LV itself (not about a foreign disk holding a directory).
            obs.blkid = node.blkid(_device_path(obs.lvm))
            uuid = (obs.blkid or {}).get("UUID")
        obs.filesystem = {"type": _fs_type(in_effect["fstype"]), "uuid": uuid, "created": False}
        return
    if obs.lvm is None or not obs.lvm["active"]:
        if obs.lvm is not None:
            obs.notes.append("the LV is inactive: its filesystem cannot be read")
        return
    obs.blkid = node.blkid(_device_path(obs.lvm))
    kind = (obs.blkid or {}).get("TYPE")
    if kind and kind != "crypto_LUKS":
        obs.filesystem = {"type": _fs_type(kind), "uuid": obs.blkid.get("UUID"), "created": False}


def _observe_capacity(node, obs):
    ctx, walk = node.ctx, obs.walk
    if ctx.live and walk.exists and (obs.mount is not None or obs.backend == "directory"):
        try:
            stats = os.statvfs(ctx.path(walk.resolved))
        except OSError as exc:
            ctx.warn("cannot stat the filesystem of %s: %s" % (walk.resolved, exc.strerror or exc))
        else:
            obs.capacity = {
                "sizeBytes": stats.f_blocks * stats.f_frsize,
                "freeBytes": stats.f_bavail * stats.f_frsize,
                "usedBytes": (stats.f_blocks - stats.f_bfree) * stats.f_frsize,
            }
            return
    size = None
    if obs.lvm is not None:
        size = obs.lvm.get("size")
    elif obs.backend == "tmpfs":
        size = tmpfs_size(obs.options)
    if size is None and obs.kernel:
        size = node.devices.size_bytes(obs.kernel)
    if size is not None:
        obs.capacity = {"sizeBytes": size, "freeBytes": None, "usedBytes": None}


def _observe_encryption(node, obs):
    method, _device = node.devices.encryption(obs.kernel)
    if method is None and obs.kernel and obs.mount is None and obs.lvm is not None:
        for holder in node.devices.holders(obs.kernel):
            method, _device = node.devices.encryption(holder)
            if method:
                break
    if method is None and (obs.blkid or {}).get("TYPE") == "crypto_LUKS":
        method = luks_method(obs.blkid.get("VERSION"))
    obs.encryption = (method, _device)


def _observe_quota(obs):
    if obs.backend in LVM_BACKENDS:
        obs.quota = {"enforced": True, "method": "lv-size", "limitBytes": obs.lvm.get("size")}
    elif obs.backend == "tmpfs":
        size = tmpfs_size(obs.options)
        if size is not None:
            obs.quota = {"enforced": True, "method": "tmpfs-size", "limitBytes": size}
    elif project_quota_enforced(obs.options) and obs.filesystem and obs.filesystem["type"] in ("xfs", "ext4"):
        obs.quota = {"enforced": True, "method": obs.filesystem["type"] + "-project", "limitBytes": None}


def build_receipt(obs, machine, recorded_at, outcome=OUTCOME):
    """The StorageReceipt document (camelCase dict) of an observed volume."""
    req = obs.request
    lvm = None
    if obs.lvm is not None:
        lvm = {
            "vgName": obs.lvm["vg_name"],
            "lvName": obs.lvm["lv_name"],
            "thinPool": obs.lvm["thin_pool"],
            "lvUuid": obs.lvm["lv_uuid"],
            "devicePath": _device_path(obs.lvm),
            "active": obs.lvm["active"],
        }
    method = obs.encryption[0]
    return {
        "specVersion": SPEC_VERSION,
        "kind": "StorageReceipt",
        "id": receipt_id(machine, req["volume_class"]),
        "agentMachineId": machine,
        "agentPodId": None,
        "volumeClass": req["volume_class"],
        "backend": obs.backend,
        "lvm": lvm,
        "filesystem": obs.filesystem,
        "mount": {
            "path": obs.walk.resolved if obs.mount is not None else req["mount_point"],
            "mounted": obs.mount is not None,
            "options": list(obs.options),
            "inFstab": bool(obs.fstab),
        },
        "capacity": obs.capacity,
        "ownership": obs.ownership,
        "checks": {
            "worldWritable": bool(obs.walk.world_writable),
            "symlinkInPath": bool(obs.walk.symlinks),
        },
        "encryption": {"observed": method is not None, "method": method},
        "quota": dict(obs.quota),
        "outcome": outcome,
        "recordedAt": recorded_at,
    }


def _reason(code, field, message):
    return {"code": code, "field": field, "message": message}


def _describe(obs):
    if obs.lvm is not None:
        return "%s/%s" % (obs.lvm["vg_name"], obs.lvm["lv_name"])
    mount = obs.mount or obs.holding
    if mount is not None and mount.get("source"):
        return "%s on %s" % (mount["fstype"], mount["source"])
    return "a directory"


def mismatches(node, obs):
    """How the observed volume differs from the request: list of {code, field, message}."""
    req = obs.request
    field = req["field"]
    path = req["mount_point"]
    found = []
    if obs.backend is None:
        wanted = ("LV %s/%s" % (req["volume_group"], req["lv_name"])) if req["backend"] in LVM_BACKENDS else path
        return [_reason("volume-missing", field, "%s: nothing found: no %s, no mount and no directory at %s"
                        % (req["volume_class"], wanted, path))]
    if obs.backend != req["backend"]:
        where = "thin" if {obs.backend, req["backend"]} == set(LVM_BACKENDS) else "volume_group"
        detail = _describe(obs)
        if req["backend"] in LVM_BACKENDS and obs.lvm is None and node.logical_volumes() is None:
            detail += " (LVM could not be read)"
        found.append(_reason("backend-mismatch", "%s.%s" % (field, where) if req["backend"] != "tmpfs" else field,
                             "%s: %s requested, %s observed (%s)" % (path, req["backend"], obs.backend, detail)))
    if req["backend"] in LVM_BACKENDS and obs.lvm is not None and (
            obs.lvm["vg_name"], obs.lvm["lv_name"]) != (req["volume_group"], req["lv_name"]):
        found.append(_reason("lv-mismatch", field + ".lv_name", "%s: LV %s/%s requested, %s/%s observed" % (
            path, req["volume_group"], req["lv_name"], obs.lvm["vg_name"], obs.lvm["lv_name"])))
    if req["backend"] != "directory" and obs.mount is None:
        why = " (the LV is inactive)" if obs.lvm is not None and not obs.lvm["active"] else ""
        found.append(_reason("not-mounted", field + ".mount_point", "%s is not mounted%s" % (path, why)))
    found.extend(_filesystem_mismatches(obs))
    found.extend(_option_mismatches(obs))
    found.extend(_fstab_mismatches(node, obs))
    found.extend(_ownership_mismatches(node, obs))
    found.extend(_size_mismatches(obs))
    if obs.walk.world_writable:
        found.append(_reason("world-writable", field + ".mount_point", "%s: writable by others without the sticky bit: %s"
                             % (path, ", ".join(obs.walk.world_writable))))
    if obs.walk.symlinks:
        found.append(_reason("symlink-in-path", field + ".mount_point", "%s: the path goes through symbolic link(s) %s"
                             % (path, ", ".join(obs.walk.symlinks))))
    return found


def _filesystem_mismatches(obs):
    req = obs.request
    wanted = req["filesystem"]
    if not wanted or req["backend"] == "tmpfs" or obs.backend == "directory":
        return []
    seen = obs.filesystem["type"] if obs.filesystem else None
    if seen == wanted:
        return []
    return [_reason("filesystem-mismatch", req["field"] + ".filesystem", "%s: %s requested, %s observed" % (
        req["mount_point"], wanted, seen or "no filesystem"))]


def _option_mismatches(obs):
    req = obs.request
    if obs.mount is None and obs.holding is None:
        return []
    found = []
    for position, option in enumerate(req["mount_options"]):
        if option_in_effect(option, obs.options) is False:
            found.append(_reason("mount-option-missing", "%s.mount_options[%d]" % (req["field"], position),
                                 "%s: %s requested, not in effect (%s)" % (
                                     req["mount_point"], option, ",".join(obs.options) or "no options")))
    return found


def _fstab_mismatches(node, obs):
    req = obs.request
    if req["backend"] == "directory":
        return []
    field = req["field"] + ".mount_point"
    if not obs.fstab:
        if not node.fstab_available:
            return [_reason("fstab-missing", field, "%s: /etc/fstab is missing or unreadable" % req["mount_point"])]
        return [_reason("fstab-missing", field, "%s has no /etc/fstab entry: it will not be mounted at boot"
                        % req["mount_point"])]
    found = []
    if len(obs.fstab) > 1:
        found.append(_reason("fstab-duplicate", field, "%s appears %d times in /etc/fstab (lines %s)" % (
            req["mount_point"], len(obs.fstab), ", ".join(str(entry["line"]) for entry in obs.fstab))))
    entry = obs.fstab[-1]
    for position, option in enumerate(req["mount_options"]):
        if option in ("defaults",):
            continue
        canonical = option_in_effect(option, entry["options"])
        if canonical is False or (canonical is None and option not in entry["options"]):
            found.append(_reason("fstab-option-missing", "%s.mount_options[%d]" % (req["field"], position),
                                 "%s: /etc/fstab line %d lacks %s" % (req["mount_point"], entry["line"], option)))
    return found


def _ownership_mismatches(node, obs):
    req = obs.request
    field = req["field"]
    if obs.ownership is None:
        return [_reason("mount-point-missing", field + ".mount_point", "%s does not exist" % req["mount_point"])]
    found = []
    info = obs.walk.final_stat
    for key, kind, number in (("owner", "user", info.st_uid), ("group", "group", info.st_gid)):
        wanted = req[key]
        if wanted is None:
            continue
        wanted_number = node.names.number(kind, wanted)
        if wanted_number != number:
            found.append(_reason("%s-mismatch" % key, "%s.%s" % (field, key), "%s: %s %s requested, %s observed" % (
                req["mount_point"], key, wanted, obs.ownership[key])))
    if req["mode"] is not None and "%04o" % req["mode"] != obs.ownership["mode"]:
        found.append(_reason("mode-mismatch", field + ".mode", "%s: mode %04o requested, %s observed" % (
            req["mount_point"], req["mode"], obs.ownership["mode"])))
    seen_type = obs.ownership["selinuxType"]
    if req["selinux_type"] and seen_type is not None and seen_type != req["selinux_type"]:
        found.append(_reason("selinux-type-mismatch", field + ".selinux_type", "%s: SELinux type %s requested, %s observed"
                             % (req["mount_point"], req["selinux_type"], seen_type)))
    return found


def _size_mismatches(obs):
    req = obs.request
    wanted = req["size_bytes"]
    if wanted is None:
        return []
    if obs.backend in LVM_BACKENDS:
        seen = obs.lvm.get("size")
    elif obs.backend == "tmpfs":
        seen = tmpfs_size(obs.options)
    else:
        return []
    if seen is None or seen >= wanted:
        return []
    return [_reason("size-smaller", req["field"] + ".size", "%s: %d bytes requested, %d observed" % (
        req["mount_point"], wanted, seen))]


def inspect_volumes(ctx, requests, machine=None, now=None, outcomes=None):
    """Observe every normalized request.

    Returns (receipts, volumes): the StorageReceipt dicts of the volumes
    that exist, and for every request its status (present, mismatch,
    missing), receipt id and the reasons for a mismatch.
    """
    node = Node(ctx)
    machine = check_machine_id(machine or default_machine_id(ctx))
    recorded_at = timestamp(now)
    receipts, volumes = [], []
    for req in requests:
        obs = observe(node, req)
        reasons = mismatches(node, obs)
        lv_path = "%s/%s" % (req.get("volume_group"), req.get("lv_name"))
        outcome = (outcomes or {}).get(lv_path, OUTCOME)
        receipt = build_receipt(obs, machine, recorded_at, outcome) if obs.backend is not None else None
        if receipt is not None:
            receipt["mismatches"] = reasons
            receipts.append(receipt)
        status = "missing" if receipt is None else ("mismatch" if reasons else "present")
        volumes.append({
            "volume_class": req["volume_class"],
            "mount_point": req["mount_point"],
            "requested_backend": req["backend"],
            "status": status,
            "receipt_id": receipt["id"] if receipt else None,
            "mismatches": reasons,
            "fstab_entries": len(obs.fstab),
            "world_writable_paths": list(obs.walk.world_writable),
            "symlinks": list(obs.walk.symlinks),
            "quota_options": quota_options(obs.options),
            "notes": list(obs.notes),
        })
    return receipts, volumes
