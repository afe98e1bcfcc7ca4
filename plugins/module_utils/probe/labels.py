# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node labels in the conventions Kubernetes tooling already reads.

- Node Feature Discovery (``feature.node.kubernetes.io/…``): CPU flags and
  model, kernel version, PCI device classes present, os-release.
- GPU Feature Discovery (``nvidia.com/…``): product, count, memory (MiB),
  compute capability, driver and CUDA versions, MIG capability.
- Our own (``agent-machine.sourceos.io/…``): profile and accelerator types.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

NFD = "feature.node.kubernetes.io/"
OWN = "agent-machine.sourceos.io/"
# NFD's default PCI class whitelist: display controllers, co-processors,
# processing accelerators.
NFD_PCI_CLASSES = ("03", "0b40", "12")
NFD_CPU_VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}
MIB = 1024 * 1024
_LABEL_VALUE_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def label_value(value):
    """A valid Kubernetes label value: ≤63 chars of [A-Za-z0-9._-],
    starting and ending alphanumeric; spaces become '-'."""
    text = _LABEL_VALUE_BAD.sub("-", str(value).strip())
    return text[:63].strip("-._")


def build_labels(host, cpu, accelerators, pci_devices, profile):
    labels = {}
    labels.update(_cpu_labels(cpu or {}))
    labels.update(_kernel_labels((host or {}).get("kernel") or {}))
    labels.update(_os_labels((host or {}).get("os") or {}))
    labels.update(_pci_labels(pci_devices or []))
    labels.update(_nvidia_labels(accelerators or {}))
    labels.update(_own_labels(accelerators or {}, profile or {}))
    return dict(sorted((key, label_value(value)) for key, value in labels.items() if label_value(value)))


def _cpu_labels(cpu):
    labels = {}
    for flag in cpu.get("flags") or []:
        labels[NFD + "cpu-cpuid." + flag.upper()] = "true"
    vendor = cpu.get("vendor")
    if vendor:
        labels[NFD + "cpu-model.vendor_id"] = NFD_CPU_VENDORS.get(vendor, vendor)
    if cpu.get("family") is not None:
        labels[NFD + "cpu-model.family"] = cpu["family"]
    if cpu.get("modelId") is not None:
        labels[NFD + "cpu-model.id"] = cpu["modelId"]
    return labels


def _kernel_labels(kernel):
    release = kernel.get("release")
    if not release:
        return {}
    labels = {NFD + "kernel-version.full": release}
    numbers = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", release)
    if numbers:
        labels[NFD + "kernel-version.major"] = numbers.group(1)
        labels[NFD + "kernel-version.minor"] = numbers.group(2)
        if numbers.group(3) is not None:
            labels[NFD + "kernel-version.revision"] = numbers.group(3)
    return labels


def _os_labels(os_release):
    labels = {}
    if os_release.get("id"):
        labels[NFD + "system-os_release.ID"] = os_release["id"]
    version_id = os_release.get("versionId")
    if version_id:
        labels[NFD + "system-os_release.VERSION_ID"] = version_id
        pieces = version_id.split(".")
        labels[NFD + "system-os_release.VERSION_ID.major"] = pieces[0]
        if len(pieces) > 1:
            labels[NFD + "system-os_release.VERSION_ID.minor"] = pieces[1]
    return labels


def _pci_labels(pci_devices):
    labels = {}
    for device in pci_devices:
        class_id = (device.get("classId") or "").lower().replace("0x", "")
        vendor_id = (device.get("vendorId") or "").lower().replace("0x", "")
        if len(class_id) < 4 or len(vendor_id) != 4:
            continue
        class4 = class_id[:4]
        if class4.startswith(NFD_PCI_CLASSES[0]) or class4 == NFD_PCI_CLASSES[1] or class4.startswith(NFD_PCI_CLASSES[2]):
            labels["%spci-%s_%s.present" % (NFD, class4, vendor_id)] = "true"
    return labels


def _nvidia_labels(accelerators):
    gpus = [d for d in accelerators.get("devices") or [] if d.get("vendor") == "nvidia" and d.get("type") == "cuda"]
    if not gpus:
        return {}
    first = gpus[0]
    labels = {
        "nvidia.com/gpu.count": str(len(gpus)),
        "nvidia.com/gpu.product": (first.get("name") or "unknown").replace(" ", "-"),
        "nvidia.com/mig.capable": "true" if any(g.get("mig") for g in gpus) else "false",
    }
    if first.get("memoryBytes"):
        labels["nvidia.com/gpu.memory"] = str(first["memoryBytes"] // MIB)
    capability = first.get("computeCapability")
    if capability and "." in capability:
        major, minor = capability.split(".", 1)
        labels["nvidia.com/gpu.compute.major"] = major
        labels["nvidia.com/gpu.compute.minor"] = minor
    if first.get("architecture"):
        labels["nvidia.com/gpu.family"] = first["architecture"].lower()
    nvidia = accelerators.get("nvidia") or {}
    labels.update(_version_labels("nvidia.com/cuda.driver-version", nvidia.get("driverVersion")))
    labels.update(_version_labels("nvidia.com/cuda.runtime-version", nvidia.get("cudaDriverVersion")))
    return labels


def _version_labels(prefix, version):
    if not version:
        return {}
    labels = {prefix + ".full": version}
    for name, piece in zip(("major", "minor", "revision"), version.split(".")):
        labels["%s.%s" % (prefix, name)] = piece
    return labels


def _own_labels(accelerators, profile):
    labels = {}
    if profile.get("name"):
        labels[OWN + "profile"] = profile["name"]
    for kind, present in sorted((accelerators.get("types") or {}).items()):
        if present:
            labels[OWN + "accelerator." + kind] = "true"
    return labels
