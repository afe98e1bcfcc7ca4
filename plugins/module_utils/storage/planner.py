# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plan the LVM changes a layout needs, without touching the host.

``plan_layout(layout, state, options)`` is pure: it reads a Layout (see
layout.py) and a state dict (see lvm_state.read_state) and returns a Plan:

- ``actions``: ordered steps, each {action, target, reason, params}; the
  executor turns them into commands;
- ``refusals``: why the layout cannot be applied safely; when there is any,
  nothing may run;
- ``kept``: PVs left in place because the layout does not list them;
- ``skipped``: steps that would have been planned but cannot run here
  (for example mkfs while LVs are not activated), with the reason;
- ``notes``: information (thin overprovisioning, tmpfs volumes ignored);
- ``predicted``: the VG/LV summary expected after the actions (for diffs
  in check mode).

Safety rules: a PV is never created over a signature, never taken from
another VG, never removed unless listed in remove_devices and empty; an LV
never shrinks unless allow_shrink and it carries no signature (xfs never);
a VG holding LVs is never removed unless allow_vg_removal; sizes that do not
fit the free space are refused naming the first volume that does not fit.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.lvm_state import is_active
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.sizes import (
    DEFAULT_EXTENT_SIZE,
    DEFAULT_PE_START,
    describe,
    extents_up,
    percent_extents,
    pv_extents,
)

LV_ACTIONS = ("lvcreate", "lvextend", "lvreduce", "lvchange", "mkfs", "xfs_growfs", "e2fsck", "resize2fs")
NOT_ACTIVATED = "LVs are not activated (activate: false)"
THIN_NEEDS_DM = "thin pools need device-mapper; activate: false cannot create them"
THIN_LV_NEEDS_DM = "thin volumes need device-mapper (their pool must be active); activate: false cannot create or grow them"

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
POOL_CHUNK_START = 64 * KIB
POOL_METADATA_TARGET = 128 * MIB
POOL_METADATA_MIN = 2 * MIB
POOL_METADATA_BYTES_PER_CHUNK = 64


def pool_metadata_bytes(data_bytes):
    """Thin-pool metadata size for ``data_bytes`` of data, following LVM's
    default policy: about 64 bytes per chunk, the chunk size doubled from
    64 KiB until the metadata fits 128 MiB, never below 2 MiB."""
    chunk = POOL_CHUNK_START
    while (data_bytes // chunk) * POOL_METADATA_BYTES_PER_CHUNK > POOL_METADATA_TARGET and chunk < GIB:
        chunk *= 2
    return max(POOL_METADATA_MIN, (data_bytes // chunk) * POOL_METADATA_BYTES_PER_CHUNK)


class Options:
    def __init__(self, activate=True, allow_shrink=False, force_signatures=False, allow_vg_removal=False):
        self.activate = activate
        self.allow_shrink = allow_shrink
        self.force_signatures = force_signatures
        self.allow_vg_removal = allow_vg_removal


class Plan:
    def __init__(self):
        self.actions = []
        self.refusals = []
        self.kept = []
        self.skipped = []
        self.notes = []
        self.predicted = {"volume_groups": {}, "logical_volumes": {}}

    def add(self, action, target, reason, **params):
        self.actions.append({"action": action, "target": target, "reason": reason, "params": params})

    def skip(self, action, target, reason):
        self.skipped.append({"action": action, "target": target, "reason": reason})


def _signature_text(signature):
    parts = []
    if signature.get("TYPE"):
        parts.append(signature["TYPE"])
    if signature.get("PTTYPE"):
        parts.append("%s partition table" % signature["PTTYPE"])
    return " and ".join(parts) or ", ".join("%s=%s" % item for item in sorted(signature.items()))


class _Group:
    """Running view of one VG while its actions are planned."""

    def __init__(self, name, row, field):
        self.name = name
        self.field = field
        self.exists = row is not None
        self.extent = int(row["vg_extent_size"]) if row else DEFAULT_EXTENT_SIZE
        self.total = int(row["vg_extent_count"]) if row else 0
        self.free = int(row["vg_free_count"]) if row else 0
        self.overflow = False
        self.pvs = []
        self.unavailable = False  # removed, or cannot be created: no volumes planned in it
        self.new_lvs = {}
        self.virtual_added = 0
        self.pool_extents = None

    def bytes(self, extents):
        return int(extents) * self.extent


class _Planner:
    def __init__(self, layout, state, options):
        self.layout = layout
        self.state = state
        self.options = options
        self.plan = Plan()
        self.vgs = dict((vg["vg_name"], vg) for vg in state.get("vgs", []))
        self.lvs = dict(((lv["vg_name"], lv["lv_name"]), lv) for lv in state.get("lvs", []) if not lv.get("hidden"))
        self.hidden = [lv for lv in state.get("lvs", []) if lv.get("hidden")]
        self.pv_by_path = {}
        for pv in state.get("pvs", []):
            self.pv_by_path[pv.get("realpath") or pv["pv_name"]] = pv
        self.groups = {}

    # -- helpers -----------------------------------------------------------
    def refuse(self, message):
        if message not in self.plan.refusals:
            self.plan.refusals.append(message)

    def consume(self, group, extents, label):
        """Take ``extents`` from the VG's free space, or refuse naming ``label``."""
        if extents <= 0:
            return True
        if group.overflow:
            return False
        if extents > group.free:
            short = extents - group.free
            self.refuse("%s: needs %s more but volume group %s has %s free after the planned changes: short by %s"
                        % (label, describe(group.bytes(extents)), group.name, describe(group.bytes(group.free)),
                           describe(group.bytes(short))))
            group.overflow = True
            return False
        group.free -= extents
        return True

    def requested_extents(self, group, size):
        """Extents for a SizeSpec: bytes round up, %VG/%FREE round down.
        %FREE counts the free space at this point of the plan."""
        if size.kind == "bytes":
            return extents_up(size.value, group.extent)
        if size.base == "VG":
            return percent_extents(size.value, group.total)
        return percent_extents(size.value, group.free)

    def device_of(self, vg, lv):
        row = self.lvs.get((vg, lv))
        return (row or {}).get("lv_path") or "/dev/%s/%s" % (vg, lv)

    # -- physical volumes and the volume group ----------------------------
    def plan_group(self, spec):
        name = spec["name"]
        row = self.vgs.get(name)
        group = _Group(name, row, spec["field"])
        self.groups[name] = group
        if spec["state"] == "absent":
            self.plan_group_absent(spec, group, row)
            return group
        members = [pv for pv in self.state.get("pvs", []) if pv.get("vg_name") == name]
        group.pvs = [pv["pv_name"] for pv in members]
        listed_paths = set()
        new_devices = []
        for device in spec["devices"]:
            extents = self.plan_device(spec, group, device, listed_paths)
            if extents is not None:
                new_devices.append(device)
                group.total += extents
                group.free += extents
        removals = self.plan_removals(spec, group, listed_paths, len(new_devices))
        for pv in members:
            if (pv.get("realpath") or pv["pv_name"]) not in listed_paths:
                self.plan.kept.append({
                    "target": pv["pv_name"],
                    "reason": "PV of volume group %s not listed in %s.devices: kept (not listed); only remove_devices "
                              "are ever removed" % (name, spec["field"])})
        if not group.exists:
            if not new_devices:
                group.unavailable = True
                if not spec["devices"]:
                    self.refuse("%s.devices: volume group %s does not exist and no devices are listed to create it"
                                % (spec["field"], name))
                return group
            self.plan.add("vgcreate", name, "volume group %s does not exist" % name, vg=name, devices=list(new_devices))
        elif new_devices:
            self.plan.add("vgextend", name, "%s listed for volume group %s but not in it" % (", ".join(new_devices), name),
                          vg=name, devices=list(new_devices))
        group.pvs.extend(self.state["devices"][device].get("realpath") or device for device in new_devices)
        for pv, reason in removals:
            self.plan.add("vgreduce", pv["pv_name"], reason, vg=name, device=pv["pv_name"])
            group.pvs.remove(pv["pv_name"])
        return group

    def plan_device(self, spec, group, device, listed_paths):
        """Check one listed device; plan wipefs/pvcreate; return the extents it
        adds to the VG, or None when it adds nothing (member already, or refused)."""
        field = spec["field"] + ".devices"
        info = self.state.get("devices", {}).get(device) or {"exists": False}
        if not info.get("exists"):
            self.refuse("%s: device %s does not exist" % (field, device))
            return None
        if not info.get("block"):
            self.refuse("%s: %s is not a block device" % (field, device))
            return None
        path = info.get("realpath") or device
        listed_paths.add(path)
        pv = self.pv_by_path.get(path)
        if pv is not None:
            owner = pv.get("vg_name") or ""
            if owner == spec["name"]:
                return None
            if owner:
                self.refuse("%s: %s is a PV of volume group %s; it is never taken from another volume group"
                            % (field, device, owner))
                return None
            pe_start = pv.get("pe_start") or DEFAULT_PE_START
            return pv_extents(pv.get("pv_size") or pv.get("dev_size"), group.extent, pe_start)
        signature = info.get("signature")
        error = info.get("probe_error")
        if error:
            if not self.options.force_signatures:
                self.refuse("%s: %s: its signatures could not be checked (%s); refusing to create a PV on it "
                            "(force_signatures: true wipes it regardless)" % (field, device, error))
                return None
            self.plan.add("wipefs", device, "force_signatures: signatures could not be checked (%s); wiping before "
                          "pvcreate destroys whatever is on the device" % error, device=device)
        elif signature:
            if not self.options.force_signatures:
                self.refuse("%s: %s carries a %s signature; creating a PV would destroy it (force_signatures: true "
                            "wipes it)" % (field, device, _signature_text(signature)))
                return None
            self.plan.add("wipefs", device, "force_signatures: wipes the %s signature (destroys its data)"
                          % _signature_text(signature), device=device)
        if info.get("size") is None:
            self.refuse("%s: the size of %s could not be read (blockdev --getsize64)" % (field, device))
            return None
        self.plan.add("pvcreate", device, "%s is not a PV yet and carries no signature%s" % (
            device, " left after wipefs" if (signature or error) else ""), device=device)
        return pv_extents(info["size"], group.extent, DEFAULT_PE_START)

    def plan_removals(self, spec, group, listed_paths, new_count):
        field = spec["field"] + ".remove_devices"
        removals = []
        for device in spec["remove_devices"]:
            info = self.state.get("devices", {}).get(device) or {}
            path = info.get("realpath") or device
            pv = self.pv_by_path.get(path)
            if pv is None or pv.get("vg_name") != spec["name"]:
                self.plan.skip("vgreduce", device, "%s is not a PV of volume group %s; nothing to remove"
                               % (device, spec["name"]))
                continue
            listed_paths.add(path)
            allocated = int(pv.get("pv_pe_alloc_count") or 0)
            if allocated:
                self.refuse("%s: %s holds %d allocated extents (%s) of volume group %s; only empty PVs are removed "
                            "(move the data off it first, e.g. with pvmove)"
                            % (field, device, allocated, describe(pv.get("pv_used") or group.bytes(allocated)),
                               spec["name"]))
                continue
            removals.append((pv, "listed in %s and holds no allocated extents" % field))
        if removals and len(group.pvs) + new_count == len(removals):
            self.refuse("%s: removing %s would leave volume group %s without PVs; use state: absent to remove the "
                        "volume group" % (field, ", ".join(pv["pv_name"] for pv, _reason in removals), spec["name"]))
            return []
        for pv, _reason in removals:
            count = int(pv.get("pv_pe_count") or 0)
            group.total -= count
            group.free -= count
        return removals

    def plan_group_absent(self, spec, group, row):
        if row is None:
            return
        group.unavailable = True
        count = int(row.get("lv_count") or 0)
        if count and not self.options.allow_vg_removal:
            names = sorted(lv["lv_name"] for lv in self.lvs.values() if lv["vg_name"] == spec["name"])
            self.refuse("%s.state: volume group %s holds %d logical volume(s) (%s); removing it would destroy them "
                        "(allow_vg_removal: true removes it)" % (spec["field"], spec["name"], count, ", ".join(names)))
            return
        reason = ("state: absent; allow_vg_removal: removes its %d logical volume(s) and their data" % count
                  if count else "state: absent; the volume group holds no logical volumes")
        self.plan.add("vgremove", spec["name"], reason, vg=spec["name"])
        for pv in self.state.get("pvs", []):
            if pv.get("vg_name") == spec["name"]:
                self.plan.kept.append({"target": pv["pv_name"],
                                       "reason": "PV label stays after vgremove of %s (an unused PV)" % spec["name"]})

    # -- thin pool -----------------------------------------------------------
    def plan_pool(self, spec, group):
        pool = spec["thin_pool"]
        if not pool or pool["size"] is None or group.unavailable:
            return
        target = "%s/%s" % (group.name, pool["name"])
        label = "%s (thin pool %s)" % (pool["field"], target)
        existing = self.lvs.get((group.name, pool["name"]))
        size = pool["size"]
        if existing is not None:
            attr = existing.get("lv_attr") or ""
            if not attr.startswith("t"):
                self.refuse("%s: %s exists but is not a thin pool (lv_attr %s)" % (pool["field"], target, attr))
                return
            current = extents_up(existing.get("lv_size") or 0, group.extent)
            if size.is_percent and size.base == "FREE":
                self.plan.notes.append("%s: size %s applies when the pool is created; %s exists with %s and is kept"
                                       % (label, size.text, target, describe(group.bytes(current))))
                return
            wanted = self.requested_extents(group, size)
            if wanted < current:
                self.refuse("%s: requested %s is smaller than current %s; thin pools never shrink"
                            % (label, describe(group.bytes(wanted)), describe(group.bytes(current))))
            elif wanted > current:
                if not self.options.activate:
                    self.refuse("%s: %s" % (label, THIN_NEEDS_DM.replace("create them", "create or grow them")))
                    return
                if self.consume(group, wanted - current, label):
                    self.plan.add("lvextend", target, "thin pool grows from %s to %s" % (
                        describe(group.bytes(current)), describe(group.bytes(wanted))),
                        vg=group.name, lv=pool["name"], size=group.bytes(wanted))
            return
        if not self.options.activate:
            self.refuse("%s: %s" % (label, THIN_NEEDS_DM))
            return
        spare = max([extents_up(lv.get("lv_size") or 0, group.extent) for lv in self.hidden
                     if lv["vg_name"] == group.name and lv["lv_name"].endswith("_pmspare")] or [0])
        if size.is_percent and size.base == "FREE":
            available = self.requested_extents(group, size)
            meta = extents_up(pool_metadata_bytes(group.bytes(available)), group.extent)
            data = available - meta - max(0, meta - spare)
        else:
            data = self.requested_extents(group, size)
            meta = extents_up(pool_metadata_bytes(group.bytes(data)), group.extent)
        if data <= 0:
            self.refuse("%s: size %s leaves no room for pool data in volume group %s" % (label, size.text, group.name))
            return
        needed = data + meta + max(0, meta - spare)
        if self.consume(group, needed, label):
            self.plan.add("lvcreate", target, "thin pool does not exist: %s of data, %s of metadata%s" % (
                describe(group.bytes(data)), describe(group.bytes(meta)),
                " plus a metadata spare of the same size" if meta > spare else ""),
                vg=group.name, lv=pool["name"], type="thin-pool", size=group.bytes(data),
                metadata_size=group.bytes(meta))
        group.pool_extents = data

    # -- logical volumes -----------------------------------------------------
    def plan_volume(self, volume, group, pool_spec):
        vg, name = volume["volume_group"], volume["lv_name"]
        target = "%s/%s" % (vg, name)
        label = "%s (%s, %s)" % (volume["field"], volume["volume_class"], target)
        existing = self.lvs.get((vg, name))
        size = volume["size"]
        if size is None:
            return
        if existing is None:
            self.create_volume(volume, group, pool_spec, target, label)
            return
        attr = existing.get("lv_attr") or ""
        if volume["thin"] and not attr.startswith("V"):
            self.refuse("%s: %s exists but is not a thin volume (lv_attr %s); converting is not supported"
                        % (label, target, attr))
            return
        if not volume["thin"] and attr[:1] in ("V", "t"):
            self.refuse("%s: %s exists as a thin %s (lv_attr %s) but the layout asks for a thick volume"
                        % (label, target, "pool" if attr.startswith("t") else "volume", attr))
            return
        if volume["thin"] and pool_spec and existing.get("pool_lv") != pool_spec["name"]:
            self.refuse("%s: %s is in thin pool %s, not %s; moving is not supported"
                        % (label, target, existing.get("pool_lv"), pool_spec["name"]))
            return
        current = extents_up(existing.get("lv_size") or 0, group.extent)
        if size.is_percent and size.base == "FREE":
            self.plan.notes.append("%s: size %s applies when the volume is created; %s exists with %s and is kept"
                                   % (label, size.text, target, describe(group.bytes(current))))
            self.existing_filesystem(volume, existing, target, label, grown=False)
            return
        wanted = self.requested_extents(group, size)
        if wanted == current:
            self.existing_filesystem(volume, existing, target, label, grown=False)
        elif wanted > current:
            if volume["thin"]:
                if not self.options.activate:
                    self.refuse("%s: %s" % (label, THIN_LV_NEEDS_DM))
                    return
                self.note_virtual(group, group.bytes(wanted - current))
            elif not self.consume(group, wanted - current, label):
                return
            self.activate_if_needed(existing, target)
            self.plan.add("lvextend", target, "requested %s is larger than current %s" % (
                describe(group.bytes(wanted)), describe(group.bytes(current))),
                vg=vg, lv=name, size=group.bytes(wanted))
            self.existing_filesystem(volume, existing, target, label, grown=True)
        else:
            self.shrink_volume(volume, group, existing, target, label, wanted, current)

    def create_volume(self, volume, group, pool_spec, target, label):
        vg, name = volume["volume_group"], volume["lv_name"]
        wanted = self.requested_extents(group, volume["size"])
        if wanted <= 0:
            self.refuse("%s: size %s is 0 bytes in volume group %s (%s free of %s)" % (
                label, volume["size"].text, vg, describe(group.bytes(group.free)), describe(group.bytes(group.total))))
            return
        if volume["thin"]:
            if not pool_spec:
                return
            if not self.options.activate:
                self.refuse("%s: %s" % (label, THIN_LV_NEEDS_DM))
                return
            self.note_virtual(group, group.bytes(wanted))
            self.plan.add("lvcreate", target, "thin volume does not exist: %s virtual in pool %s" % (
                describe(group.bytes(wanted)), pool_spec["name"]),
                vg=vg, lv=name, type="thin", size=group.bytes(wanted), pool=pool_spec["name"])
        else:
            if not self.consume(group, wanted, label):
                return
            self.plan.add("lvcreate", target, "logical volume does not exist: %s" % describe(group.bytes(wanted)),
                          vg=vg, lv=name, type="linear", size=group.bytes(wanted))
        group.new_lvs[name] = group.bytes(wanted)
        if volume["filesystem"]:
            device = "/dev/%s/%s" % (vg, name)
            if self.options.activate:
                self.plan.add("mkfs", device, "new logical volume for %s gets %s" % (volume["volume_class"], volume["filesystem"]),
                              device=device, fstype=volume["filesystem"], force=False)
            else:
                self.plan.skip("mkfs", device, "mkfs.%s not run: %s" % (volume["filesystem"], NOT_ACTIVATED))

    def shrink_volume(self, volume, group, existing, target, label, wanted, current):
        vg, name = volume["volume_group"], volume["lv_name"]
        base = "%s: requested %s is smaller than current %s; shrinking is refused" % (
            label, describe(group.bytes(wanted)), describe(group.bytes(current)))
        if not self.options.allow_shrink:
            self.refuse(base + " (allow_shrink: false)")
            return
        if volume["filesystem"] == "xfs":
            self.refuse(base + ": xfs can never shrink")
            return
        probe = self.state.get("lv_signatures", {}).get(target)
        if not is_active(existing) or probe is None:
            self.refuse(base + ": the LV is not active, so it cannot be checked for a filesystem signature")
            return
        if probe.get("probe_error"):
            self.refuse(base + ": its signatures could not be checked (%s)" % probe["probe_error"])
            return
        if probe.get("signature"):
            signature = probe["signature"]
            why = "xfs can never shrink" if signature.get("TYPE") == "xfs" else (
                "it carries a %s signature; only unformatted volumes are shrunk" % _signature_text(signature))
            self.refuse(base + ": " + why)
            return
        self.plan.add("lvreduce", target, "allow_shrink: requested %s is smaller than current %s and the LV carries "
                      "no signature (data past the new end is lost)" % (describe(group.bytes(wanted)),
                                                                        describe(group.bytes(current))),
                      vg=vg, lv=name, size=group.bytes(wanted))
        group.free += 0 if volume["thin"] else current - wanted
        self.existing_filesystem(volume, existing, target, label, grown=False)

    def activate_if_needed(self, existing, target):
        if self.options.activate and not is_active(existing) and not any(
                action["action"] == "lvchange" and action["target"] == target for action in self.plan.actions):
            vg, name = target.split("/", 1)
            self.plan.add("lvchange", target, "activate: true and the LV is not active (lv_attr %s)"
                          % existing.get("lv_attr"), vg=vg, lv=name)

    def existing_filesystem(self, volume, existing, target, label, grown):
        fstype = volume["filesystem"]
        device = self.device_of(volume["volume_group"], volume["lv_name"])
        if not self.options.activate:
            if fstype and grown:
                self.plan.skip("growfs", device, "%s filesystem not grown: %s" % (fstype, NOT_ACTIVATED))
            return
        if not is_active(existing):
            self.activate_if_needed(existing, target)
            if fstype:
                self.plan.skip("mkfs", device, "the LV was not active, so its %s filesystem could not be checked; "
                               "it is checked on the next run" % fstype)
            return
        probe = self.state.get("lv_signatures", {}).get(target) or {}
        signature = probe.get("signature")
        if not fstype:
            if grown and signature and signature.get("TYPE"):
                self.plan.skip("growfs", device, "carries %s but the layout names no filesystem; not grown"
                               % signature["TYPE"])
            return
        if probe.get("probe_error") or signature is None:
            error = probe.get("probe_error") or "not probed"
            if not self.options.force_signatures:
                self.refuse("%s: the signatures of %s could not be checked (%s); refusing mkfs.%s (force_signatures: "
                            "true formats it regardless)" % (label, device, error, fstype))
                return
            self.plan.add("mkfs", device, "force_signatures: signatures could not be checked (%s)" % error,
                          device=device, fstype=fstype, force=True)
            return
        if not signature:
            self.plan.add("mkfs", device, "%s carries no signature" % device, device=device, fstype=fstype, force=False)
            return
        if signature.get("TYPE") == fstype:
            if grown:
                self.grow_filesystem(fstype, device, target)
            return
        if not self.options.force_signatures:
            self.refuse("%s: %s carries a %s signature, not %s; refusing mkfs.%s over it (force_signatures: true "
                        "replaces it and destroys its data)" % (label, device, _signature_text(signature), fstype, fstype))
            return
        self.plan.add("mkfs", device, "force_signatures: replaces the %s signature (destroys its data)"
                      % _signature_text(signature), device=device, fstype=fstype, force=True)

    def grow_filesystem(self, fstype, device, target):
        mount_point = self.state.get("mounts", {}).get(target)
        if fstype == "xfs":
            if mount_point:
                self.plan.add("xfs_growfs", mount_point, "xfs on %s grows with its LV (mounted at %s)" % (device, mount_point),
                              mount_point=mount_point)
            else:
                self.plan.skip("xfs_growfs", device, "xfs grows only while mounted and %s is not mounted: the "
                               "filesystem keeps its old size until it is mounted and xfs_growfs runs (this module does "
                               "not mount it temporarily)" % device)
            return
        if not mount_point:
            self.plan.add("e2fsck", device, "resize2fs needs a checked filesystem when it is not mounted", device=device)
        self.plan.add("resize2fs", device, "ext4 on %s grows with its LV (%s)" % (
            device, "online, mounted at %s" % mount_point if mount_point else "not mounted"), device=device)

    def note_virtual(self, group, byte_count):
        group.virtual_added += byte_count

    # -- the whole layout ----------------------------------------------------
    def run(self):
        specs = list(self.layout.volume_groups)
        for spec in specs:
            self.plan_group(spec)
        for volume in self.layout.volumes:
            name = volume["volume_group"]
            if name and name not in self.groups and self.layout.vg(name) is None:
                if name in self.vgs:
                    self.groups[name] = _Group(name, self.vgs[name], volume["field"])
                else:
                    self.refuse("%s.volume_group: volume group %s is neither in volume_groups nor on the host"
                                % (volume["field"], name))
        ordered = [spec["name"] for spec in specs] + [name for name in self.groups if self.layout.vg(name) is None]
        for name in ordered:
            group = self.groups[name]
            spec = self.layout.vg(name)
            if spec is not None:
                self.plan_pool(spec, group)
            pool_spec = spec["thin_pool"] if spec else None
            for volume in self.layout.volumes:
                if volume["volume_group"] == name and not group.unavailable:
                    self.plan_volume(volume, group, pool_spec)
            if spec is not None:
                self.overprovision_note(spec, group)
        for item in self.layout.ignored:
            self.plan.notes.append("%s: %s is tmpfs, not LVM; ignored here" % (item["field"], item["volume_class"]))
        if self.options.activate and not self.state.get("device_mapper") and any(
                action["action"] in LV_ACTIONS for action in self.plan.actions):
            self.refuse("activate: true needs the device-mapper kernel driver to activate and format logical volumes, "
                        "and this host has none (/proc/misc lists no device-mapper); set activate: false to manage "
                        "LVM metadata only")
        self.predict()
        return self.plan

    def overprovision_note(self, spec, group):
        pool = spec["thin_pool"]
        if not pool or group.unavailable:
            return
        existing = self.lvs.get((group.name, pool["name"]))
        pool_bytes = group.bytes(group.pool_extents) if group.pool_extents else (existing or {}).get("lv_size")
        for action in self.plan.actions:
            if action["action"] == "lvextend" and action["target"] == "%s/%s" % (group.name, pool["name"]):
                pool_bytes = action["params"]["size"]
        if not pool_bytes:
            return
        virtual = sum(lv.get("lv_size") or 0 for lv in self.lvs.values()
                      if lv["vg_name"] == group.name and lv.get("pool_lv") == pool["name"])
        virtual += group.virtual_added
        if not virtual:
            return
        ratio = float(virtual) / float(pool_bytes)
        limit = pool.get("overprovision_ratio")
        verdict = ""
        if limit:
            verdict = "; %s overprovision_ratio %s" % ("within" if ratio <= limit else "EXCEEDS", limit)
        self.plan.notes.append("thin pool %s/%s: %s virtual on %s of data = %.2fx%s (information only)" % (
            group.name, pool["name"], describe(virtual), describe(pool_bytes), ratio, verdict))

    def predict(self):
        predicted = self.plan.predicted
        for name, group in self.groups.items():
            if group.unavailable or (not group.exists and not any(
                    a["action"] == "vgcreate" and a["target"] == name for a in self.plan.actions)):
                continue
            predicted["volume_groups"][name] = {"size": group.bytes(group.total), "free": group.bytes(group.free),
                                                "pvs": sorted(group.pvs)}
            for (vg, lv), row in sorted(self.lvs.items()):
                if vg == name:
                    predicted["logical_volumes"]["%s/%s" % (vg, lv)] = {"size": row.get("lv_size"),
                                                                        "attr": row.get("lv_attr")}
            for lv, size in sorted(group.new_lvs.items()):
                predicted["logical_volumes"]["%s/%s" % (name, lv)] = {"size": size, "attr": "(planned)"}
        for action in self.plan.actions:
            if action["action"] in ("lvextend", "lvreduce") and action["target"] in predicted["logical_volumes"]:
                predicted["logical_volumes"][action["target"]]["size"] = action["params"]["size"]
            if action["action"] == "lvcreate" and action["params"].get("type") == "thin-pool":
                predicted["logical_volumes"][action["target"]] = {"size": action["params"]["size"], "attr": "(planned)"}


def plan_layout(layout, state, options):
    """The Plan for ``layout`` on a host in ``state`` (pure; see module doc)."""
    return _Planner(layout, state, options).run()
