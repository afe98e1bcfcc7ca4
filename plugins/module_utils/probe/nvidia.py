# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NVIDIA GPUs through NVML (a pynvml-compatible module) or, when NVML cannot
start, through ``nvidia-smi -q -x``.

Both paths produce the same accelerator records (see gpu_sysfs.new_device)
plus the driver and CUDA driver versions. ``parse_nvidia_smi_xml`` is a pure
function over the XML text and understands the v11 and v12 document
schemas (``nvsmi_device_v11.dtd`` / ``nvsmi_device_v12.dtd``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.gpu_sysfs import (
    VENDOR_NVIDIA,
    new_device,
    normalize_pci_address,
)

MIB = 1048576

# nvmlReturn_t codes (the pynvml exceptions carry them in ``.value``).
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13

NVML_DEVICE_MIG_ENABLE = 1

SOURCE_NVML = "pynvml"
SOURCE_SMI = "nvidia-smi -q -x"
SMI_XML_ARGV = ["nvidia-smi", "-q", "-x"]
SMI_COMPUTE_CAP_ARGV = ["nvidia-smi", "--query-gpu=pci.bus_id,compute_cap", "--format=csv,noheader"]
SMI_TIMEOUT_SECONDS = 60

# nvmlDeviceArchitecture_t
NVML_ARCHITECTURES = {
    2: "Kepler", 3: "Maxwell", 4: "Pascal", 5: "Volta", 6: "Turing",
    7: "Ampere", 8: "Ada Lovelace", 9: "Hopper", 10: "Blackwell", 11: "Orin",
}

# CUDA compute capability -> architecture, for sources that give only one.
_CC_ARCHITECTURES = (
    ((3, None), "Kepler"), ((5, None), "Maxwell"), ((6, None), "Pascal"),
    ((7, 0), "Volta"), ((7, 2), "Volta"), ((7, 5), "Turing"),
    ((8, 0), "Ampere"), ((8, 6), "Ampere"), ((8, 7), "Ampere"), ((8, 9), "Ada Lovelace"),
    ((9, None), "Hopper"), ((10, None), "Blackwell"), ((12, None), "Blackwell"),
)

_NOT_AVAILABLE = frozenset(["", "n/a", "[n/a]", "not supported", "[not supported]", "unknown error",
                            "[unknown error]", "insufficient permissions", "[insufficient permissions]",
                            "requested functionality has been deprecated", "none"])
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B|B)?\s*$", re.IGNORECASE)
_SIZE_FACTORS = {"b": 1, "kib": 1024, "mib": MIB, "gib": 1024 * MIB, "tib": 1024 * 1024 * MIB,
                 "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3, "tb": 1000 ** 4}
_SCHEMA = re.compile(r"nvsmi_device_v(\d+)\.dtd")
_CC = re.compile(r"^\s*(\d+)\.(\d+)\s*$")


# -- small helpers ------------------------------------------------------
def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value).strip().rstrip("\x00")
    return value


def _available(value):
    value = _text(value)
    if value is None or value.lower() in _NOT_AVAILABLE:
        return None
    return value


def parse_size(value):
    """``40960 MiB`` -> bytes; None for N/A or anything unparsable."""
    value = _available(value)
    if value is None:
        return None
    match = _SIZE.match(value)
    if not match:
        return None
    number, unit = match.groups()
    factor = _SIZE_FACTORS.get((unit or "MiB").lower())
    if factor is None:
        return None
    return int(round(float(number) * factor))


def cuda_version_text(value):
    """NVML's CUDA driver version int (11060) -> "11.6"."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    return "%d.%d" % (number // 1000, (number % 1000) // 10)


def architecture_from_cc(cc):
    match = _CC.match(cc or "")
    if not match:
        return None
    major, minor = int(match.group(1)), int(match.group(2))
    for (a_major, a_minor), name in _CC_ARCHITECTURES:
        if a_major == major and (a_minor is None or a_minor == minor):
            return name
    return None


def _device_id_from_pci_id(value):
    """NVIDIA's combined PCI id (0x20B010DE or "20B010DE") -> ("0x10de", "0x20b0")."""
    if value is None:
        return None, None
    try:
        number = value if isinstance(value, int) else int(_text(value), 16)
    except (TypeError, ValueError):
        return None, None
    if number <= 0:
        return None, None
    return "0x%04x" % (number & 0xFFFF), "0x%04x" % ((number >> 16) & 0xFFFF)


def _mode(value):
    value = _available(value)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("enabled", "disabled"):
        return lowered
    return None


def _int(value):
    value = _available(value)
    if value is None:
        return None
    try:
        return int(value, 0) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return None


def _nvidia_device(**values):
    record = new_device(vendor="nvidia", vendorId=VENDOR_NVIDIA, type="cuda", driver="nvidia")
    record.update(values)
    return record


# -- nvidia-smi XML -----------------------------------------------------
def _find_text(element, *paths):
    for path in paths:
        found = element.find(path)
        if found is not None and found.text is not None:
            return found.text
    return None


def _compute_capability_from_xml(gpu):
    raw = _available(_find_text(gpu, "compute_cap", "compute_capability", "cuda_compute_capability"))
    if raw:
        match = _CC.match(raw)
        if match:
            return "%d.%d" % (int(match.group(1)), int(match.group(2)))
    node = gpu.find("compute_capability")
    if node is not None:
        major, minor = _int(_find_text(node, "major")), _int(_find_text(node, "minor"))
        if major is not None and minor is not None:
            return "%d.%d" % (major, minor)
    return None


def _mig_from_xml(gpu):
    mode_node = gpu.find("mig_mode")
    if mode_node is None:
        return None
    current = _mode(_find_text(mode_node, "current_mig"))
    if current is None:
        return None
    instances = []
    devices_node = gpu.find("mig_devices")
    if devices_node is not None:
        for position, mig in enumerate(devices_node.findall("mig_device")):
            index = _int(_find_text(mig, "index"))
            instances.append({
                "index": position if index is None else index,
                "uuid": _available(_find_text(mig, "uuid", "mig_uuid")),
                "name": _available(_find_text(mig, "name", "product_name")),
                "memoryBytes": parse_size(_find_text(mig, "fb_memory_usage/total")),
                "gpuInstanceId": _int(_find_text(mig, "gpu_instance_id")),
                "computeInstanceId": _int(_find_text(mig, "compute_instance_id")),
            })
    return {
        "mode": current,
        "pendingMode": _mode(_find_text(mode_node, "pending_mig")),
        "instances": instances,
    }


def parse_nvidia_smi_xml(text):
    """Parse ``nvidia-smi -q -x`` output (schema v11 or v12).

    Returns {"schema": "v11"|"v12"|None, "driverVersion", "cudaDriverVersion",
    "devices": [accelerator records, source "nvidia-smi -q -x"]}.
    Raises ValueError when the text is not an nvidia-smi XML log.
    """
    if text is None:
        raise ValueError("no output")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    start = text.find("<?xml")
    if start < 0:
        start = text.find("<nvidia_smi_log")
    if start < 0:
        raise ValueError("no <nvidia_smi_log> document in the output")
    document = text[start:]
    schema_match = _SCHEMA.search(document[:400])
    root = problem = None
    try:
        root = ET.fromstring(document.encode("utf-8"))
    except ET.ParseError as exc:
        problem = "malformed XML: %s" % exc
    if root is None:
        raise ValueError(problem or "empty document")
    if root.tag != "nvidia_smi_log":
        raise ValueError("root element is <%s>, not <nvidia_smi_log>" % root.tag)

    devices = []
    for position, gpu in enumerate(root.findall("gpu")):
        pci_address = normalize_pci_address(_find_text(gpu, "pci/pci_bus_id")) or normalize_pci_address(gpu.get("id"))
        vendor_id, device_id = _device_id_from_pci_id(_available(_find_text(gpu, "pci/pci_device_id")))
        cc = _compute_capability_from_xml(gpu)
        architecture = _available(_find_text(gpu, "product_architecture")) or architecture_from_cc(cc)
        devices.append(_nvidia_device(
            index=position,
            vendorId=vendor_id or VENDOR_NVIDIA,
            deviceId=device_id,
            name=_available(_find_text(gpu, "product_name")) or "NVIDIA GPU",
            uuid=_available(_find_text(gpu, "uuid")),
            memoryBytes=parse_size(_find_text(gpu, "fb_memory_usage/total")),
            computeCapability=cc,
            architecture=architecture,
            pciAddress=pci_address,
            mig=_mig_from_xml(gpu),
            source=SOURCE_SMI,
        ))
    return {
        "schema": ("v%s" % schema_match.group(1)) if schema_match else None,
        "driverVersion": _available(_find_text(root, "driver_version")),
        "cudaDriverVersion": _available(_find_text(root, "cuda_version")),
        "devices": devices,
    }


def parse_compute_cap_csv(text):
    """``nvidia-smi --query-gpu=pci.bus_id,compute_cap`` CSV -> {pci address: "8.0"}."""
    result = {}
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2:
            continue
        address = normalize_pci_address(parts[0])
        match = _CC.match(parts[1])
        if address and match:
            result[address] = "%d.%d" % (int(match.group(1)), int(match.group(2)))
    return result


def _first_line(result):
    lines = (result.stderr or result.stdout or "").strip().splitlines()
    return lines[0][:200] if lines else ""


def _collect_smi(ctx):
    result = ctx.run(SMI_XML_ARGV, timeout=SMI_TIMEOUT_SECONDS)
    if result is None:
        return None
    if not result.ok:
        ctx.warn("nvidia-smi -q -x failed (rc=%s): %s" % (result.rc, _first_line(result)))
        return None
    try:
        parsed = parse_nvidia_smi_xml(result.stdout)
    except ValueError as exc:
        ctx.warn("nvidia-smi -q -x output could not be parsed: %s" % exc)
        return None
    devices = parsed["devices"]
    if any(d["computeCapability"] is None for d in devices):
        # -q -x does not carry the compute capability; the CSV query does
        # (drivers 510 and later).
        cc_result = ctx.run(SMI_COMPUTE_CAP_ARGV, timeout=SMI_TIMEOUT_SECONDS)
        if cc_result is not None and cc_result.ok:
            by_address = parse_compute_cap_csv(cc_result.stdout)
            for device in devices:
                cc = by_address.get(device["pciAddress"])
                if device["computeCapability"] is None and cc:
                    device["computeCapability"] = cc
                    device["architecture"] = device["architecture"] or architecture_from_cc(cc)
    return {
        "source": SOURCE_SMI,
        "nvidia": {
            "driverVersion": parsed["driverVersion"],
            "cudaDriverVersion": parsed["cudaDriverVersion"],
            "source": SOURCE_SMI,
        },
        "devices": devices,
    }


# -- NVML ---------------------------------------------------------------
def _nvml_code(exc):
    value = getattr(exc, "value", None)
    return value if isinstance(value, int) else None


def _nvml_error_text(exc):
    code = _nvml_code(exc)
    message = str(exc) or exc.__class__.__name__
    return "%s (NVML error %s)" % (message, code) if code is not None else message


class _NvmlReader:
    """Calls into a pynvml-compatible module; every query is optional."""

    def __init__(self, ctx, nvml):
        self.ctx = ctx
        self.nvml = nvml

    def ask(self, function_name, *args, **options):
        """The function's answer, or None when it is missing or fails.

        NotSupported/NotFound (and the codes in ``quiet``) are silent; any
        other failure is a warning naming the call.
        """
        function = getattr(self.nvml, function_name, None)
        if function is None:
            return None
        try:
            return function(*args)
        except Exception as exc:  # pynvml raises NVMLError subclasses (and ctypes errors)
            quiet = options.get("quiet", ()) + (NVML_ERROR_NOT_SUPPORTED, NVML_ERROR_NOT_FOUND,
                                                NVML_ERROR_FUNCTION_NOT_FOUND)
            if _nvml_code(exc) not in quiet:
                self.ctx.warn("NVML %s failed: %s" % (function_name, _nvml_error_text(exc)))
            return None

    def mig(self, handle):
        function = getattr(self.nvml, "nvmlDeviceGetMigMode", None)
        if function is None:
            return None
        try:
            modes = function(handle)
        except Exception as exc:
            if _nvml_code(exc) != NVML_ERROR_NOT_SUPPORTED:
                self.ctx.warn("NVML nvmlDeviceGetMigMode failed: %s" % _nvml_error_text(exc))
            return None
        try:
            current, pending = modes[0], modes[1]
        except (TypeError, IndexError):
            return None
        enabled = current == NVML_DEVICE_MIG_ENABLE
        mig = {
            "mode": "enabled" if enabled else "disabled",
            "pendingMode": None if pending is None else ("enabled" if pending == NVML_DEVICE_MIG_ENABLE else "disabled"),
            "instances": [],
        }
        if not enabled:
            return mig
        slots = self.ask("nvmlDeviceGetMaxMigDeviceCount", handle) or 0
        for slot in range(int(slots)):
            mig_handle = self.ask("nvmlDeviceGetMigDeviceHandleByIndex", handle, slot)
            if mig_handle is None:
                continue  # an empty slot raises NotFound
            memory = self.ask("nvmlDeviceGetMemoryInfo", mig_handle)
            mig["instances"].append({
                "index": slot,
                "uuid": _available(self.ask("nvmlDeviceGetUUID", mig_handle)),
                "name": _available(self.ask("nvmlDeviceGetName", mig_handle)),
                "memoryBytes": _memory_total(memory),
                "gpuInstanceId": _int_or_none(self.ask("nvmlDeviceGetGpuInstanceId", mig_handle)),
                "computeInstanceId": _int_or_none(self.ask("nvmlDeviceGetComputeInstanceId", mig_handle)),
            })
        return mig

    def device(self, index):
        handle = self.nvml.nvmlDeviceGetHandleByIndex(index)
        memory = self.ask("nvmlDeviceGetMemoryInfo", handle)
        cc = None
        capability = self.ask("nvmlDeviceGetCudaComputeCapability", handle)
        if capability is not None:
            try:
                cc = "%d.%d" % (int(capability[0]), int(capability[1]))
            except (TypeError, ValueError, IndexError):
                cc = None
        architecture = NVML_ARCHITECTURES.get(self.ask("nvmlDeviceGetArchitecture", handle))
        pci = self.ask("nvmlDeviceGetPciInfo", handle)
        pci_address = vendor_id = device_id = None
        if pci is not None:
            pci_address = normalize_pci_address(getattr(pci, "busId", None)) or normalize_pci_address(
                getattr(pci, "busIdLegacy", None))
            vendor_id, device_id = _device_id_from_pci_id(getattr(pci, "pciDeviceId", None))
        return _nvidia_device(
            index=index,
            vendorId=vendor_id or VENDOR_NVIDIA,
            deviceId=device_id,
            name=_available(self.ask("nvmlDeviceGetName", handle)) or "NVIDIA GPU",
            uuid=_available(self.ask("nvmlDeviceGetUUID", handle)),
            memoryBytes=_memory_total(memory),
            computeCapability=cc,
            architecture=architecture or architecture_from_cc(cc),
            pciAddress=pci_address,
            mig=self.mig(handle),
            source=SOURCE_NVML,
        )


def _memory_total(memory):
    total = getattr(memory, "total", None)
    return _int_or_none(total)


def _int_or_none(value):
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _collect_nvml(ctx, nvml):
    try:
        nvml.nvmlInit()
    except Exception as exc:
        ctx.warn("NVML could not start: %s; falling back to nvidia-smi" % _nvml_error_text(exc))
        return None
    reader = _NvmlReader(ctx, nvml)
    try:
        driver = _available(reader.ask("nvmlSystemGetDriverVersion"))
        cuda = cuda_version_text(reader.ask("nvmlSystemGetCudaDriverVersion"))
        try:
            count = int(nvml.nvmlDeviceGetCount())
        except Exception as exc:
            ctx.warn("NVML nvmlDeviceGetCount failed: %s; falling back to nvidia-smi" % _nvml_error_text(exc))
            return None
        devices = []
        for index in range(count):
            try:
                devices.append(reader.device(index))
            except Exception as exc:
                ctx.warn("NVML could not read GPU %d: %s" % (index, _nvml_error_text(exc)))
        return {
            "source": SOURCE_NVML,
            "nvidia": {"driverVersion": driver, "cudaDriverVersion": cuda, "source": SOURCE_NVML},
            "devices": devices,
        }
    finally:
        try:
            nvml.nvmlShutdown()
        except Exception as exc:
            ctx.warn("NVML nvmlShutdown failed: %s" % _nvml_error_text(exc))


def collect_nvidia(ctx):
    """NVIDIA GPUs and driver versions.

    Returns {"source": "pynvml"|"nvidia-smi -q -x", "nvidia": {driverVersion,
    cudaDriverVersion, source}, "devices": [...]} or None when neither NVML
    nor nvidia-smi answered. Never raises.
    """
    try:
        if ctx.nvml is not None:
            found = _collect_nvml(ctx, ctx.nvml)
            if found is not None:
                return found
        return _collect_smi(ctx)
    except Exception as exc:  # a collector never raises
        ctx.warn("NVIDIA probe failed: %s" % exc)
        return None
