# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether Vulkan can really run on a node, without needing vulkaninfo.

Vulkan is usable when an installed driver manifest (ICD) for a hardware
driver points at a library that exists, and a hardware DRM render node is
present for that driver. ``vulkaninfo --summary`` is read as well when it
is installed, to list the physical devices; its mere presence proves
nothing.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

# System manifest folders the Vulkan loader searches on Linux, in its order:
# $XDG_CONFIG_DIRS (default /etc/xdg), SYSCONFDIR, EXTRASYSCONFDIR (/etc),
# $XDG_DATA_DIRS (default /usr/local/share:/usr/share).
ICD_DIRS = (
    "/etc/xdg/vulkan/icd.d",
    "/usr/local/etc/vulkan/icd.d",
    "/etc/vulkan/icd.d",
    "/usr/local/share/vulkan/icd.d",
    "/usr/share/vulkan/icd.d",
)

LIBRARY_DIRS = ("/usr/lib64", "/usr/lib", "/lib64", "/lib", "/usr/local/lib64", "/usr/local/lib")

VULKANINFO_ARGV = ["vulkaninfo", "--summary"]

SOFTWARE_ICDS = frozenset(["lvp", "llvmpipe", "swiftshader"])
SOFTWARE_RENDER_DRIVERS = frozenset(["vgem", "vkms"])

# Kernel DRM drivers each Mesa/vendor ICD can drive. An ICD not listed here
# is assumed to be able to drive any hardware render node.
ICD_KERNEL_DRIVERS = {
    "radeon": ("amdgpu", "radeon"),
    "amd": ("amdgpu",),
    "intel": ("i915", "xe"),
    "intel_hasvk": ("i915",),
    "asahi": ("asahi",),
    "nvidia": ("nvidia", "nvidia-drm"),
    "nouveau": ("nouveau",),
    "freedreno": ("msm",),
    "panfrost": ("panfrost", "panthor"),
    "broadcom": ("v3d",),
    "powervr": ("powervr",),
    "virtio": ("virtio-pci", "virtio_gpu"),
}

_GPU_HEADER = re.compile(r"^GPU(\d+):\s*$")
_KEY_VALUE = re.compile(r"^\s+(\w+)\s*=\s*(.*?)\s*$")
_LIB_NAME = re.compile(r"^lib(?:vulkan_|vk_)?([A-Za-z0-9_]+?)(?:_icd)?\.so")


def icd_driver_name(manifest_path, library_path):
    """Short driver name: radeon, intel, asahi, lvp, nvidia, ... or None."""
    library = (library_path or "").rsplit("/", 1)[-1]
    if "nvidia" in library.lower():
        return "nvidia"
    if library.startswith("libvulkan_"):
        match = _LIB_NAME.match(library)
        if match:
            return match.group(1)
    filename = manifest_path.rsplit("/", 1)[-1]
    if filename.endswith(".json"):
        stem = filename[:-5]
        if "_icd" in stem:
            return stem.split("_icd", 1)[0] or None
        return stem.split(".", 1)[0] or None
    return None


def is_software_icd(driver, library_path):
    text = ("%s %s" % (driver or "", library_path or "")).lower()
    return any(name in text for name in SOFTWARE_ICDS)


def _multiarch_dirs(ctx):
    dirs = []
    for base in ("/usr/lib", "/lib"):
        for entry in ctx.listdir(base):
            if re.match(r"^[a-z0-9_]+-linux-[a-z0-9_]+$", entry):
                dirs.append("%s/%s" % (base, entry))
    return dirs


def _ld_conf_dirs(ctx):
    dirs = []
    for conf in ctx.listdir("/etc/ld.so.conf.d"):
        if not conf.endswith(".conf"):
            continue
        text = ctx.read_text("/etc/ld.so.conf.d/" + conf) or ""
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("/"):
                dirs.append(line.rstrip("/"))
    return dirs


def _file_exists(ctx, absolute_path):
    """True when the path, after following symlinks inside the root, exists."""
    try:
        return ctx.exists(ctx.resolve(absolute_path))
    except OSError:
        return False


class _LibraryFinder:
    def __init__(self, ctx):
        self._ctx = ctx
        self._dirs = None

    def search_dirs(self):
        if self._dirs is None:
            seen = []
            for directory in list(LIBRARY_DIRS) + _multiarch_dirs(self._ctx) + _ld_conf_dirs(self._ctx):
                if directory not in seen:
                    seen.append(directory)
            self._dirs = seen
        return self._dirs

    def find(self, library_path, manifest_path):
        """Absolute path of the library inside the probed root, or None."""
        if not library_path:
            return None
        if library_path.startswith("/"):
            return library_path if _file_exists(self._ctx, library_path) else None
        if "/" in library_path:
            # Relative to the manifest's folder (loader rule).
            folder = manifest_path.rsplit("/", 1)[0]
            candidate = "%s/%s" % (folder, library_path)
            return candidate if _file_exists(self._ctx, candidate) else None
        for directory in self.search_dirs():
            candidate = "%s/%s" % (directory, library_path)
            if _file_exists(self._ctx, candidate):
                return candidate
        return None


def list_icds(ctx):
    """Installed ICD manifests with whether their library is present."""
    finder = _LibraryFinder(ctx)
    icds = []
    for directory in ICD_DIRS:
        for filename in ctx.listdir(directory):
            if not filename.endswith(".json"):
                continue
            path = "%s/%s" % (directory, filename)
            text = ctx.read_text(path)
            library_path = api_version = None
            if text is not None:
                try:
                    data = json.loads(text)
                    icd = data.get("ICD") if isinstance(data, dict) else None
                    if isinstance(icd, dict):
                        library_path = icd.get("library_path")
                        api_version = icd.get("api_version")
                    else:
                        ctx.warn("Vulkan ICD manifest %s has no ICD section" % path)
                except ValueError as exc:
                    ctx.warn("Vulkan ICD manifest %s is not valid JSON: %s" % (path, exc))
            library_path = library_path if isinstance(library_path, str) else None
            api_version = api_version if isinstance(api_version, str) else None
            icds.append({
                "path": path,
                "libraryPath": library_path,
                "libraryFound": finder.find(library_path, path) is not None,
                "apiVersion": api_version,
                "driver": icd_driver_name(path, library_path),
            })
    return icds


def list_render_nodes(ctx):
    """``/dev/dri/renderD*`` with their kernel driver (from sysfs)."""
    nodes = []
    names = [n for n in ctx.listdir("/dev/dri") if re.match(r"^renderD\d+$", n)]
    names.sort(key=lambda n: int(n[len("renderD"):]))
    for name in names:
        driver = ctx.readlink_name("/sys/class/drm/%s/device/driver" % name)
        nodes.append({
            "path": "/dev/dri/" + name,
            "driver": driver,
            "software": driver in SOFTWARE_RENDER_DRIVERS,
        })
    return nodes


def icd_serves(icd, render_driver):
    """Whether this (hardware) ICD can drive a render node of that driver."""
    drivers = ICD_KERNEL_DRIVERS.get(icd.get("driver"))
    if drivers is None or render_driver is None:
        return True
    return render_driver in drivers


def hardware_icds(icds):
    return [i for i in icds if i["libraryFound"] and not is_software_icd(i["driver"], i["libraryPath"])]


def parse_vulkaninfo_summary(text):
    """``vulkaninfo --summary`` -> [{name, type, driverName}] (CPU devices skipped)."""
    devices = []
    current = None
    for line in (text or "").splitlines():
        header = _GPU_HEADER.match(line.strip()) if not line.startswith((" ", "\t")) else None
        if header:
            current = {}
            devices.append(current)
            continue
        if current is None:
            continue
        match = _KEY_VALUE.match(line)
        if match:
            current[match.group(1)] = match.group(2)
        elif line.strip() and not line.startswith((" ", "\t")):
            current = None
    result = []
    for raw in devices:
        device_type = raw.get("deviceType")
        if device_type == "PHYSICAL_DEVICE_TYPE_CPU":
            continue
        result.append({
            "name": raw.get("deviceName", ""),
            "type": device_type,
            "driverName": raw.get("driverName"),
        })
    return result


def collect_vulkan(ctx):
    """The ``vulkan`` section of the accelerator facts."""
    icds = list_icds(ctx)
    render_nodes = list_render_nodes(ctx)
    hardware_nodes = [n for n in render_nodes if not n["software"]]
    usable = any(icd_serves(icd, node["driver"]) for icd in hardware_icds(icds) for node in hardware_nodes)

    devices = []
    from_vulkaninfo = False
    if ctx.which("vulkaninfo"):
        result = ctx.run(VULKANINFO_ARGV)
        if result is not None and result.ok:
            devices = parse_vulkaninfo_summary(result.stdout)
            from_vulkaninfo = True
            if devices and not usable and hardware_nodes:
                # The loader itself enumerated a hardware device (e.g. an ICD
                # named by VK_DRIVER_FILES outside the standard folders).
                usable = True
        elif result is not None:
            first = (result.stderr or result.stdout or "").strip().splitlines()
            ctx.warn("vulkaninfo --summary failed (rc=%s)%s" % (result.rc, ": " + first[0][:200] if first else ""))

    if from_vulkaninfo:
        source = "vulkaninfo --summary"
    elif icds or render_nodes:
        source = "icd+render-node"
    else:
        source = "unavailable"
    return {
        "usable": bool(usable),
        "icds": icds,
        "renderNodes": render_nodes,
        "devices": devices,
        "source": source,
    }
