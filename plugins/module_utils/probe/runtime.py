# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runtime facts: systemd, podman and Quadlet, CDI device specs, cgroup
version and SELinux mode."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import parse_mountinfo

QUADLET_MIN_PODMAN = (4, 4)
QUADLET_GENERATORS = (
    "/usr/lib/systemd/system-generators/podman-system-generator",
    "/usr/libexec/podman/quadlet",
    "/usr/lib/podman/quadlet",
)
PODMAN_BINARIES = ("/usr/bin/podman", "/usr/local/bin/podman", "/bin/podman")
CDI_DIRS = ("/etc/cdi", "/var/run/cdi", "/run/cdi")
CDI_EXTENSIONS = (".json", ".yaml")
CGROUP_V1_CONTROLLERS = frozenset([
    "blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "hugetlb", "memory",
    "misc", "net_cls", "net_prio", "perf_event", "pids", "rdma",
])


def parse_version(text):
    """The first dotted number in ``text`` as a tuple of ints; () when none.

    "podman version 5.4.2" -> (5, 4, 2); "systemd 257 (257.9-1)" -> (257,).
    """
    match = re.search(r"(\d+(?:\.\d+)*)", text or "")
    if not match:
        return ()
    return tuple(int(part) for part in match.group(1).split("."))


def _first_line(text):
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


# -- systemd -----------------------------------------------------------
def _systemd_version_from_files(ctx):
    """The version in the name of libsystemd-shared-<N>.so, when commands cannot run."""
    for directory in ("/usr/lib/systemd", "/lib/systemd", "/usr/lib64/systemd",
                      "/usr/lib/x86_64-linux-gnu/systemd", "/usr/lib/aarch64-linux-gnu/systemd"):
        for name in ctx.listdir(directory):
            match = re.match(r"^libsystemd-shared-(\d+)", name)
            if match:
                return int(match.group(1)), "%s/%s" % (directory, name)
    return None, None


def _systemd(ctx):
    section = {"version": None, "state": None, "pid1": False, "source": "unavailable"}
    comm = ctx.read_value("/proc/1/comm")
    if comm is not None:
        section["pid1"] = comm == "systemd"
    else:
        section["pid1"] = ctx.is_dir("/run/systemd/system")
    result = ctx.run(["systemctl", "--version"])
    if result is not None:
        line = _first_line(result.stdout)
        match = re.match(r"^systemd\s+(\d+)", line)
        if match:
            section["version"] = int(match.group(1))
            section["source"] = "systemctl --version"
        else:
            ctx.warn("systemctl --version printed no version (rc %s)" % result.rc)
        state = ctx.run(["systemctl", "is-system-running"])
        if state is not None:
            # Non-zero rc is normal for degraded/starting/offline; stdout holds the state.
            section["state"] = _first_line(state.stdout).lower() or None
    if section["version"] is None:
        version, path = _systemd_version_from_files(ctx)
        if version is not None:
            section["version"] = version
            section["source"] = path
    return section


# -- podman and quadlet ------------------------------------------------
def _podman(ctx):
    result = ctx.run(["podman", "--version"])
    if result is not None:
        match = re.search(r"version\s+(\d+(?:\.\d+)+)", result.stdout or "")
        if match:
            return {"available": True, "version": match.group(1), "source": "podman --version"}
        ctx.warn("podman --version printed no version (rc %s): %s" % (result.rc, (result.stderr or "").strip()[:200]))
        return {"available": True, "version": None, "source": "podman --version"}
    if not ctx.live or not ctx.commands_enabled:
        for path in PODMAN_BINARIES:
            if ctx.exists(path):
                return {"available": True, "version": None, "source": path}
    return {"available": False, "version": None, "source": "unavailable"}


def _quadlet(ctx, podman):
    generator = None
    for path in QUADLET_GENERATORS:
        if ctx.exists(path):
            generator = path
            break
    needs = "%d.%d" % QUADLET_MIN_PODMAN
    if not podman["available"]:
        reason = "podman is not installed"
    elif podman["version"] is None:
        reason = "podman version unknown; Quadlet needs podman %s or newer" % needs
    elif parse_version(podman["version"]) < QUADLET_MIN_PODMAN:
        reason = "podman %s has no Quadlet (needs %s or newer)" % (podman["version"], needs)
    elif generator is None:
        reason = "podman %s but no Quadlet generator at %s" % (podman["version"], ", ".join(QUADLET_GENERATORS))
    else:
        return {"available": True, "generatorPath": generator,
                "reason": "podman %s with Quadlet generator %s" % (podman["version"], generator)}
    return {"available": False, "generatorPath": generator, "reason": reason}


# -- CDI ---------------------------------------------------------------
def _yaml_scalar(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _parse_cdi_yaml(text):
    kind = None
    names = []
    in_devices = False
    item_indent = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped in ("---", "..."):
            continue
        if "\"" not in stripped and "'" not in stripped:
            stripped = re.sub(r"\s+#.*$", "", stripped)
        indent = len(raw) - len(raw.lstrip(" "))
        top = re.match(r"^([A-Za-z0-9_.-]+)\s*:\s*(.*)$", stripped) if indent == 0 else None
        if top:
            in_devices = top.group(1) == "devices"
            item_indent = None
            if top.group(1) == "kind":
                kind = _yaml_scalar(top.group(2)) or None
            continue
        if not in_devices:
            continue
        if stripped == "-" or stripped.startswith("- "):
            if item_indent is None:
                item_indent = indent
            if indent == item_indent:
                match = re.match(r"^-\s+name\s*:\s*(.+)$", stripped)
                if match:
                    names.append(_yaml_scalar(match.group(1)))
                continue
        if item_indent is not None and indent == item_indent + 2:
            match = re.match(r"^name\s*:\s*(.+)$", stripped)
            if match:
                names.append(_yaml_scalar(match.group(1)))
    return kind, names


def parse_cdi_spec(text):
    """(kind, [device names]) of a CDI spec in JSON or YAML.

    JSON goes through the json module; YAML through a small line parser
    that only understands the top-level ``kind`` and ``devices[].name``.
    """
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        devices = data.get("devices") or []
        names = [str(d.get("name")) for d in devices if isinstance(d, dict) and d.get("name") is not None]
        kind = data.get("kind")
        return (str(kind) if kind else None), names
    return _parse_cdi_yaml(text or "")


def _cdi(ctx):
    specs = []
    devices = []
    seen = set()
    for directory in CDI_DIRS:
        for name in ctx.listdir(directory):
            if not name.endswith(CDI_EXTENSIONS):
                continue
            path = "%s/%s" % (directory, name)
            real = ctx.resolve(path)
            if real in seen or ctx.is_dir(path):
                continue
            seen.add(real)
            text = ctx.read_text(path)
            if text is None:
                continue
            specs.append(path)
            kind, names = parse_cdi_spec(text)
            if not kind:
                ctx.warn("CDI spec %s has no kind" % path)
                continue
            for device in names:
                qualified = "%s=%s" % (kind, device)
                if qualified not in devices:
                    devices.append(qualified)
    return {"specs": specs, "devices": devices}


# -- cgroup and SELinux ------------------------------------------------
def _cgroup(ctx):
    controllers = ctx.read_value("/sys/fs/cgroup/cgroup.controllers")
    if controllers is not None:
        return {"version": "v2", "controllers": sorted(controllers.split()), "source": "/sys/fs/cgroup/cgroup.controllers"}
    text = ctx.read_text("/proc/self/mountinfo")
    if text is None:
        ctx.warn("cgroup version unknown: no /sys/fs/cgroup/cgroup.controllers and no /proc/self/mountinfo")
        return {"version": None, "controllers": [], "source": "unavailable"}
    mounts = parse_mountinfo(text)
    v1 = set()
    has_v1 = False
    unified = False
    v2_root = False
    for mount in mounts:
        if mount["fstype"] == "cgroup":
            has_v1 = True
            v1.update(o for o in mount["superOptions"] if o in CGROUP_V1_CONTROLLERS)
        elif mount["fstype"] == "cgroup2":
            if mount["mountPoint"] == "/sys/fs/cgroup":
                v2_root = True
            elif mount["mountPoint"] == "/sys/fs/cgroup/unified":
                unified = True
    if v2_root:
        return {"version": "v2", "controllers": [], "source": "/proc/self/mountinfo"}
    if has_v1:
        version = "hybrid" if unified else "v1"
        return {"version": version, "controllers": sorted(v1), "source": "/proc/self/mountinfo"}
    ctx.warn("cgroup version unknown: no cgroup filesystem is mounted")
    return {"version": None, "controllers": [], "source": "/proc/self/mountinfo"}


def _selinux(ctx):
    enforce = ctx.read_value("/sys/fs/selinux/enforce")
    if enforce == "1":
        return {"mode": "enforcing", "source": "/sys/fs/selinux/enforce"}
    if enforce == "0":
        return {"mode": "permissive", "source": "/sys/fs/selinux/enforce"}
    configured = None
    for line in (ctx.read_text("/etc/selinux/config") or "").splitlines():
        match = re.match(r"^\s*SELINUX\s*=\s*(\S+)", line)
        if match:
            configured = _yaml_scalar(match.group(1)).lower()
    source = "/sys/fs/selinux absent"
    if configured:
        source += "; /etc/selinux/config SELINUX=%s" % configured
    return {"mode": "disabled", "source": source}


def collect_runtime(ctx):
    """Return the runtime section of the probe facts; never raises."""
    podman = _podman(ctx)
    return {
        "systemd": _systemd(ctx),
        "podman": podman,
        "quadlet": _quadlet(ctx, podman),
        "cdi": _cdi(ctx),
        "cgroup": _cgroup(ctx),
        "selinux": _selinux(ctx),
        "source": "commands and files" if ctx.commands_enabled else "files",
    }
