# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LVM part of the storage layout, normalized and checked.

``normalize_layout`` takes the module's options (the ``agent_machine_storage``
structure of docs/storage.md) and returns a Layout plus the refusals that
need no host state: invalid names, unreadable sizes, duplicates and
contradictions. Every refusal names the field it is about.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.sizes import SizeError, parse_size

TMPFS_CLASSES = ("agent-cache-hot",)
VOLUME_CLASSES = ("agent-models", "agent-cache-hot", "agent-cache-warm", "agent-cache-cold",
                  "agent-scratch", "agent-evidence", "agent-artifacts")
FILESYSTEMS = ("xfs", "ext4")

NAME_MAX = 127
_NAME_CHARS = re.compile(r"^[A-Za-z0-9+_.-]+$")
# Substrings LVM keeps for its internal LVs, and prefixes it refuses.
LV_RESERVED_SUBSTRINGS = ("_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_imeta", "_iorig", "_mimage",
                          "_mlog", "_pmspare", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata", "_vorigin",
                          "_wcorig")
LV_RESERVED_PREFIXES = ("pvmove", "snapshot")


def lvm_name_problem(name, kind="vg"):
    """Why ``name`` is not a valid VG or LV name, or None when it is."""
    if not isinstance(name, str) or name == "":
        return "must be a non-empty string"
    if len(name) > NAME_MAX:
        return "is %d characters long; LVM allows at most %d" % (len(name), NAME_MAX)
    if name in (".", ".."):
        return "%r is reserved" % name
    if name.startswith("-"):
        return "%r must not start with '-'" % name
    if not _NAME_CHARS.match(name):
        bad = sorted(set(ch for ch in name if not re.match(r"[A-Za-z0-9+_.-]", ch)))
        return "%r has characters LVM does not allow (%s); use A-Z a-z 0-9 + _ . -" % (name, " ".join(repr(c) for c in bad))
    if kind == "lv":
        for prefix in LV_RESERVED_PREFIXES:
            if name.startswith(prefix):
                return "%r starts with %r, which LVM reserves" % (name, prefix)
        for part in LV_RESERVED_SUBSTRINGS:
            if part in name:
                return "%r contains %r, which LVM reserves for internal volumes" % (name, part)
    return None


def default_lv_name(volume_class):
    return volume_class.replace("-", "_")


class Layout:
    """Normalized layout: ``volume_groups`` and ``volumes`` are lists of dicts.

    Volume group: name, devices, remove_devices, thin_pool (None or dict of
    name, size (SizeSpec), overprovision_ratio), state, field.
    Volume: volume_class, volume_group, lv_name, size (SizeSpec), thin,
    filesystem, mount_point, field. ``ignored`` lists the tmpfs volumes.
    """

    def __init__(self, volume_groups, volumes, ignored):
        self.volume_groups = volume_groups
        self.volumes = volumes
        self.ignored = ignored

    def vg(self, name):
        for group in self.volume_groups:
            if group["name"] == name:
                return group
        return None

    def devices(self):
        """Every device path the layout names (listed and to remove)."""
        seen = []
        for group in self.volume_groups:
            for device in group["devices"] + group["remove_devices"]:
                if device not in seen:
                    seen.append(device)
        return seen


def _size(value, field, refusals):
    try:
        return parse_size(value)
    except SizeError as exc:
        refusals.append("%s: %s" % (field, exc))
        return None


def _device_list(values, field, refusals):
    devices = []
    for index, device in enumerate(values or []):
        where = "%s[%d]" % (field, index)
        if not isinstance(device, str) or not device.startswith("/"):
            refusals.append("%s: %r is not an absolute device path" % (where, device))
            continue
        if device in devices:
            refusals.append("%s: %s is listed twice" % (where, device))
            continue
        devices.append(device)
    return devices


def _volume_group(index, raw, refusals):
    field = "volume_groups[%d]" % index
    name = raw.get("name")
    problem = lvm_name_problem(name, "vg")
    if problem:
        refusals.append("%s.name: %s" % (field, problem))
    devices = _device_list(raw.get("devices"), field + ".devices", refusals)
    remove = _device_list(raw.get("remove_devices"), field + ".remove_devices", refusals)
    for device in remove:
        if device in devices:
            refusals.append("%s.remove_devices: %s is also in devices; a device is either kept or removed" % (field, device))
    state = raw.get("state") or "present"
    thin_pool = None
    raw_pool = raw.get("thin_pool")
    if raw_pool:
        pool_field = field + ".thin_pool"
        pool_name = raw_pool.get("name")
        problem = lvm_name_problem(pool_name, "lv")
        if problem:
            refusals.append("%s.name: %s" % (pool_field, problem))
        size = None
        if raw_pool.get("size") is None:
            refusals.append("%s.size: required" % pool_field)
        else:
            size = _size(raw_pool.get("size"), pool_field + ".size", refusals)
        ratio = raw_pool.get("overprovision_ratio")
        if ratio is not None and ratio <= 0:
            refusals.append("%s.overprovision_ratio: must be greater than 0, got %s" % (pool_field, ratio))
        thin_pool = {"name": pool_name, "size": size, "overprovision_ratio": ratio, "field": pool_field}
    return {"name": name, "devices": devices, "remove_devices": remove, "thin_pool": thin_pool,
            "state": state, "field": field}


def _volume(index, raw, refusals):
    field = "volumes[%d]" % index
    volume_class = raw.get("volume_class")
    group = raw.get("volume_group")
    if not group:
        refusals.append("%s.volume_group: required for volume class %s (only agent-cache-hot is tmpfs)" % (field, volume_class))
    else:
        problem = lvm_name_problem(group, "vg")
        if problem:
            refusals.append("%s.volume_group: %s" % (field, problem))
    lv_name = raw.get("lv_name") or default_lv_name(volume_class or "")
    problem = lvm_name_problem(lv_name, "lv")
    if problem:
        refusals.append("%s.lv_name: %s" % (field, problem))
    size = None
    if raw.get("size") is None:
        refusals.append("%s.size: required for volume class %s" % (field, volume_class))
    else:
        size = _size(raw.get("size"), field + ".size", refusals)
    thin = bool(raw.get("thin"))
    if thin and size is not None and size.is_percent and size.base == "FREE":
        refusals.append("%s.size: %s: a thin volume has a virtual size; %%FREE has no meaning for it (use bytes, units or %%VG)"
                        % (field, size.text))
    filesystem = raw.get("filesystem")
    if filesystem is not None and filesystem not in FILESYSTEMS:
        refusals.append("%s.filesystem: %r is not one of %s" % (field, filesystem, ", ".join(FILESYSTEMS)))
    return {"volume_class": volume_class, "volume_group": group, "lv_name": lv_name, "size": size, "thin": thin,
            "filesystem": filesystem, "mount_point": raw.get("mount_point"), "field": field}


def normalize_layout(volume_groups, volumes):
    """(Layout, refusals) from the module's ``volume_groups`` and ``volumes``."""
    refusals = []
    groups = [_volume_group(index, raw or {}, refusals) for index, raw in enumerate(volume_groups or [])]
    lvm_volumes = []
    ignored = []
    for index, raw in enumerate(volumes or []):
        raw = raw or {}
        if raw.get("volume_class") in TMPFS_CLASSES:
            ignored.append({"field": "volumes[%d]" % index, "volume_class": raw.get("volume_class")})
            continue
        lvm_volumes.append(_volume(index, raw, refusals))

    by_name = {}
    owner_of_device = {}
    for group in groups:
        if group["name"] in by_name:
            refusals.append("%s.name: volume group %s is already described in %s"
                            % (group["field"], group["name"], by_name[group["name"]]["field"]))
            continue
        by_name[group["name"]] = group
        for device in group["devices"]:
            if device in owner_of_device:
                refusals.append("%s.devices: %s is also listed for volume group %s"
                                % (group["field"], device, owner_of_device[device]))
            else:
                owner_of_device[device] = group["name"]
        if group["state"] == "absent" and group["thin_pool"]:
            refusals.append("%s.thin_pool: volume group %s has state: absent; a thin pool cannot be kept in it"
                            % (group["field"], group["name"]))

    seen_lvs = {}
    for group in groups:
        pool = group["thin_pool"]
        if pool and pool["name"]:
            seen_lvs[(group["name"], pool["name"])] = pool["field"]
    for volume in lvm_volumes:
        group = by_name.get(volume["volume_group"])
        key = (volume["volume_group"], volume["lv_name"])
        if key in seen_lvs:
            refusals.append("%s.lv_name: %s/%s is already used by %s" % (volume["field"], key[0], key[1], seen_lvs[key]))
        else:
            seen_lvs[key] = volume["field"]
        if group is not None and group["state"] == "absent":
            refusals.append("%s.volume_group: volume group %s has state: absent; volume %s cannot be kept in it"
                            % (volume["field"], group["name"], volume["volume_class"]))
        if volume["thin"] and volume["volume_group"] and (group is None or not group["thin_pool"]):
            refusals.append("%s.thin: volume %s is thin, but volume group %s has no thin_pool in the layout"
                            % (volume["field"], volume["volume_class"], volume["volume_group"]))
    return Layout(groups, lvm_volumes, ignored), refusals
