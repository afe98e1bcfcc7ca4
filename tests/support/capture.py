"""Captured machines for tests: YAML descriptions materialized as a root tree.

A capture is a directory ``tests/fixtures/machines/<name>/`` holding one or
more YAML files that are merged, so that separate concerns (system, GPU)
can live in separate files:

    description: free text
    files:            {"/proc/cpuinfo": "text", ...}   # NUL as "\\0" in double quotes
    symlinks:         {"/sys/class/drm/card0/device/driver": "../../../bus/pci/drivers/amdgpu"}
    dirs:             ["/dev/dri"]
    commands:         {"nvidia-smi -q -x": {rc: 0, stdout: "...", stderr: ""}}
    nvml:             data for the simulated NVML binding (tests/support/fake_nvml.py)

Every capture is written from public facts about such machines, not copied
from a real host's private data.
"""

import json
import os

import yaml

MACHINES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "machines")

_MERGED_KEYS = ("files", "symlinks", "commands", "nvml")


class Capture:
    def __init__(self, name, data):
        self.name = name
        self.description = data.get("description", "")
        self.files = data.get("files", {})
        self.symlinks = data.get("symlinks", {})
        self.dirs = data.get("dirs", [])
        self.commands = data.get("commands", {})
        self.nvml = data.get("nvml")

    def runner(self):
        from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner

        return ReplayRunner(self.commands)

    def renamed(self, hostname):
        """The same machine under another hostname (its machine id follows the hostname)."""
        for path in ("/etc/hostname", "/proc/sys/kernel/hostname"):
            self.files[path] = hostname + "\n"
        return self

    def write_recording(self, path):
        """Write the recorded commands as the JSON file machine_facts replays."""
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.commands, handle, indent=1, sort_keys=True)
        return path

    def materialize(self, target):
        """Write the capture as a root tree under ``target``; returns target."""
        for directory in self.dirs:
            os.makedirs(_inside(target, directory), exist_ok=True)
        for path, content in self.files.items():
            on_disk = _inside(target, path)
            os.makedirs(os.path.dirname(on_disk), exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            with open(on_disk, "wb") as handle:
                handle.write(data)
        for path, link_target in self.symlinks.items():
            on_disk = _inside(target, path)
            os.makedirs(os.path.dirname(on_disk), exist_ok=True)
            os.symlink(link_target, on_disk)
        return target


def _inside(root, absolute_path):
    return os.path.join(root, absolute_path.lstrip("/"))


def machine_names():
    return sorted(n for n in os.listdir(MACHINES_DIR) if os.path.isdir(os.path.join(MACHINES_DIR, n)))


def load(name):
    """Merge every YAML file of one captured machine."""
    directory = os.path.join(MACHINES_DIR, name)
    merged = {"files": {}, "symlinks": {}, "commands": {}, "dirs": []}
    for filename in sorted(os.listdir(directory)):
        if not filename.endswith((".yml", ".yaml")):
            continue
        with open(os.path.join(directory, filename), encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        for key in _MERGED_KEYS:
            if key in data:
                if key == "nvml":
                    merged["nvml"] = data["nvml"]
                else:
                    merged[key].update(data[key])
        merged["dirs"].extend(data.get("dirs", []))
        if "description" in data:
            merged.setdefault("description", data["description"])
    return Capture(name, merged)


def context(name, tmp_path, commands=True, extra_commands=None, nvml=None):
    """A ProbeContext over a captured machine materialized under tmp_path."""
    from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext

    cap = load(name)
    if extra_commands:
        cap.commands.update(extra_commands)
    root = cap.materialize(str(tmp_path))
    return ProbeContext(root=root, runner=cap.runner() if commands else None, nvml=nvml)


def write_file(root, path, content=""):
    """Write text or bytes at an absolute machine path under root."""
    on_disk = _inside(str(root), path)
    os.makedirs(os.path.dirname(on_disk), exist_ok=True)
    with open(on_disk, "wb" if isinstance(content, bytes) else "w") as handle:
        handle.write(content)
