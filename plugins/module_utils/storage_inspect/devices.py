# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Block devices behind a mount, read from sysfs: device-mapper names and
uuids (LVM and dm-crypt), the devices each one sits on, sizes, and
filesystem uuids from /dev/disk/by-uuid; ``blkid -p -o export`` output.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MAX_DEPTH = 16
LVM_UUID_PREFIX = "LVM-"
CRYPT_UUID_PREFIX = "CRYPT-"
# dm uuids cryptsetup gives devices that protect integrity but do not encrypt,
# and the hidden sub-devices of a LUKS2 device with integrity.
_NOT_ENCRYPTING = ("CRYPT-VERITY-", "CRYPT-INTEGRITY-", "CRYPT-SUBDEV-")
_LUKS_METHOD = {"CRYPT-LUKS1-": "luks1", "CRYPT-LUKS2-": "luks2"}


def blkid_argv(device):
    return ["blkid", "-p", "-o", "export", device]


def parse_blkid_export(text):
    """KEY=value lines of ``blkid -o export`` as a dict (first device only)."""
    values = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            if values:
                break
            continue
        key, sep, value = line.partition("=")
        if sep and re.match(r"^[A-Z_][A-Z0-9_]*$", key):
            values[key] = value.replace("\\ ", " ")
    return values


def luks_method(version):
    """Contract method of a LUKS header version from blkid (``VERSION=2``)."""
    return {"1": "luks1", "2": "luks2"}.get(str(version or "").strip(), "dm-crypt")


def dm_name(vg_name, lv_name):
    """Device-mapper name of an LV: hyphens doubled, VG and LV joined by one."""
    return "%s-%s" % (vg_name.replace("-", "--"), lv_name.replace("-", "--"))


def split_dm_name(name):
    """(vg, lv, layer) of an LVM device-mapper name; layer is "" or e.g. "tpool"."""
    pieces, current, index = [], [], 0
    while index < len(name):
        char = name[index]
        if char == "-" and name[index + 1:index + 2] == "-":
            current.append("-")
            index += 2
            continue
        if char == "-":
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    pieces.append("".join(current))
    if len(pieces) < 2 or not pieces[0] or not pieces[1]:
        return None
    return pieces[0], pieces[1], "-".join(pieces[2:])


def format_lvm_uuid(raw):
    """LVM prints 32-character ids in 6-4-4-4-4-4-6 groups."""
    if not re.match(r"^[A-Za-z0-9]{32}$", raw or ""):
        return None
    groups, start = [], 0
    for width in (6, 4, 4, 4, 4, 4, 6):
        groups.append(raw[start:start + width])
        start += width
    return "-".join(groups)


class BlockDevices:
    """Kernel block devices of the probed machine, by kernel name (``dm-0``, ``nvme0n1p2``)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self._dm = None

    def _sys(self, kernel, leaf):
        for base in ("/sys/class/block/", "/sys/block/"):
            path = base + kernel + "/" + leaf
            if self.ctx.exists(path):
                return path
        return None

    def _value(self, kernel, leaf):
        path = self._sys(kernel, leaf)
        return self.ctx.read_value(path) if path else None

    def dm_devices(self):
        """{dm name: kernel name} for every device-mapper device."""
        if self._dm is None:
            self._dm = {}
            for kernel in self.ctx.listdir("/sys/block"):
                if kernel.startswith("dm-"):
                    name = self._value(kernel, "dm/name")
                    if name:
                        self._dm[name] = kernel
        return self._dm

    def dm_name_of(self, kernel):
        return self._value(kernel, "dm/name") if kernel else None

    def dm_uuid_of(self, kernel):
        return self._value(kernel, "dm/uuid") if kernel else None

    def kernel_for(self, device_number=None, source=None):
        """Kernel name of a mount's device, from its major:minor or its source path."""
        if device_number and not device_number.startswith("0:"):
            name = self.ctx.readlink_name("/sys/dev/block/" + device_number)
            if name:
                return name
        if not source or not source.startswith("/dev/"):
            return None
        if source.startswith("/dev/mapper/"):
            found = self.dm_devices().get(source[len("/dev/mapper/"):])
            if found:
                return found
        resolved = self.ctx.resolve(source)
        candidate = resolved.rsplit("/", 1)[-1]
        if resolved.startswith("/dev/") and self._sys(candidate, "dev"):
            return candidate
        parts = source.split("/")
        if len(parts) == 4:
            found = self.dm_devices().get(dm_name(parts[2], parts[3]))
            if found:
                return found
        return None

    def size_bytes(self, kernel):
        path = self._sys(kernel, "size") if kernel else None
        sectors = self.ctx.read_int(path) if path else None
        return sectors * 512 if sectors is not None else None

    def slaves(self, kernel):
        path = self._sys(kernel, "slaves")
        return self.ctx.listdir(path) if path else []

    def holders(self, kernel):
        path = self._sys(kernel, "holders")
        return self.ctx.listdir(path) if path else []

    def encryption(self, kernel):
        """(method, kernel name of the dm-crypt device) for the first
        encrypting device at or below ``kernel``; (None, None) when none."""
        seen = set()
        pending = [(kernel, 0)] if kernel else []
        while pending:
            current, depth = pending.pop(0)
            if current in seen or depth > MAX_DEPTH:
                continue
            seen.add(current)
            uuid = self.dm_uuid_of(current) if current.startswith("dm-") else None
            if uuid and uuid.startswith(CRYPT_UUID_PREFIX) and not uuid.startswith(_NOT_ENCRYPTING):
                for prefix, method in _LUKS_METHOD.items():
                    if uuid.startswith(prefix):
                        return method, current
                return "dm-crypt", current
            pending.extend((lower, depth + 1) for lower in self.slaves(current))
        return None, None

    def lvm_below(self, kernel):
        """Kernel name of the first LVM logical volume at or below ``kernel``
        (an LV under a dm-crypt device, say), or None."""
        seen = set()
        pending = [(kernel, 0)] if kernel else []
        while pending:
            current, depth = pending.pop(0)
            if current in seen or depth > MAX_DEPTH or not current.startswith("dm-"):
                continue
            seen.add(current)
            if self.lvm_of(current) is not None:
                return current
            pending.extend((lower, depth + 1) for lower in self.slaves(current))
        return None

    def lvm_of(self, kernel):
        """LVM placement read from device-mapper when ``lvs`` cannot run:
        dict with vg_name, lv_name, thin_pool, lv_uuid; None when not an LV."""
        uuid = self.dm_uuid_of(kernel)
        name = self.dm_name_of(kernel)
        if not uuid or not uuid.startswith(LVM_UUID_PREFIX) or not name:
            return None
        parts = split_dm_name(name)
        if parts is None or parts[2]:
            return None
        thin_pool = None
        for lower in self.slaves(kernel):
            lower_parts = split_dm_name(self.dm_name_of(lower) or "")
            if lower_parts and lower_parts[2] == "tpool" and lower_parts[0] == parts[0]:
                thin_pool = lower_parts[1]
        return {
            "vg_name": parts[0],
            "lv_name": parts[1],
            "thin_pool": thin_pool,
            "lv_uuid": format_lvm_uuid(uuid[len(LVM_UUID_PREFIX) + 32:len(LVM_UUID_PREFIX) + 64]),
        }

    def filesystem_uuid(self, kernel):
        """Filesystem uuid of a device from /dev/disk/by-uuid, or None."""
        if not kernel:
            return None
        for entry in self.ctx.listdir("/dev/disk/by-uuid"):
            if self.ctx.readlink_name("/dev/disk/by-uuid/" + entry) == kernel:
                return entry
        return None
