# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The accelerator facts of a node: every GPU with what can drive it.

Combines NVML / nvidia-smi (nvidia.py), the kernel's view in sysfs
(gpu_sysfs.py) and the Vulkan driver manifests and render nodes
(vulkan.py). A device is ``cuda`` only when NVML or nvidia-smi reported it,
``rocm`` when amdgpu drives it and ``/dev/kfd`` exists, ``vulkan`` when a
usable Vulkan driver serves its render node, and ``unknown`` otherwise.
``metal`` is never true on Linux (Asahi's GPU path is Vulkan through Mesa).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.gpu_sysfs import (
    collect_sysfs_gpus,
    list_pci_devices,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.nvidia import (
    SOURCE_NVML,
    collect_nvidia,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.vulkan import (
    collect_vulkan,
    hardware_icds,
    icd_serves,
)

KFD_DEVICE = "/dev/kfd"
ROCM_DRIVERS = frozenset(["amdgpu"])


def _empty_vulkan():
    return {"usable": False, "icds": [], "renderNodes": [], "devices": [], "source": "unavailable"}


def empty_accelerators():
    return {
        "devices": [],
        "nvidia": None,
        "vulkan": _empty_vulkan(),
        "types": {"cpu": True, "cuda": False, "rocm": False, "vulkan": False, "metal": False, "mlx": False},
        "source": "none",
    }


def _vulkan_serves(vulkan, device):
    """A usable hardware Vulkan driver can drive this device's render node."""
    if not vulkan["usable"] or not device["renderNode"]:
        return False
    return any(icd_serves(icd, device["driver"]) for icd in hardware_icds(vulkan["icds"]))


def _merge_sysfs_into(nvidia_device, sysfs_device):
    """Fill what NVML/nvidia-smi lacks from the kernel's view."""
    for key in ("driver", "renderNode", "deviceId"):
        if sysfs_device.get(key) and (nvidia_device.get(key) is None or key == "driver"):
            nvidia_device[key] = sysfs_device[key]


def _sort_key(device):
    return (device["pciAddress"] or "~", device["renderNode"] or "")


def _collect(ctx):
    vulkan = collect_vulkan(ctx)
    nvidia = collect_nvidia(ctx)
    pci_devices = list_pci_devices(ctx)
    sysfs_devices = collect_sysfs_gpus(ctx, pci_devices)
    has_kfd = ctx.exists(KFD_DEVICE)

    nvidia_devices = list(nvidia["devices"]) if nvidia else []
    by_address = dict((d["pciAddress"], d) for d in nvidia_devices if d["pciAddress"])
    others = []
    for device in sysfs_devices:
        match = by_address.get(device["pciAddress"]) if device["pciAddress"] else None
        if match is not None:
            _merge_sysfs_into(match, device)
            continue
        if device["vendor"] == "nvidia":
            ctx.warn("NVIDIA GPU %s is visible in sysfs but neither NVML nor nvidia-smi reported it; "
                     "CUDA is not counted for it" % (device["pciAddress"] or device["name"]))
            device["type"] = "unknown"
        elif device["vendor"] == "amd" and device["driver"] in ROCM_DRIVERS and has_kfd:
            device["type"] = "rocm"
        elif _vulkan_serves(vulkan, device):
            device["type"] = "vulkan"
        else:
            device["type"] = "unknown"
        others.append(device)

    others.sort(key=_sort_key)
    devices = nvidia_devices + others
    for position, device in enumerate(devices):
        device["index"] = position

    types = {
        "cpu": True,
        "cuda": any(d["type"] == "cuda" for d in devices),
        "rocm": any(d["type"] == "rocm" for d in devices),
        "vulkan": bool(vulkan["usable"]),
        "metal": False,
        "mlx": False,
    }

    parts = []
    if nvidia:
        parts.append("pynvml" if nvidia["source"] == SOURCE_NVML else "nvidia-smi")
    if pci_devices or sysfs_devices:
        parts.append("sysfs")
    if any(d["source"] == "device-tree+sysfs" for d in others):
        parts.append("device-tree")
    if vulkan["source"] == "vulkaninfo --summary":
        parts.append("icd+vulkaninfo")
    elif vulkan["source"] == "icd+render-node":
        parts.append("icd")

    return {
        "devices": devices,
        "nvidia": nvidia["nvidia"] if nvidia else None,
        "vulkan": vulkan,
        "types": types,
        "source": "+".join(parts) or "none",
    }


def collect_accelerators(ctx):
    """The ``accelerators`` facts (see the module's RETURN docs). Never raises."""
    try:
        return _collect(ctx)
    except Exception as exc:  # a collector never raises; report what broke
        ctx.warn("accelerator probe failed: %s: %s" % (exc.__class__.__name__, exc))
        return empty_accelerators()
