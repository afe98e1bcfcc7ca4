"""Host collector: identity, OS release, kernel, arch, page size, virtualization."""

import os

import pytest

from support import capture
from support.capture import context as _captured, write_file as _write
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.host import (
    collect_host,
    parse_os_release,
    read_device_tree,
)


def test_asahi_m1_identity(tmp_path):
    ctx = _captured("asahi-m1", tmp_path)
    host = collect_host(ctx)
    assert host["hostname"] == "m1-air"
    assert host["os"] == {
        "id": "fedora-asahi-remix",
        "idLike": ["fedora"],
        "versionId": "41",
        "prettyName": "Fedora Linux Asahi Remix 41 (Workstation Edition)",
        "variantId": "workstation",
        "source": "/etc/os-release",
    }
    assert host["kernel"] == {
        "release": "6.12.12-404.asahi.fc41.aarch64+16k",
        "version": "#1 SMP PREEMPT_DYNAMIC Thu Dec  7 18:56:03 UTC 2023",
        "source": "/proc/sys/kernel",
    }
    assert host["arch"] == "aarch64"
    assert host["pageSizeBytes"] == 16384
    assert "/proc/self/smaps" in host["source"]
    assert host["deviceTree"] == {
        "model": "Apple MacBook Air (M1, 2020)",
        "compatible": ["apple,j313", "apple,t8103", "apple,arm-platform"],
    }
    assert host["dmi"] is None
    assert host["virtualization"]["type"] == "none"
    assert host["virtualization"]["role"] == "host"
    assert ctx.warnings == []


def test_asahi_m2_identity(tmp_path):
    host = collect_host(_captured("asahi-m2", tmp_path))
    assert host["hostname"] == "m2-air"
    assert host["os"]["id"] == "fedora-asahi-remix"
    assert host["os"]["idLike"] == ["fedora"]
    assert host["os"]["versionId"] == "40"
    assert host["pageSizeBytes"] == 16384
    assert host["arch"] == "aarch64"
    assert host["deviceTree"] == {
        "model": "Apple MacBook Air (13-inch, M2, 2022)",
        "compatible": ["apple,j413", "apple,t8112", "apple,arm-platform"],
    }
    assert host["virtualization"] == {"type": "none", "role": "host",
                                      "source": "/proc/cpuinfo, /proc/device-tree/compatible"}


def test_x86_vm_kvm_from_systemd_detect_virt(tmp_path):
    ctx = _captured("x86-vm", tmp_path)
    host = collect_host(ctx)
    assert host["hostname"] == "vm-node-1"
    assert host["os"]["id"] == "debian"
    assert host["os"]["idLike"] == []
    assert host["os"]["versionId"] == "12"
    assert host["os"]["variantId"] is None
    assert host["kernel"]["release"] == "6.1.0-18-amd64"
    assert host["arch"] == "x86_64"
    assert host["pageSizeBytes"] == 4096
    assert host["virtualization"] == {"type": "kvm", "role": "guest", "source": "systemd-detect-virt"}
    assert host["dmi"] == {"sysVendor": "QEMU", "productName": "Standard PC (Q35 + ICH9, 2009)", "boardVendor": None}
    assert host["deviceTree"] is None
    assert ctx.warnings == []


def test_x86_vm_kvm_from_files_without_commands(tmp_path):
    host = collect_host(_captured("x86-vm", tmp_path, commands=False))
    assert host["virtualization"]["type"] == "kvm"
    assert host["virtualization"]["role"] == "guest"
    assert "/proc/cpuinfo" in host["virtualization"]["source"]


def test_systemd_detect_virt_none_means_bare_metal(tmp_path):
    # systemd-detect-virt exits 1 and prints "none" on bare metal.
    ctx = _captured("x86-vm", tmp_path, extra_commands={"systemd-detect-virt": {"rc": 1, "stdout": "none\n", "stderr": ""}})
    virt = collect_host(ctx)["virtualization"]
    assert virt == {"type": "none", "role": "host", "source": "systemd-detect-virt"}


def test_systemd_detect_virt_apple_is_renamed(tmp_path):
    ctx = _captured("x86-vm", tmp_path, extra_commands={"systemd-detect-virt": {"rc": 0, "stdout": "apple\n", "stderr": ""}})
    assert collect_host(ctx)["virtualization"]["type"] == "apple-vz"


@pytest.mark.parametrize("path, content, expected", [
    ("/run/.containerenv", "engine=\"podman-5.4.2\"\n", ("podman", "/run/.containerenv")),
    ("/.dockerenv", "", ("docker", "/.dockerenv")),
    ("/proc/1/environ", b"PATH=/usr/bin\0container=lxc\0HOME=/\0", ("lxc", "/proc/1/environ")),
    ("/proc/1/environ", b"container=podman\0", ("podman", "/proc/1/environ")),
    ("/proc/1/environ", b"container=something-new\0", ("container-other", "/proc/1/environ")),
    ("/run/systemd/container", "systemd-nspawn\n", ("systemd-nspawn", "/run/systemd/container")),
])
def test_containers_are_detected_before_vms(tmp_path, path, content, expected):
    _write(tmp_path, path, content)
    # Even with a KVM answer recorded, the container marker wins.
    cap = capture.load("x86-vm")
    root = cap.materialize(str(tmp_path))
    virt = collect_host(ProbeContext(root=root, runner=cap.runner()))["virtualization"]
    assert (virt["type"], virt["source"]) == expected
    assert virt["role"] == "container"


@pytest.mark.parametrize("vendor, product, expected", [
    ("VMware, Inc.", "VMware Virtual Platform", "vmware"),
    ("Microsoft Corporation", "Virtual Machine", "microsoft"),
    ("Xen", "HVM domU", "xen"),
    ("QEMU", "Standard PC (i440FX + PIIX, 1996)", "qemu"),
    ("Apple Inc.", "Apple Virtualization Generic Platform", "apple-vz"),
    ("innotek GmbH", "VirtualBox", "oracle"),
])
def test_vm_type_from_dmi(tmp_path, vendor, product, expected):
    _write(tmp_path, "/sys/class/dmi/id/sys_vendor", vendor + "\n")
    _write(tmp_path, "/sys/class/dmi/id/product_name", product + "\n")
    virt = collect_host(ProbeContext(root=str(tmp_path)))["virtualization"]
    assert virt["type"] == expected
    assert virt["role"] == "guest"


def test_bare_metal_dmi_is_a_host(tmp_path):
    _write(tmp_path, "/sys/class/dmi/id/sys_vendor", "Dell Inc.\n")
    _write(tmp_path, "/sys/class/dmi/id/product_name", "PowerEdge R750\n")
    _write(tmp_path, "/sys/class/dmi/id/board_vendor", "Dell Inc.\n")
    _write(tmp_path, "/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu lm avx2\n")
    host = collect_host(ProbeContext(root=str(tmp_path)))
    assert host["virtualization"]["type"] == "none"
    assert host["virtualization"]["role"] == "host"
    assert host["dmi"] == {"sysVendor": "Dell Inc.", "productName": "PowerEdge R750", "boardVendor": "Dell Inc."}
    # Without /proc/sys/kernel/arch a captured root infers it from cpuinfo.
    assert host["arch"] == "x86_64"


def test_arm_vm_on_apple_hardware_is_a_qemu_guest(tmp_path):
    _write(tmp_path, "/proc/device-tree/compatible", b"linux,dummy-virt\0")
    _write(tmp_path, "/proc/cpuinfo", "processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x61\nCPU part\t: 0x000\n")
    host = collect_host(ProbeContext(root=str(tmp_path)))
    assert host["virtualization"] == {"type": "qemu", "role": "guest", "source": "/proc/device-tree/compatible"}
    assert host["deviceTree"] == {"model": None, "compatible": ["linux,dummy-virt"]}
    assert host["arch"] == "aarch64"


def test_hypervisor_flag_alone_is_an_unnamed_guest(tmp_path):
    _write(tmp_path, "/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu lm hypervisor\n")
    virt = collect_host(ProbeContext(root=str(tmp_path)))["virtualization"]
    assert virt == {"type": "vm-other", "role": "guest", "source": "/proc/cpuinfo"}


def test_device_tree_through_an_absolute_symlink_stays_inside_the_root(tmp_path):
    _write(tmp_path, "/sys/firmware/devicetree/base/model", b"Apple Mac mini (M2, 2023)\0")
    _write(tmp_path, "/sys/firmware/devicetree/base/compatible", b"apple,j473\0apple,t8112\0apple,arm-platform\0\0")
    os.makedirs(str(tmp_path / "proc"))
    os.symlink("/sys/firmware/devicetree/base", str(tmp_path / "proc" / "device-tree"))
    model, compatible = read_device_tree(ProbeContext(root=str(tmp_path)))
    assert model == "Apple Mac mini (M2, 2023)"
    assert compatible == ["apple,j473", "apple,t8112", "apple,arm-platform"]


def test_os_release_quoting_and_fallback(tmp_path):
    _write(tmp_path, "/usr/lib/os-release",
           "NAME='Red Hat Enterprise Linux'\nID=\"rhel\"\nID_LIKE=\"centos fedora\"\nVERSION_ID=\"9.4\"\n"
           "PRETTY_NAME=\"Red Hat \\\"Enterprise\\\" Linux 9.4\"\n# a comment\nVARIANT_ID=\n")
    os_release = collect_host(ProbeContext(root=str(tmp_path)))["os"]
    assert os_release == {"id": "rhel", "idLike": ["centos", "fedora"], "versionId": "9.4",
                          "prettyName": 'Red Hat "Enterprise" Linux 9.4', "variantId": None,
                          "source": "/usr/lib/os-release"}


def test_parse_os_release_older_asahi_id():
    values = parse_os_release("ID=asahi-fedora-remix\nID_LIKE=fedora\nbroken line\n=x\n")
    assert values == {"ID": "asahi-fedora-remix", "ID_LIKE": "fedora"}


def test_hostname_falls_back_to_etc_hostname(tmp_path):
    _write(tmp_path, "/etc/hostname", "# set by the installer\nnode-b\n")
    assert collect_host(ProbeContext(root=str(tmp_path)))["hostname"] == "node-b"


def test_empty_root_gives_partial_facts_and_warnings(tmp_path):
    ctx = ProbeContext(root=str(tmp_path))
    host = collect_host(ctx)
    assert host["hostname"] is None
    assert host["arch"] is None
    assert host["pageSizeBytes"] is None
    assert host["os"]["source"] == "unavailable"
    assert host["kernel"] == {"release": None, "version": None, "source": "unavailable"}
    assert host["deviceTree"] is None and host["dmi"] is None
    joined = "\n".join(ctx.warnings)
    for word in ("hostname", "os-release", "kernel", "architecture", "page size"):
        assert word in joined


def test_unreadable_os_release_warns_and_falls_back(tmp_path):
    os.makedirs(str(tmp_path / "etc" / "os-release"))  # a directory cannot be read as a file
    _write(tmp_path, "/usr/lib/os-release", "ID=debian\nVERSION_ID=\"13\"\n")
    ctx = ProbeContext(root=str(tmp_path))
    host = collect_host(ctx)
    assert host["os"]["id"] == "debian"
    assert host["os"]["source"] == "/usr/lib/os-release"
    assert any(w.startswith("cannot read /etc/os-release") for w in ctx.warnings)
