"""Runtime collector: systemd, podman/Quadlet, CDI, cgroup, SELinux."""

import json
import os

import pytest

from support.capture import context as _captured, write_file as _write
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.runtime import (
    collect_runtime,
    parse_cdi_spec,
    parse_version,
)

GENERATOR = "/usr/lib/systemd/system-generators/podman-system-generator"

NVIDIA_CDI_YAML = """---
cdiVersion: 0.5.0
containerEdits:
  deviceNodes:
  - path: /dev/nvidia-modeset
  - path: /dev/nvidiactl
  hooks:
  - args:
    - nvidia-cdi-hook
    - create-symlinks
    hookName: createContainer
    path: /usr/bin/nvidia-cdi-hook
devices:
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: "0"
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia1
  name: 'GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c'
- name: all   # every GPU
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
    - path: /dev/nvidia1
kind: nvidia.com/gpu
"""


def _podman(version):
    return {"podman --version": {"rc": 0, "stdout": "podman version %s\n" % version, "stderr": ""}}


@pytest.mark.parametrize("text, expected", [
    ("podman version 5.4.2", (5, 4, 2)),
    ("4.4", (4, 4)),
    ("systemd 257 (257.9-1~deb13u1)", (257,)),
    ("  LVM version:     2.03.16(2)", (2, 3, 16)),
    ("5.0.0-dev", (5, 0, 0)),
    ("no digits", ()),
    (None, ()),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


def test_x86_vm_runtime(tmp_path):
    ctx = _captured("x86-vm", tmp_path)
    runtime = collect_runtime(ctx)
    assert runtime["systemd"] == {"version": 252, "state": "running", "pid1": True, "source": "systemctl --version"}
    assert runtime["podman"] == {"available": True, "version": "4.3.1", "source": "podman --version"}
    assert runtime["quadlet"]["available"] is False
    assert runtime["cgroup"] == {"version": "v2", "controllers": ["cpu", "cpuset", "hugetlb", "io", "memory", "misc", "pids", "rdma"],
                                 "source": "/sys/fs/cgroup/cgroup.controllers"}
    assert runtime["selinux"] == {"mode": "disabled", "source": "/sys/fs/selinux absent"}
    assert runtime["cdi"] == {"specs": [], "devices": []}
    assert ctx.warnings == []


def test_podman_4_3_has_no_quadlet(tmp_path):
    ctx = _captured("x86-vm", tmp_path, extra_commands=_podman("4.3.1"))
    _write(tmp_path, GENERATOR, "")  # even with a generator file, 4.3 is too old
    quadlet = collect_runtime(ctx)["quadlet"]
    assert quadlet["available"] is False
    assert quadlet["generatorPath"] == GENERATOR
    assert quadlet["reason"] == "podman 4.3.1 has no Quadlet (needs 4.4 or newer)"


def test_podman_4_4_is_the_first_with_quadlet(tmp_path):
    ctx = _captured("x86-vm", tmp_path, extra_commands=_podman("4.4.0"))
    _write(tmp_path, "/usr/libexec/podman/quadlet", "")
    quadlet = collect_runtime(ctx)["quadlet"]
    assert quadlet["available"] is True
    assert quadlet["generatorPath"] == "/usr/libexec/podman/quadlet"


def test_podman_5_without_generator(tmp_path):
    ctx = _captured("x86-vm", tmp_path, extra_commands=_podman("5.4.2"))
    runtime = collect_runtime(ctx)
    assert runtime["podman"]["version"] == "5.4.2"
    assert runtime["quadlet"]["available"] is False
    assert runtime["quadlet"]["generatorPath"] is None
    assert runtime["quadlet"]["reason"].startswith("podman 5.4.2 but no Quadlet generator at ")


def test_asahi_m2_podman_5_with_quadlet_and_degraded_systemd(tmp_path):
    runtime = collect_runtime(_captured("asahi-m2", tmp_path))
    # is-system-running exits 1 when degraded; its stdout still names the state.
    assert runtime["systemd"] == {"version": 255, "state": "degraded", "pid1": True, "source": "systemctl --version"}
    assert runtime["podman"] == {"available": True, "version": "5.1.1", "source": "podman --version"}
    assert runtime["quadlet"] == {
        "available": True,
        "generatorPath": GENERATOR,
        "reason": "podman 5.1.1 with Quadlet generator %s" % GENERATOR,
    }
    assert runtime["selinux"] == {"mode": "permissive", "source": "/sys/fs/selinux/enforce"}


def test_asahi_m1_files_only(tmp_path):
    runtime = collect_runtime(_captured("asahi-m1", tmp_path))
    assert runtime["systemd"] == {"version": 256, "state": None, "pid1": True,
                                  "source": "/usr/lib64/systemd/libsystemd-shared-256.11-1.fc41.so"}
    assert runtime["podman"] == {"available": True, "version": None, "source": "/usr/bin/podman"}
    assert runtime["quadlet"]["available"] is False
    assert runtime["quadlet"]["reason"] == "podman version unknown; Quadlet needs podman 4.4 or newer"
    assert runtime["selinux"] == {"mode": "enforcing", "source": "/sys/fs/selinux/enforce"}
    assert runtime["cgroup"]["version"] == "v2"


def test_systemd_starting_state_with_nonzero_rc(tmp_path):
    ctx = _captured("x86-vm", tmp_path, extra_commands={
        "systemctl is-system-running": {"rc": 1, "stdout": "starting\n", "stderr": ""}})
    assert collect_runtime(ctx)["systemd"]["state"] == "starting"


def test_podman_not_installed(tmp_path):
    runtime = collect_runtime(ProbeContext(root=str(tmp_path), runner=ReplayRunner({})))
    assert runtime["podman"] == {"available": False, "version": None, "source": "unavailable"}
    assert runtime["quadlet"] == {"available": False, "generatorPath": None, "reason": "podman is not installed"}
    assert runtime["systemd"]["pid1"] is False


def test_cdi_json_spec_devices(tmp_path):
    spec = {"cdiVersion": "0.6.0", "kind": "nvidia.com/gpu", "devices": [
        {"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}]}},
        {"name": "1", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia1"}]}},
        {"name": "all", "containerEdits": {}},
    ], "containerEdits": {"deviceNodes": [{"path": "/dev/nvidiactl"}]}}
    _write(tmp_path, "/etc/cdi/nvidia.json", json.dumps(spec))
    _write(tmp_path, "/etc/cdi/README.txt", "not a spec")
    cdi = collect_runtime(ProbeContext(root=str(tmp_path)))["cdi"]
    assert cdi == {"specs": ["/etc/cdi/nvidia.json"],
                   "devices": ["nvidia.com/gpu=0", "nvidia.com/gpu=1", "nvidia.com/gpu=all"]}


def test_cdi_yaml_spec_in_var_run_deduplicated_through_symlink(tmp_path):
    _write(tmp_path, "/run/cdi/nvidia.yaml", NVIDIA_CDI_YAML)
    os.makedirs(str(tmp_path / "var"))
    os.symlink("../run", str(tmp_path / "var" / "run"))
    ctx = ProbeContext(root=str(tmp_path))
    cdi = collect_runtime(ctx)["cdi"]
    assert cdi["specs"] == ["/var/run/cdi/nvidia.yaml"]
    assert cdi["devices"] == ["nvidia.com/gpu=0", "nvidia.com/gpu=GPU-4cf8db2d-06c0-7d70-1a51-e59b25b2c16c", "nvidia.com/gpu=all"]


def test_parse_cdi_yaml_indented_list_and_spec_without_kind(tmp_path):
    text = "cdiVersion: \"0.6.0\"\nkind: \"vendor.example/npu\"\ndevices:\n  - name: npu0\n    containerEdits: {}\n  - name: npu1\n"
    assert parse_cdi_spec(text) == ("vendor.example/npu", ["npu0", "npu1"])
    _write(tmp_path, "/etc/cdi/broken.yaml", "devices:\n- name: x\n")
    ctx = ProbeContext(root=str(tmp_path))
    cdi = collect_runtime(ctx)["cdi"]
    assert cdi == {"specs": ["/etc/cdi/broken.yaml"], "devices": []}
    assert "CDI spec /etc/cdi/broken.yaml has no kind" in ctx.warnings


def test_cgroup_hybrid_and_v1(tmp_path):
    base = ("31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
            "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
            "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
            "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n")
    _write(tmp_path, "/proc/self/mountinfo", base + "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
    cgroup = collect_runtime(ProbeContext(root=str(tmp_path)))["cgroup"]
    assert cgroup == {"version": "hybrid", "controllers": ["cpu", "cpuacct", "memory"], "source": "/proc/self/mountinfo"}
    _write(tmp_path, "/proc/self/mountinfo", base)
    assert collect_runtime(ProbeContext(root=str(tmp_path)))["cgroup"]["version"] == "v1"


def test_cgroup_unknown_warns(tmp_path):
    _write(tmp_path, "/proc/self/mountinfo", "21 1 254:1 / / rw - ext4 /dev/vda1 rw\n")
    ctx = ProbeContext(root=str(tmp_path))
    assert collect_runtime(ctx)["cgroup"] == {"version": None, "controllers": [], "source": "/proc/self/mountinfo"}
    assert any(w.startswith("cgroup version unknown") for w in ctx.warnings)


@pytest.mark.parametrize("enforce, mode", [("1\n", "enforcing"), ("0\n", "permissive")])
def test_selinux_modes(tmp_path, enforce, mode):
    _write(tmp_path, "/sys/fs/selinux/enforce", enforce)
    assert collect_runtime(ProbeContext(root=str(tmp_path)))["selinux"] == {"mode": mode, "source": "/sys/fs/selinux/enforce"}


def test_selinux_absent_reports_configured_mode_lower_case(tmp_path):
    _write(tmp_path, "/etc/selinux/config", "# comment\nSELINUX=Enforcing\nSELINUXTYPE=targeted\n")
    selinux = collect_runtime(ProbeContext(root=str(tmp_path)))["selinux"]
    assert selinux == {"mode": "disabled", "source": "/sys/fs/selinux absent; /etc/selinux/config SELINUX=enforcing"}


def test_empty_root_does_not_raise(tmp_path):
    ctx = ProbeContext(root=str(tmp_path))
    runtime = collect_runtime(ctx)
    assert runtime["systemd"] == {"version": None, "state": None, "pid1": False, "source": "unavailable"}
    assert runtime["podman"]["available"] is False
    assert runtime["source"] == "files"
    assert ctx.warnings  # cgroup unknown is reported


def test_cdi_skips_directories_named_like_specs(tmp_path):
    os.makedirs(str(tmp_path / "etc" / "cdi" / "odd.json"))  # a directory named like a spec is skipped
    _write(tmp_path, "/etc/cdi/ok.json", '{"kind": "example.com/dev", "devices": [{"name": "a"}]}')
    ctx = ProbeContext(root=str(tmp_path))
    cdi = collect_runtime(ctx)["cdi"]
    assert cdi == {"specs": ["/etc/cdi/ok.json"], "devices": ["example.com/dev=a"]}
