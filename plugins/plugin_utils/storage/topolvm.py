# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TopoLVM and LVMS documents rendered from the storage layout.

Every function here is pure: it reads the ``agent_machine_storage`` layout
(see docs/storage.md) and returns plain dicts, lists and strings. Nothing
touches the host or a cluster.

Which volume groups become device classes: every volume group with a
``topolvm`` section (``{}`` is enough). A volume group with a
``thin_pool`` gives a thin device class on that pool; one without gives a
thick device class on the volume group itself.

Formats produced:

* ``lvmd_config``: TopoLVM's ``/etc/topolvm/lvmd.yaml`` (keys
  ``socket-name`` and ``device-classes[]`` with ``name``, ``volume-group``,
  ``default``, ``spare-gb``, and for thin classes ``type: thin`` and
  ``thin-pool: {name, overprovision-ratio}``). A thick class carries no
  ``type`` key: TopoLVM treats an empty type as ``thick``, and its own
  examples leave it out.
* ``storage_classes``: one ``storage.k8s.io/v1`` StorageClass per device
  class, named ``topolvm-<device class>``.
* ``lvms_cluster``: an LVM Storage (LVMS) ``LVMCluster``
  (``lvm.topolvm.io/v1alpha1``) with one device class per volume group.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

__all__ = [
    "DEFAULT_SOCKET_NAME", "LVMD_DEVICE_CLASS_KEYS", "LVMD_KEYS", "LVMD_THIN_POOL_KEYS",
    "MANAGED_BY", "MANAGED_BY_LABEL", "TopolvmLayoutError",
    "device_classes", "lvmd_config", "lvmd_yaml_text", "lvms_cluster", "storage_classes",
]

ROOT = "agent_machine_storage"

DEFAULT_SOCKET_NAME = "/run/topolvm/lvmd.sock"
DEFAULT_SPARE_GB = 10            # TopoLVM's own default for spare-gb
DEFAULT_OVERPROVISION_RATIO = 1.0  # no over-provisioning unless the layout asks for it
DEFAULT_FSTYPE = "xfs"
FILESYSTEMS = ("xfs", "ext4")

# lvmd.yaml keys in the order TopoLVM documents them (docs/lvmd.md and the
# DeviceClass/ThinPoolConfig structs of its lvmd package). lvmd_yaml_text
# writes keys in this order; keys it does not know go last, sorted.
LVMD_KEYS = ("socket-name", "device-classes", "lvcreate-option-classes")
LVMD_DEVICE_CLASS_KEYS = (
    "name", "volume-group", "default", "spare-gb", "stripe", "stripe-size", "lvcreate-options", "type", "thin-pool",
)
LVMD_THIN_POOL_KEYS = ("name", "overprovision-ratio")

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "sourceos.agent_machine"

PROVISIONER = "topolvm.io"
DEVICE_CLASS_PARAMETER = "topolvm.io/device-class"
FSTYPE_PARAMETER = "csi.storage.k8s.io/fstype"
STORAGE_CLASS_PREFIX = "topolvm-"

LVMS_API_VERSION = "lvm.topolvm.io/v1alpha1"
LVMS_KIND = "LVMCluster"
LVMS_DEFAULT_SIZE_PERCENT = 90         # LVMS's default thinPoolConfig.sizePercent
LVMS_SIZE_PERCENT_RANGE = (10, 100)    # kubebuilder Minimum/Maximum of sizePercent
LVMS_OVERPROVISION_RANGE = (1, 100)    # kubebuilder Minimum/Maximum of overprovisionRatio

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PERCENT_SIZE = re.compile(r"^\s*([0-9]+)\s*%\s*(VG|FREE)\s*$", re.IGNORECASE)
_TOPOLVM_KEYS = ("device_class", "default", "spare_gb", "fstype")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


class TopolvmLayoutError(ValueError):
    """The layout cannot be rendered; ``field`` names the offending variable path."""

    def __init__(self, field, message):
        self.field = field
        self.problem = message
        super().__init__("%s: %s" % (field, message))


# ---------------------------------------------------------------- layout reading

def _shown(value):
    text = "'%s'" % value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _text(value, field, required=True):
    if value is None or value == "":
        if required:
            raise TopolvmLayoutError(field, "is required")
        return None
    if not isinstance(value, str):
        raise TopolvmLayoutError(field, "must be a string, got %s" % type(value).__name__)
    return str(value)


def _bool(value, field):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise TopolvmLayoutError(field, "must be true or false, got %s" % _shown(value))


def _whole_number(value, field):
    if isinstance(value, bool):
        raise TopolvmLayoutError(field, "must be a whole number of GiB, got %s" % _shown(value))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        raise TopolvmLayoutError(field, "must be a whole number of GiB, got %s" % _shown(value))
    if number < 0:
        raise TopolvmLayoutError(field, "must not be negative, got %d" % number)
    return number


def _ratio(value, field):
    if isinstance(value, bool) or value is None:
        raise TopolvmLayoutError(field, "must be a number of at least 1.0, got %s" % _shown(value))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TopolvmLayoutError(field, "must be a number of at least 1.0, got %s" % _shown(value)) from None
    if not math.isfinite(number) or number < 1.0:
        raise TopolvmLayoutError(field, "must be a number of at least 1.0 (TopoLVM refuses less), got %s" % _shown(value))
    return number


def _dns_label(name, field, what):
    if len(name) > 63 or not _DNS_LABEL.match(name):
        raise TopolvmLayoutError(
            field, "%s %s is not a DNS label (lowercase letters, digits and '-', starting and ending "
                   "with a letter or digit, at most 63 characters)" % (what, _shown(name)))
    return name


def _mapping(value, field):
    if not isinstance(value, Mapping):
        raise TopolvmLayoutError(field, "must be a mapping, got %s" % type(value).__name__)
    return value


def _list(value, field):
    if value is None:
        return []
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise TopolvmLayoutError(field, "must be a list, got %s" % type(value).__name__)
    return list(value)


def _thin_pool(vg, field):
    pool = vg.get("thin_pool")
    if pool is None or (isinstance(pool, Mapping) and not pool):
        return None  # no thin pool (an empty mapping counts as none, as for the LVM step)
    pool = _mapping(pool, field + ".thin_pool")
    ratio = pool.get("overprovision_ratio")
    return {
        "name": _text(pool.get("name"), field + ".thin_pool.name"),
        "size": pool.get("size"),
        "overprovision_ratio": (DEFAULT_OVERPROVISION_RATIO if ratio is None
                                else _ratio(ratio, field + ".thin_pool.overprovision_ratio")),
    }


def _device_class(vg, index):
    field = "%s.volume_groups[%d]" % (ROOT, index)
    vg = _mapping(vg, field)
    topolvm = vg.get("topolvm")
    if topolvm is None or topolvm is False:
        return None
    if topolvm is True:
        topolvm = {}
    topolvm = _mapping(topolvm, field + ".topolvm")
    unknown = sorted(str(key) for key in topolvm if key not in _TOPOLVM_KEYS)
    if unknown:
        raise TopolvmLayoutError(field + ".topolvm." + unknown[0],
                                 "unknown key; expected %s" % ", ".join(_TOPOLVM_KEYS))
    vg_name = _text(vg.get("name"), field + ".name")
    name_field = field + ".topolvm.device_class"
    name = _text(topolvm.get("device_class"), name_field, required=False)
    if name is None:
        derived = vg_name.replace("_", "-")
        if len(derived) > 63 or not _DNS_LABEL.match(derived):
            raise TopolvmLayoutError(
                name_field, "is not set and the volume group name %s does not make a DNS label; set a device "
                            "class name (lowercase letters, digits and '-')" % _shown(vg_name))
        name = derived
    _dns_label(name, name_field, "device class")
    explicit_default = topolvm.get("default")
    return {
        "index": index,
        "field": field,
        "name": name,
        "volume_group": vg_name,
        "default": None if explicit_default is None else _bool(explicit_default, field + ".topolvm.default"),
        "spare_gb": (DEFAULT_SPARE_GB if topolvm.get("spare_gb") is None
                     else _whole_number(topolvm.get("spare_gb"), field + ".topolvm.spare_gb")),
        "thin_pool": _thin_pool(vg, field),
        "devices": vg.get("devices"),
        "fstype": _fstype(topolvm.get("fstype"), field + ".topolvm.fstype"),
    }


def _fstype(value, field):
    if value is None:
        return DEFAULT_FSTYPE
    if value not in FILESYSTEMS:
        raise TopolvmLayoutError(field, "must be one of %s, got %s" % (", ".join(FILESYSTEMS), _shown(value)))
    return str(value)


def _resolve_default(classes):
    if len(classes) == 1:
        classes[0]["default"] = True
        return
    marked = [entry for entry in classes if entry["default"]]
    if not marked:
        raise TopolvmLayoutError(
            "%s.volume_groups[*].topolvm.default" % ROOT,
            "none of the %d TopoLVM device classes (%s) is marked default: true; mark exactly one"
            % (len(classes), ", ".join(entry["name"] for entry in classes)))
    if len(marked) > 1:
        first, second = marked[0], marked[1]
        raise TopolvmLayoutError(
            second["field"] + ".topolvm.default",
            "is true, but %s.topolvm.default (device class %s) is true as well; exactly one device class "
            "may be the default" % (first["field"], first["name"]))
    for entry in classes:
        entry["default"] = entry is marked[0]


def device_classes(layout):
    """The TopoLVM device classes of a layout, one per volume group with a ``topolvm`` section.

    Each is a dict: ``name``, ``volume_group``, ``default`` (exactly one
    is true), ``spare_gb``, ``thin_pool`` (None, or ``name``, ``size``,
    ``overprovision_ratio``), ``devices``, ``index`` and ``field`` (the
    volume group's variable path). Raises TopolvmLayoutError naming the
    field at fault.
    """
    if not isinstance(layout, Mapping):
        raise TopolvmLayoutError(ROOT, "must be a mapping (the storage layout), got %s" % type(layout).__name__)
    groups = _list(layout.get("volume_groups"), ROOT + ".volume_groups")
    classes = []
    by_name = {}
    by_vg = {}
    for index, vg in enumerate(groups):
        entry = _device_class(vg, index)
        if entry is None:
            continue
        if entry["name"] in by_name:
            raise TopolvmLayoutError(entry["field"] + ".topolvm.device_class",
                                     "device class %s is already used by %s" % (_shown(entry["name"]), by_name[entry["name"]]))
        if entry["volume_group"] in by_vg:
            raise TopolvmLayoutError(entry["field"] + ".name",
                                     "volume group %s is already listed as %s" % (_shown(entry["volume_group"]), by_vg[entry["volume_group"]]))
        by_name[entry["name"]] = entry["field"]
        by_vg[entry["volume_group"]] = entry["field"]
        classes.append(entry)
    if classes:
        _resolve_default(classes)
    return classes


def _require_classes(layout, consumer):
    classes = device_classes(layout)
    if not classes:
        raise TopolvmLayoutError(
            ROOT + ".volume_groups",
            "no volume group has a topolvm section; %s needs at least one device class" % consumer)
    return classes


def _fstypes(layout, classes, fstype_by_class):
    """{device class: filesystem of the PVCs it provisions}: ``fstype_by_class``
    first, else the volume group's ``topolvm.fstype``, else xfs. The node's own
    volumes on that VG do not matter: TopoLVM formats each PVC itself."""
    del layout  # the classes already carry what the layout says
    result = {entry["name"]: entry["fstype"] for entry in classes}
    if fstype_by_class is None:
        return result
    for key, value in _mapping(fstype_by_class, "fstype_by_class").items():
        field = "fstype_by_class.%s" % key
        if key not in result:
            raise TopolvmLayoutError(field, "no TopoLVM device class is named %s (known: %s)"
                                     % (_shown(key), ", ".join(sorted(result)) or "none"))
        result[str(key)] = _fstype(value, field)
    return result


def _managed_labels():
    return {MANAGED_BY_LABEL: MANAGED_BY}


# ---------------------------------------------------------------- TopoLVM lvmd

def lvmd_config(layout, socket_name=DEFAULT_SOCKET_NAME):
    """The lvmd.yaml document (a dict) for the layout's TopoLVM device classes."""
    if not isinstance(socket_name, str) or not socket_name.startswith("/"):
        raise TopolvmLayoutError("socket_name", "must be an absolute path, got %s" % _shown(socket_name))
    entries = []
    for entry in _require_classes(layout, "lvmd"):
        item = {
            "name": entry["name"],
            "volume-group": entry["volume_group"],
            "default": entry["default"],
            "spare-gb": entry["spare_gb"],
        }
        if entry["thin_pool"] is not None:
            item["type"] = "thin"
            item["thin-pool"] = {
                "name": entry["thin_pool"]["name"],
                "overprovision-ratio": float(entry["thin_pool"]["overprovision_ratio"]),
            }
        entries.append(item)
    return {"socket-name": str(socket_name), "device-classes": entries}


def _ordered(mapping, order):
    known = [(key, mapping[key]) for key in order if key in mapping]
    rest = sorted((str(key), value) for key, value in mapping.items() if key not in order)
    return dict(known + rest)


def _plain(value):
    """Plain builtin types, so PyYAML's safe dumper takes any subclass Ansible passes in."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def lvmd_yaml_text(config, header="# Managed by sourceos.agent_machine: local edits are overwritten.\n"):
    """lvmd.yaml text for a ``lvmd_config`` dict: documented key order, block style, stable bytes."""
    import yaml  # PyYAML is a controller requirement; imported on use so the module imports without it

    config = _mapping(config, "config")
    ordered = _ordered(_plain(config), LVMD_KEYS)
    if isinstance(ordered.get("device-classes"), list):
        classes = []
        for item in ordered["device-classes"]:
            if isinstance(item, dict):
                item = _ordered(item, LVMD_DEVICE_CLASS_KEYS)
                if isinstance(item.get("thin-pool"), dict):
                    item["thin-pool"] = _ordered(item["thin-pool"], LVMD_THIN_POOL_KEYS)
            classes.append(item)
        ordered["device-classes"] = classes
    body = yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)
    return (header or "") + body


# ---------------------------------------------------------------- Kubernetes

def storage_classes(layout, fstype_by_class=None):
    """One ``topolvm.io`` StorageClass per TopoLVM device class (an empty list when there is none)."""
    classes = device_classes(layout)
    fstypes = _fstypes(layout, classes, fstype_by_class)
    manifests = []
    for entry in classes:
        manifests.append({
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": STORAGE_CLASS_PREFIX + entry["name"], "labels": _managed_labels()},
            "provisioner": PROVISIONER,
            "parameters": {
                DEVICE_CLASS_PARAMETER: entry["name"],
                FSTYPE_PARAMETER: fstypes[entry["name"]],
            },
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": True,
        })
    return manifests


def _size_percent(entry):
    field = entry["field"] + ".thin_pool.size"
    size = entry["thin_pool"]["size"]
    if size is None:
        return LVMS_DEFAULT_SIZE_PERCENT
    match = _PERCENT_SIZE.match(size) if isinstance(size, str) else None
    if not match:
        raise TopolvmLayoutError(
            field, "LVMS sizes a thin pool as a whole percentage of its volume group (thinPoolConfig.sizePercent); "
                   "%s cannot be expressed that way, use for example '90%%VG'" % _shown(size))
    percent = int(match.group(1))
    low, high = LVMS_SIZE_PERCENT_RANGE
    if not low <= percent <= high:
        raise TopolvmLayoutError(field, "LVMS accepts a thin pool of %d%% to %d%% of the volume group, got %s"
                                 % (low, high, _shown(size)))
    return percent


def _lvms_ratio(entry):
    field = entry["field"] + ".thin_pool.overprovision_ratio"
    ratio = entry["thin_pool"]["overprovision_ratio"]
    if not float(ratio).is_integer():
        raise TopolvmLayoutError(field, "LVMS takes a whole-number overprovisionRatio, got %s" % _shown(ratio))
    low, high = LVMS_OVERPROVISION_RANGE
    if not low <= int(ratio) <= high:
        raise TopolvmLayoutError(field, "LVMS accepts an overprovisionRatio of %d to %d, got %s" % (low, high, _shown(ratio)))
    return int(ratio)


def _lvms_paths(entry, owners):
    field = entry["field"] + ".devices"
    devices = _list(entry["devices"], field)
    if not devices:
        raise TopolvmLayoutError(
            field, "LVMS needs the volume group's devices (deviceSelector.paths); without them it would "
                   "take every unused disk of every node")
    paths = []
    for position, device in enumerate(devices):
        device_field = "%s[%d]" % (field, position)
        device = _text(device, device_field)
        if not device.startswith("/dev/"):
            raise TopolvmLayoutError(device_field, "LVMS needs a device path under /dev/, got %s" % _shown(device))
        if device in owners:
            raise TopolvmLayoutError(device_field, "device %s is already listed at %s" % (device, owners[device]))
        owners[device] = device_field
        paths.append(device)
    return paths


def lvms_cluster(layout, name="agent-machine", namespace="openshift-storage", fstype_by_class=None,
                 require_thin_pool=False):
    """An LVMS ``LVMCluster`` with one device class per TopoLVM volume group.

    LVMS creates and names the volume group itself (after the device class)
    on ``deviceSelector.paths``, so this is an alternative to the node-side
    LVM step, not a companion of it. A volume group without ``thin_pool``
    becomes a thick device class (no ``thinPoolConfig``), which current LVMS
    releases accept; ``require_thin_pool=True`` refuses it instead, for
    clusters whose LVMS still requires a thin pool.
    """
    if not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise TopolvmLayoutError("name", "must be a DNS subdomain name, got %s" % _shown(name))
    if not isinstance(namespace, str):
        raise TopolvmLayoutError("namespace", "must be a DNS label, got %s" % _shown(namespace))
    _dns_label(namespace, "namespace", "namespace")
    classes = _require_classes(layout, "an LVMCluster")
    fstypes = _fstypes(layout, classes, fstype_by_class)
    owners = {}
    items = []
    for entry in classes:
        item = {
            "name": entry["name"],
            "default": entry["default"],
            "fstype": fstypes[entry["name"]],
            "deviceSelector": {"paths": _lvms_paths(entry, owners)},
        }
        if entry["thin_pool"] is not None:
            item["thinPoolConfig"] = {
                "name": entry["thin_pool"]["name"],
                "sizePercent": _size_percent(entry),
                "overprovisionRatio": _lvms_ratio(entry),
            }
        elif _bool(require_thin_pool, "require_thin_pool"):
            raise TopolvmLayoutError(
                entry["field"] + ".thin_pool",
                "is not set, and require_thin_pool is on: this LVMS release needs a thin pool for device class %s"
                % entry["name"])
        items.append(item)
    return {
        "apiVersion": LVMS_API_VERSION,
        "kind": LVMS_KIND,
        "metadata": {"name": str(name), "namespace": str(namespace), "labels": _managed_labels()},
        "spec": {"storage": {"deviceClasses": items}},
    }
