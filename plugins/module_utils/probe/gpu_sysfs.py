# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPUs as the kernel sees them: DRM devices under ``/sys/class/drm`` and
display/accelerator functions under ``/sys/bus/pci/devices``.

This layer knows nothing about CUDA, ROCm or Vulkan; it reports vendor,
ids, driver, PCI address, render node and (AMD) VRAM, and leaves the
accelerator ``type`` to the caller. Apple GPUs on Asahi Linux are platform
devices without PCI ids: they are recognised by the ``asahi`` DRM driver and
named from the SoC id in the device tree.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

VENDOR_NVIDIA = "0x10de"
VENDOR_AMD = "0x1002"
VENDOR_INTEL = "0x8086"
VENDOR_APPLE = "0x106b"

VENDORS = {
    VENDOR_NVIDIA: "nvidia",
    VENDOR_AMD: "amd",
    VENDOR_INTEL: "intel",
    VENDOR_APPLE: "apple",
}

VENDOR_LABELS = {"nvidia": "NVIDIA", "amd": "AMD", "intel": "Intel", "apple": "Apple"}

# Display functions that are never compute accelerators: emulated or
# paravirtual adapters and server BMC graphics. They stay in
# list_pci_devices() (NFD labels want them) but are not GPUs here.
NON_ACCELERATOR_VENDORS = {
    "0x1234": "QEMU/Bochs standard VGA",
    "0x1af4": "virtio",
    "0x1b36": "QEMU (QXL)",
    "0x15ad": "VMware SVGA",
    "0x80ee": "VirtualBox VGA",
    "0x1414": "Hyper-V synthetic video",
    "0x1013": "Cirrus Logic (emulated)",
    "0x1a03": "ASPEED BMC graphics",
    "0x102b": "Matrox BMC graphics",
}

NON_ACCELERATOR_DRIVERS = frozenset([
    "bochs-drm", "bochs", "virtio-pci", "virtio_gpu", "virtio-gpu", "qxl", "vmwgfx", "vboxvideo",
    "cirrus", "cirrus-qemu", "hyperv_drm", "hyperv-drm", "ast", "mgag200", "simpledrm",
    "simple-framebuffer", "efifb", "vesafb", "udl", "vkms", "vgem",
    # Apple display controller on Asahi: scan-out only, the GPU is "asahi".
    "apple", "apple-drm",
])

APPLE_GPU_DRIVERS = frozenset(["asahi"])

# SoC ids from the device tree's root "compatible" list.
APPLE_SOCS = {
    "t8103": "Apple M1",
    "t6000": "Apple M1 Pro",
    "t6001": "Apple M1 Max",
    "t6002": "Apple M1 Ultra",
    "t8112": "Apple M2",
    "t6020": "Apple M2 Pro",
    "t6021": "Apple M2 Max",
    "t6022": "Apple M2 Ultra",
}

DEVICE_TREE_COMPATIBLE = ("/proc/device-tree/compatible", "/sys/firmware/devicetree/base/compatible")

PCI_IDS_FILES = ("/usr/share/hwdata/pci.ids", "/usr/share/misc/pci.ids", "/usr/share/pci.ids")

_PCI_ADDRESS = re.compile(r"^([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")
_CARD = re.compile(r"^card\d+$")
_RENDER = re.compile(r"^renderD\d+$")


def new_device(**values):
    """One accelerator record with every key present (None where unknown)."""
    record = {
        "index": None,
        "type": "unknown",
        "vendor": "other",
        "vendorId": None,
        "deviceId": None,
        "name": "",
        "uuid": None,
        "memoryBytes": None,
        "unifiedMemory": False,
        "computeCapability": None,
        "architecture": None,
        "pciAddress": None,
        "driver": None,
        "renderNode": None,
        "mig": None,
        "source": "sysfs",
    }
    record.update(values)
    return record


def normalize_pci_address(value):
    """``00000000:07:00.0`` (NVIDIA style) -> ``0000:07:00.0`` (sysfs style)."""
    if not value:
        return None
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)
    match = _PCI_ADDRESS.match(text.strip().rstrip("\x00"))
    if not match:
        return None
    domain, bus, device, function = match.groups()
    return "%04x:%s:%s.%s" % (int(domain, 16), bus.lower(), device.lower(), function)


def _hex_id(value, width):
    """Normalise ``0x10DE`` / ``10de`` to ``0x10de`` (zero-padded to width)."""
    if value is None:
        return None
    text = value.strip().lower()
    if text.startswith("0x"):
        text = text[2:]
    try:
        return "0x%0*x" % (width, int(text, 16))
    except ValueError:
        return None


def vendor_name(vendor_id):
    return VENDORS.get(vendor_id, "other")


def is_display_or_accelerator_class(class_id):
    """PCI base class 0x03 (display) or 0x12 (processing accelerator)."""
    return bool(class_id) and (class_id.startswith("0x03") or class_id.startswith("0x12"))


def is_non_accelerator(vendor_id, driver):
    return vendor_id in NON_ACCELERATOR_VENDORS or (driver in NON_ACCELERATOR_DRIVERS)


# -- PCI ----------------------------------------------------------------
def list_pci_devices(ctx):
    """Every PCI function: [{address, vendorId, deviceId, classId, driver}].

    ``classId`` is the 24-bit class code as ``0x030200``. Sorted by address.
    """
    devices = []
    base = "/sys/bus/pci/devices"
    for address in ctx.listdir(base):
        path = "%s/%s" % (base, address)
        devices.append({
            "address": normalize_pci_address(address) or address,
            "vendorId": _hex_id(ctx.read_value(path + "/vendor"), 4),
            "deviceId": _hex_id(ctx.read_value(path + "/device"), 4),
            "classId": _hex_id(ctx.read_value(path + "/class"), 6),
            "driver": ctx.readlink_name(path + "/driver"),
        })
    devices.sort(key=lambda d: d["address"])
    return devices


class PciIds:
    """Names from the pci.ids database when the node ships one (read lazily,
    only the vendors asked for)."""

    def __init__(self, ctx):
        self._ctx = ctx
        self._lines = None
        self._cache = {}

    def _load(self):
        if self._lines is None:
            self._lines = []
            for candidate in PCI_IDS_FILES:
                text = self._ctx.read_text(candidate)
                if text:
                    self._lines = text.splitlines()
                    break
        return self._lines

    def lookup(self, vendor_id, device_id):
        """Device name for (``0x10de``, ``0x20b0``) or None."""
        if not vendor_id or not device_id:
            return None
        key = (vendor_id, device_id)
        if key in self._cache:
            return self._cache[key]
        lines = self._load()
        name = None
        if lines:
            vendor = vendor_id[2:]
            device = device_id[2:]
            in_vendor = False
            for line in lines:
                if not line or line.startswith("#"):
                    continue
                if not line.startswith("\t"):
                    if in_vendor:
                        break
                    in_vendor = line[:4].lower() == vendor and line[4:6] == "  "
                    continue
                if in_vendor and not line.startswith("\t\t") and line[1:5].lower() == device:
                    name = line[5:].strip()
                    break
        self._cache[key] = name
        return name


# -- Apple / device tree --------------------------------------------------
def apple_soc(ctx):
    """(soc id, marketing name) from the device tree, or (None, None)."""
    for path in DEVICE_TREE_COMPATIBLE:
        data = ctx.read_bytes(path)
        if not data:
            continue
        entries = [e for e in data.decode("utf-8", "replace").split("\x00") if e]
        for entry in entries:
            if entry.startswith("apple,t"):
                soc = entry.split(",", 1)[1]
                if soc in APPLE_SOCS:
                    return soc, APPLE_SOCS[soc]
        for entry in entries:
            if entry.startswith("apple,t"):
                return entry.split(",", 1)[1], None
        return None, None
    return None, None


# -- DRM ----------------------------------------------------------------
def _render_nodes_of(ctx, device_path):
    return ["/dev/dri/" + n for n in ctx.listdir(device_path + "/drm") if _RENDER.match(n)]


def list_drm_devices(ctx):
    """DRM cards and render nodes grouped by the device they belong to.

    Returns [{devicePath, pciAddress, vendorId, deviceId, classId, driver,
    subsystem, cards: [...], renderNodes: [...]}] in first-seen order.
    Connector entries such as ``card0-HDMI-A-1`` are skipped.
    """
    groups = []
    by_path = {}
    for entry in ctx.listdir("/sys/class/drm"):
        is_card = bool(_CARD.match(entry))
        if not is_card and not _RENDER.match(entry):
            continue
        link = "/sys/class/drm/%s/device" % entry
        if not ctx.exists(link):
            continue
        try:
            real = ctx.resolve(link)
        except OSError as exc:
            ctx.warn("cannot resolve %s: %s" % (link, exc))
            continue
        group = by_path.get(real)
        if group is None:
            address = real.rsplit("/", 1)[-1]
            group = {
                "devicePath": real,
                "pciAddress": normalize_pci_address(address),
                "vendorId": _hex_id(ctx.read_value(real + "/vendor"), 4),
                "deviceId": _hex_id(ctx.read_value(real + "/device"), 4),
                "classId": _hex_id(ctx.read_value(real + "/class"), 6),
                "driver": ctx.readlink_name(real + "/driver"),
                "subsystem": ctx.readlink_name(real + "/subsystem"),
                "cards": [],
                "renderNodes": [],
            }
            by_path[real] = group
            groups.append(group)
            for node in _render_nodes_of(ctx, real):
                if node not in group["renderNodes"]:
                    group["renderNodes"].append(node)
        if is_card:
            group["cards"].append(entry)
        else:
            node = "/dev/dri/" + entry
            if node not in group["renderNodes"]:
                group["renderNodes"].append(node)
    for group in groups:
        group["renderNodes"].sort(key=_node_number)
    return groups


def _node_number(path):
    digits = re.sub(r"\D", "", path.rsplit("/", 1)[-1])
    return int(digits) if digits else 0


def _pci_name(pci_ids, vendor, vendor_id, device_id):
    label = VENDOR_LABELS.get(vendor, "PCI")
    name = pci_ids.lookup(vendor_id, device_id)
    if name:
        return "%s %s" % (label, name)
    if vendor_id and device_id:
        return "%s GPU [%s:%s]" % (label, vendor_id[2:], device_id[2:])
    return "%s GPU" % label


def _describe_pci(ctx, pci_ids, address, vendor_id, device_id, driver, sysfs_path, render_nodes):
    vendor = vendor_name(vendor_id)
    name = None
    if vendor == "amd" and sysfs_path:
        name = ctx.read_value(sysfs_path + "/product_name") or None
        if name:
            name = "AMD " + name if not name.upper().startswith("AMD") else name
    record = new_device(
        vendor=vendor, vendorId=vendor_id, deviceId=device_id,
        name=name or _pci_name(pci_ids, vendor, vendor_id, device_id),
        pciAddress=address, driver=driver,
        renderNode=render_nodes[0] if render_nodes else None,
        source="sysfs",
    )
    if vendor == "amd" and sysfs_path:
        record["memoryBytes"] = ctx.read_int(sysfs_path + "/mem_info_vram_total")
    if vendor == "intel" and address and address.endswith(":00:02.0"):
        # Intel puts its integrated GPU at 00:02.0; it shares system memory.
        record["unifiedMemory"] = True
    return record


def _describe_apple(ctx, group):
    soc, soc_name = apple_soc(ctx)
    if soc_name:
        name = "%s GPU (AGX)" % soc_name
        source = "device-tree+sysfs"
    elif soc:
        name = "Apple GPU (AGX, %s)" % soc
        source = "device-tree+sysfs"
    else:
        ctx.warn("Apple GPU found (driver %s) but the device tree names no known SoC" % group["driver"])
        name = "Apple GPU (AGX)"
        source = "sysfs"
    return new_device(
        vendor="apple", name=name, unifiedMemory=True, memoryBytes=None,
        driver=group["driver"],
        renderNode=group["renderNodes"][0] if group["renderNodes"] else None,
        source=source,
    )


def collect_sysfs_gpus(ctx, pci_devices=None):
    """GPU records found in sysfs (``type`` left as "unknown").

    ``pci_devices`` is list_pci_devices(ctx) when the caller already has it.
    Order: DRM devices first (as listed), then PCI display/accelerator
    functions that have no DRM device (e.g. an NVIDIA GPU with no driver).
    """
    if pci_devices is None:
        pci_devices = list_pci_devices(ctx)
    pci_ids = PciIds(ctx)
    records = []
    seen_addresses = set()
    for group in list_drm_devices(ctx):
        if group["pciAddress"]:
            seen_addresses.add(group["pciAddress"])
        driver = group["driver"]
        if driver in APPLE_GPU_DRIVERS:
            records.append(_describe_apple(ctx, group))
            continue
        if is_non_accelerator(group["vendorId"], driver):
            continue
        if group["pciAddress"] is None:
            if not group["renderNodes"]:
                continue  # a platform display controller with nothing to render on
            records.append(new_device(
                name="%s GPU" % (driver or "unknown"), driver=driver,
                renderNode=group["renderNodes"][0], source="sysfs"))
            continue
        if group["classId"] and not is_display_or_accelerator_class(group["classId"]):
            continue
        records.append(_describe_pci(
            ctx, pci_ids, group["pciAddress"], group["vendorId"], group["deviceId"], driver,
            group["devicePath"], group["renderNodes"]))
    for pci in pci_devices:
        if pci["address"] in seen_addresses or not is_display_or_accelerator_class(pci["classId"]):
            continue
        if is_non_accelerator(pci["vendorId"], pci["driver"]):
            continue
        path = "/sys/bus/pci/devices/" + pci["address"]
        records.append(_describe_pci(
            ctx, pci_ids, pci["address"], pci["vendorId"], pci["deviceId"], pci["driver"], path, []))
    return records
