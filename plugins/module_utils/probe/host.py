# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host identity: hostname, OS release, kernel, architecture, page size,
virtualization, device tree and DMI.

Everything is read from files under the probed root. Only a live probe
(root ``/``) may ask the running Python for uname, sysconf or the socket
hostname, because those describe the machine the code runs on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shlex
import socket

OS_RELEASE_PATHS = ("/etc/os-release", "/usr/lib/os-release")
DEVICE_TREE_BASES = ("/proc/device-tree", "/sys/firmware/devicetree/base")
DMI_DIR = "/sys/class/dmi/id"

# systemd-detect-virt identifiers that name a container manager.
CONTAINER_TYPES = frozenset([
    "podman", "docker", "lxc", "lxc-libvirt", "systemd-nspawn", "openvz",
    "rkt", "wsl", "proot", "pouch",
])

# systemd-detect-virt ids renamed to this collection's vocabulary.
_VIRT_ALIASES = {"apple": "apple-vz"}

# (sys_vendor substring, product_name substring or None, type); first match wins.
_DMI_SIGNATURES = (
    ("apple", "virtualization", "apple-vz"),
    ("qemu", None, "qemu"),
    (None, "kvm", "kvm"),
    ("vmware", None, "vmware"),
    ("microsoft", "virtual machine", "microsoft"),
    ("xen", None, "xen"),
    ("innotek", None, "oracle"),
    (None, "virtualbox", "oracle"),
    ("amazon ec2", None, "amazon"),
    ("google", "google compute engine", "google"),
    ("parallels", None, "parallels"),
    ("bochs", None, "bochs"),
)

# Device-tree compatible strings of virtual machine platforms.
_DT_VIRT = {
    "linux,dummy-virt": "qemu",
    "qemu,pseries": "qemu",
    "xen,xen": "xen",
}


def collect_host(ctx):
    """Return the host section of the probe facts; never raises."""
    sources = []
    hostname, hostname_source = _hostname(ctx)
    sources.append(hostname_source)
    arch, arch_source = _arch(ctx)
    sources.append(arch_source)
    page_size, page_source = _page_size(ctx)
    sources.append(page_source)
    model, compatible = read_device_tree(ctx)
    device_tree = None
    if model is not None or compatible:
        device_tree = {"model": model, "compatible": compatible}
    dmi = _dmi(ctx)
    return {
        "hostname": hostname,
        "os": _os_release(ctx),
        "kernel": _kernel(ctx),
        "arch": arch,
        "pageSizeBytes": page_size,
        "virtualization": _virtualization(ctx, compatible, dmi),
        "deviceTree": device_tree,
        "dmi": dmi,
        "source": ", ".join(s for s in sources if s),
    }


# -- hostname ----------------------------------------------------------
def _hostname(ctx):
    value = ctx.read_value("/proc/sys/kernel/hostname")
    if value:
        return value, "/proc/sys/kernel/hostname"
    text = ctx.read_text("/etc/hostname")
    if text:
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                return line, "/etc/hostname"
    if ctx.live:
        try:
            name = socket.gethostname()
        except OSError:
            name = None
        if name:
            return name, "socket.gethostname()"
    ctx.warn("hostname unknown: neither /proc/sys/kernel/hostname nor /etc/hostname is readable")
    return None, "hostname unavailable"


# -- os-release --------------------------------------------------------
def parse_os_release(text):
    """KEY=value pairs of an os-release file, values unquoted."""
    values = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, raw = line.split("=", 1)
        key = key.strip()
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key):
            continue
        values[key] = _unquote(raw.strip())
    return values


def _unquote(raw):
    if not raw:
        return ""
    try:
        return " ".join(shlex.split(raw, comments=False, posix=True))
    except ValueError:
        return raw.strip("\"'")


def _os_release(ctx):
    for path in OS_RELEASE_PATHS:
        text = ctx.read_text(path)
        if text is None:
            continue
        values = parse_os_release(text)
        return {
            "id": values.get("ID") or None,
            "idLike": values.get("ID_LIKE", "").split(),
            "versionId": values.get("VERSION_ID") or None,
            "prettyName": values.get("PRETTY_NAME") or None,
            "variantId": values.get("VARIANT_ID") or None,
            "source": path,
        }
    ctx.warn("os-release is missing (%s)" % ", ".join(OS_RELEASE_PATHS))
    return {"id": None, "idLike": [], "versionId": None, "prettyName": None,
            "variantId": None, "source": "unavailable"}


# -- kernel, arch, page size -------------------------------------------
def _kernel(ctx):
    release = ctx.read_value("/proc/sys/kernel/osrelease")
    version = ctx.read_value("/proc/sys/kernel/version")
    if release or version:
        return {"release": release or None, "version": version or None, "source": "/proc/sys/kernel"}
    if ctx.live:
        uname = os.uname()
        return {"release": uname.release, "version": uname.version, "source": "uname"}
    ctx.warn("kernel release unknown: /proc/sys/kernel/osrelease is missing")
    return {"release": None, "version": None, "source": "unavailable"}


def _arch(ctx):
    value = ctx.read_value("/proc/sys/kernel/arch")
    if value:
        return value, "/proc/sys/kernel/arch"
    if ctx.live:
        return os.uname().machine, "uname"
    # A captured root without the arch file (kernels before 6.1): infer it.
    cpuinfo = ctx.read_text("/proc/cpuinfo") or ""
    if re.search(r"^CPU implementer\s*:", cpuinfo, re.M):
        return "aarch64", "/proc/cpuinfo (inferred)"
    flags = re.search(r"^flags\s*:(.*)$", cpuinfo, re.M)
    if flags:
        return ("x86_64" if " lm" in " " + flags.group(1) + " " else "i686"), "/proc/cpuinfo (inferred)"
    ctx.warn("architecture unknown: /proc/sys/kernel/arch is missing")
    return None, "arch unavailable"


def _page_size(ctx):
    if ctx.live:
        try:
            return int(os.sysconf("SC_PAGESIZE")), "sysconf(SC_PAGESIZE)"
        except (ValueError, OSError, AttributeError):
            pass
    text = ctx.read_text("/proc/self/smaps")
    if text:
        match = re.search(r"^KernelPageSize:\s*(\d+)\s*kB", text, re.M)
        if match:
            return int(match.group(1)) * 1024, "/proc/self/smaps"
    ctx.warn("page size unknown: no KernelPageSize in /proc/self/smaps")
    return None, "page size unavailable"


# -- device tree and DMI -----------------------------------------------
def _dt_read(ctx, name):
    """Raw bytes of a device-tree property, or None when there is no device tree."""
    for base in DEVICE_TREE_BASES:
        path = ctx.resolve(base + "/" + name)
        data = ctx.read_bytes(path)
        if data is not None:
            return data
    return None


def read_device_tree(ctx):
    """(model, [compatible...]) from the device tree; (None, []) without one."""
    model = _dt_read(ctx, "model")
    compatible = _dt_read(ctx, "compatible")
    model_text = None
    if model is not None:
        model_text = model.rstrip(b"\0").replace(b"\0", b" ").decode("utf-8", "replace").strip() or None
    entries = []
    if compatible is not None:
        entries = [c.decode("utf-8", "replace").strip() for c in compatible.split(b"\0")]
        entries = [c for c in entries if c]
    return model_text, entries


def _dmi(ctx):
    values = {}
    for key, name in (("sysVendor", "sys_vendor"), ("productName", "product_name"), ("boardVendor", "board_vendor")):
        value = ctx.read_value(ctx.resolve(DMI_DIR + "/" + name))
        values[key] = value or None
    if not any(values.values()):
        return None
    return values


# -- virtualization ----------------------------------------------------
def _container_name(value):
    value = (value or "").strip().lower()
    if not value:
        return None
    if value in CONTAINER_TYPES:
        return value
    if value.startswith("lxc"):
        return "lxc"
    return "container-other"


def _read_quietly(ctx, absolute_path):
    """Bytes of an optional file that is often root-only; no warning when unreadable."""
    try:
        with open(ctx.path(absolute_path), "rb") as handle:
            return handle.read()
    except (OSError, IOError):
        return None


def _detect_container(ctx):
    if ctx.exists("/run/.containerenv"):
        return "podman", "/run/.containerenv"
    if ctx.exists("/.dockerenv"):
        return "docker", "/.dockerenv"
    environ = _read_quietly(ctx, "/proc/1/environ")
    if environ:
        for entry in environ.split(b"\0"):
            if entry.startswith(b"container="):
                name = _container_name(entry[len(b"container="):].decode("utf-8", "replace"))
                if name:
                    return name, "/proc/1/environ"
    name = _container_name(ctx.read_value("/run/systemd/container"))
    if name:
        return name, "/run/systemd/container"
    return None, None


def _detect_virt_command(ctx):
    """Ask systemd-detect-virt; (type, role) or None when it did not answer."""
    result = ctx.run(["systemd-detect-virt"])
    if result is None:
        return None
    answer = (result.stdout or "").strip().splitlines()
    answer = answer[0].strip().lower() if answer else ""
    if answer == "none":
        return "none", "host"
    if result.ok and answer:
        if answer in CONTAINER_TYPES:
            return answer, "container"
        return _VIRT_ALIASES.get(answer, answer), "guest"
    ctx.warn("systemd-detect-virt failed (rc %s): %s" % (result.rc, (result.stderr or "").strip()[:200]))
    return None


def _has_cpu_flag(cpuinfo, flag):
    for match in re.finditer(r"^flags\s*:(.*)$", cpuinfo, re.M):
        if flag in match.group(1).split():
            return True
    return False


def _dmi_virt(dmi):
    if not dmi:
        return None
    vendor = (dmi.get("sysVendor") or "").lower()
    product = (dmi.get("productName") or "").lower()
    for vendor_part, product_part, kind in _DMI_SIGNATURES:
        if vendor_part is not None and vendor_part not in vendor:
            continue
        if product_part is not None and product_part not in product:
            continue
        return kind
    return None


def _virtualization(ctx, compatible, dmi):
    kind, source = _detect_container(ctx)
    if kind:
        return {"type": kind, "role": "container", "source": source}
    detected = _detect_virt_command(ctx)
    if detected is not None:
        return {"type": detected[0], "role": detected[1], "source": "systemd-detect-virt"}

    cpuinfo = ctx.read_text("/proc/cpuinfo") or ""
    hypervisor_flag = _has_cpu_flag(cpuinfo, "hypervisor")
    dmi_kind = _dmi_virt(dmi)
    clocksources = (ctx.read_value("/sys/devices/system/clocksource/clocksource0/available_clocksource") or "").split()
    if hypervisor_flag and ("kvm-clock" in clocksources or dmi_kind in ("qemu", "kvm")):
        # QEMU with KVM acceleration: the CPU reports a hypervisor and the
        # guest has the KVM paravirtual clock (or QEMU firmware).
        source = "/proc/cpuinfo, " + ("/sys/devices/system/clocksource" if "kvm-clock" in clocksources else DMI_DIR)
        return {"type": "kvm", "role": "guest", "source": source}
    if dmi_kind:
        return {"type": dmi_kind, "role": "guest", "source": DMI_DIR}
    for entry in compatible:
        if entry in _DT_VIRT:
            return {"type": _DT_VIRT[entry], "role": "guest", "source": "/proc/device-tree/compatible"}
    if hypervisor_flag:
        return {"type": "vm-other", "role": "guest", "source": "/proc/cpuinfo"}
    if not cpuinfo and not dmi and not compatible:
        ctx.warn("virtualization unknown: no /proc/cpuinfo, DMI or device tree to read")
        return {"type": None, "role": None, "source": "unavailable"}
    evidence = (("/proc/cpuinfo", cpuinfo), (DMI_DIR, dmi), ("/proc/device-tree/compatible", compatible))
    checked = [path for path, present in evidence if present]
    return {"type": "none", "role": "host", "source": ", ".join(checked)}
