# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The volumes of a storage layout (docs/storage.md), checked and normalized.

Every error names the field it is about, e.g. ``volumes[2].mode``, and is
raised before anything on the node is read.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

VOLUME_CLASSES = (
    "agent-models", "agent-cache-hot", "agent-cache-warm", "agent-cache-cold",
    "agent-scratch", "agent-evidence", "agent-artifacts",
)
TMPFS_CLASS = "agent-cache-hot"
FILESYSTEMS = ("xfs", "ext4")
LAYOUT_KEYS = (
    "volume_class", "volume_group", "lv_name", "size", "thin", "filesystem", "mount_point",
    "mount_options", "owner", "group", "mode", "selinux_type",
)

LVM_NAME = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")
# LVM reads size units as powers of 1024 whatever their case ("500G" is 500 GiB).
_ABSOLUTE_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtpe]?)(i?b)?\s*$", re.IGNORECASE)
_RELATIVE_SIZE = re.compile(r"^\s*[0-9]+(?:\.[0-9]+)?%(VG|FREE|PVS|ORIGIN)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50, "e": 1 << 60}


class LayoutError(ValueError):
    """A volume of the layout is not usable; the message names the field."""


def parse_size(value, field):
    """Bytes of an absolute size, None for a relative one ("50%VG", "100%FREE").

    Accepts an integer number of bytes or a string such as "200G", "200GiB",
    "512M" (powers of 1024, as LVM reads them).
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise LayoutError("%s: must be bytes or a size such as 200G, not a boolean" % field)
    if isinstance(value, int):
        if value < 0:
            raise LayoutError("%s: must not be negative, got %d" % (field, value))
        return value
    if isinstance(value, float):
        raise LayoutError("%s: give bytes as an integer or a size such as 200G, not %r" % (field, value))
    text = str(value)
    if _RELATIVE_SIZE.match(text):
        return None
    match = _ABSOLUTE_SIZE.match(text)
    if not match:
        raise LayoutError("%s: %r is not a size (bytes, 200G, 200GiB, 50%%VG or 100%%FREE)" % (field, text))
    number, unit = match.group(1), match.group(2).lower()
    whole, _dot, fraction = number.partition(".")
    scale = _UNITS[unit]
    size = int(whole) * scale
    if fraction:
        size += int(fraction) * scale // (10 ** len(fraction))
    return size


def parse_mode(value, field):
    """A permission mode as an int: "0750" / "750" strings, or an int as YAML
    reads an unquoted 0750."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise LayoutError("%s: must be an octal mode such as \"0750\", not a boolean" % field)
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip()
        if not re.match(r"^0?[0-7]{3,4}$", text):
            raise LayoutError("%s: %r is not an octal mode such as \"0750\"" % (field, text))
        mode = int(text, 8)
    if mode < 0 or mode > 0o7777:
        raise LayoutError("%s: %r is out of range for a mode (0000-7777)" % (field, value))
    return mode


def _text(entry, key, field, required=False):
    value = entry.get(key)
    if value is None:
        if required:
            raise LayoutError("%s.%s: is required" % (field, key))
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise LayoutError("%s.%s: must be a string, got %s" % (field, key, type(value).__name__))
    text = str(value).strip()
    if not text:
        if required:
            raise LayoutError("%s.%s: must not be empty" % (field, key))
        return None
    return text


def _options(value, field):
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        raise LayoutError("%s.mount_options: must be a list of options, got %s" % (field, type(value).__name__))
    options = []
    for position, option in enumerate(value):
        if not isinstance(option, str) or not option.strip() or "," in option or re.search(r"\s", option.strip()):
            raise LayoutError("%s.mount_options[%d]: %r is not a mount option" % (field, position, option))
        options.append(option.strip())
    return options


def _mount_point(entry, field):
    path = _text(entry, "mount_point", field, required=True)
    if not path.startswith("/") or "\x00" in path or "\n" in path or "\r" in path:
        raise LayoutError("%s.mount_point: %r must be an absolute path" % (field, path))
    path = os.path.normpath(path)
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    if path == "/":
        raise LayoutError("%s.mount_point: a volume cannot be mounted on /" % field)
    return path


def normalize_volume(entry, index):
    """One layout volume as a dict with every key present and checked.

    ``backend`` is what the layout asks for: tmpfs for agent-cache-hot,
    lvm-thin / lvm-linear when a volume group is named, else directory.
    """
    field = "volumes[%d]" % index
    if not isinstance(entry, dict):
        raise LayoutError("%s: must be a mapping of volume settings, got %s" % (field, type(entry).__name__))
    unknown = sorted(str(key) for key in entry if key not in LAYOUT_KEYS)
    if unknown:
        raise LayoutError("%s: unknown key(s) %s; a volume has %s" % (field, ", ".join(unknown), ", ".join(LAYOUT_KEYS)))
    volume_class = _text(entry, "volume_class", field, required=True)
    if volume_class not in VOLUME_CLASSES:
        raise LayoutError("%s.volume_class: %r is not one of %s" % (field, volume_class, ", ".join(VOLUME_CLASSES)))
    thin = entry.get("thin")
    if thin is not None and not isinstance(thin, bool):
        raise LayoutError("%s.thin: must be true or false, got %r" % (field, thin))
    thin = bool(thin)
    volume_group = _text(entry, "volume_group", field)
    lv_name = _text(entry, "lv_name", field)
    filesystem = _text(entry, "filesystem", field)
    if volume_class == TMPFS_CLASS:
        for key, value in (("volume_group", volume_group), ("lv_name", lv_name), ("thin", thin or None)):
            if value is not None:
                raise LayoutError("%s.%s: %s is always tmpfs and takes no %s" % (field, key, TMPFS_CLASS, key))
        if filesystem not in (None, "tmpfs"):
            raise LayoutError("%s.filesystem: %s is always tmpfs, not %s" % (field, TMPFS_CLASS, filesystem))
        backend, filesystem = "tmpfs", "tmpfs"
    elif volume_group is not None:
        if not LVM_NAME.match(volume_group):
            raise LayoutError("%s.volume_group: %r is not a valid LVM name" % (field, volume_group))
        lv_name = lv_name or volume_class.replace("-", "_")
        if not LVM_NAME.match(lv_name):
            raise LayoutError("%s.lv_name: %r is not a valid LVM name" % (field, lv_name))
        backend = "lvm-thin" if thin else "lvm-linear"
        if filesystem is not None and filesystem not in FILESYSTEMS:
            raise LayoutError("%s.filesystem: %r is not one of %s" % (field, filesystem, ", ".join(FILESYSTEMS)))
    else:
        for key, value in (("lv_name", lv_name), ("thin", thin or None)):
            if value is not None:
                raise LayoutError("%s.%s: needs volume_group (an LVM volume)" % (field, key))
        backend = "directory"
    return {
        "index": index,
        "field": field,
        "volume_class": volume_class,
        "backend": backend,
        "volume_group": volume_group,
        "lv_name": lv_name,
        "thin": thin,
        "filesystem": filesystem,
        "size_bytes": parse_size(entry.get("size"), field + ".size"),
        "mount_point": _mount_point(entry, field),
        "mount_options": _options(entry.get("mount_options"), field),
        "owner": _text(entry, "owner", field),
        "group": _text(entry, "group", field),
        "mode": parse_mode(entry.get("mode"), field + ".mode"),
        "selinux_type": _text(entry, "selinux_type", field),
    }


def normalize_volumes(volumes):
    """Every volume of the layout, normalized; LayoutError on the first problem."""
    if volumes is None:
        return []
    if not isinstance(volumes, (list, tuple)):
        raise LayoutError("volumes: must be a list of volumes, got %s" % type(volumes).__name__)
    normalized = [normalize_volume(entry, index) for index, entry in enumerate(volumes)]
    seen_classes, seen_paths = {}, {}
    for volume in normalized:
        first = seen_classes.setdefault(volume["volume_class"], volume["index"])
        if first != volume["index"]:
            raise LayoutError("%s.volume_class: %s is already volumes[%d]; one volume per class" % (
                volume["field"], volume["volume_class"], first))
        first = seen_paths.setdefault(volume["mount_point"], volume["index"])
        if first != volume["index"]:
            raise LayoutError("%s.mount_point: %s is already the mount point of volumes[%d]" % (
                volume["field"], volume["mount_point"], first))
    return normalized
