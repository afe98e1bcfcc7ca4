"""CPU collector: x86 and arm64 cpuinfo, Apple Silicon parts and SoC names."""

import os

import pytest

from support.capture import context as _captured, write_file as _write
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.cpu import (
    apple_soc,
    collect_cpu,
    is_apple_silicon,
    parse_cpuinfo,
)


def _arm_cpuinfo(implementer, parts, sep="\t: "):
    blocks = []
    for index, part in enumerate(parts):
        blocks.append("processor%s%d\nFeatures%sfp asimd cpuid\nCPU implementer%s%s\nCPU architecture: 8\n"
                      "CPU variant%s0x0\nCPU part%s%s\nCPU revision%s0\n" % (sep, index, sep, sep, implementer, sep, sep, part, sep))
    return "\n".join(blocks)


def test_asahi_m1_parts_and_soc(tmp_path):
    ctx = _captured("asahi-m1", tmp_path)
    cpu = collect_cpu(ctx)
    assert cpu["vendor"] == "Apple"
    assert cpu["implementer"] == "0x61"
    assert cpu["parts"] == [
        {"implementer": "0x61", "part": "0x022", "name": "Icestorm", "count": 4},
        {"implementer": "0x61", "part": "0x023", "name": "Firestorm", "count": 4},
    ]
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == (1, 8, 8)
    assert cpu["soc"] == {"compatible": "apple,t8103", "name": "Apple M1"}
    assert cpu["modelName"] == "Apple M1"
    assert cpu["family"] is None and cpu["modelId"] is None
    assert "asimd" in cpu["flags"] and "paca" in cpu["flags"]
    assert cpu["flags"] == sorted(set(cpu["flags"]))
    assert len(cpu["flags"]) == 32
    assert cpu["source"] == "/proc/cpuinfo, /proc/device-tree/compatible"
    assert is_apple_silicon(cpu)
    assert ctx.warnings == []


def test_asahi_m2_parts_and_soc(tmp_path):
    cpu = collect_cpu(_captured("asahi-m2", tmp_path))
    assert cpu["parts"] == [
        {"implementer": "0x61", "part": "0x032", "name": "Blizzard", "count": 4},
        {"implementer": "0x61", "part": "0x033", "name": "Avalanche", "count": 4},
    ]
    assert cpu["soc"] == {"compatible": "apple,t8112", "name": "Apple M2"}
    assert cpu["modelName"] == "Apple M2"
    assert cpu["threads"] == 8
    assert {"bf16", "i8mm"} <= set(cpu["flags"])
    assert is_apple_silicon(cpu)


def test_x86_vm(tmp_path):
    cpu = collect_cpu(_captured("x86-vm", tmp_path))
    assert cpu["vendor"] == "GenuineIntel"
    assert cpu["implementer"] is None
    assert cpu["modelName"] == "Intel Xeon Processor (Icelake)"
    assert (cpu["family"], cpu["modelId"]) == ("6", "106")
    assert cpu["parts"] == []
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == (1, 2, 2)
    assert {"hypervisor", "avx512f", "avx2", "lm"} <= set(cpu["flags"])
    assert cpu["flags"] == sorted(set(cpu["flags"]))
    assert cpu["soc"] is None
    assert cpu["source"] == "/proc/cpuinfo"
    assert not is_apple_silicon(cpu)


def test_vm_guest_on_apple_hardware_is_not_apple_silicon(tmp_path):
    _write(tmp_path, "/proc/cpuinfo", _arm_cpuinfo("0x61", ["0x000"] * 4))
    _write(tmp_path, "/proc/device-tree/compatible", b"linux,dummy-virt\0")
    cpu = collect_cpu(ProbeContext(root=str(tmp_path)))
    assert cpu["vendor"] == "Apple"
    assert cpu["parts"] == [{"implementer": "0x61", "part": "0x000", "name": None, "count": 4}]
    assert cpu["soc"] is None
    assert cpu["modelName"] is None
    assert not is_apple_silicon(cpu)


def test_neoverse_with_space_separators(tmp_path):
    _write(tmp_path, "/proc/cpuinfo", _arm_cpuinfo("0x41", ["0xd0c"] * 3, sep="  :  "))
    cpu = collect_cpu(ProbeContext(root=str(tmp_path)))
    assert cpu["vendor"] == "ARM"
    assert cpu["implementer"] == "0x41"
    assert cpu["parts"] == [{"implementer": "0x41", "part": "0xd0c", "name": "Neoverse-N1", "count": 3}]
    assert cpu["modelName"] == "Neoverse-N1"
    assert cpu["flags"] == ["asimd", "cpuid", "fp"]
    assert not is_apple_silicon(cpu)


def test_two_socket_x86_with_smt(tmp_path):
    blocks = []
    index = 0
    for socket in range(2):
        for core in range(2):
            for _thread in range(2):
                blocks.append("processor\t: %d\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 1\n"
                              "model name\t: AMD EPYC 7763 64-Core Processor\nphysical id\t: %d\ncore id\t\t: %d\n"
                              "cpu cores\t: 2\nflags\t\t: fpu lm avx2 sse4_2\n" % (index, socket, core))
                index += 1
    _write(tmp_path, "/proc/cpuinfo", "\n".join(blocks))
    cpu = collect_cpu(ProbeContext(root=str(tmp_path)))
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == (2, 4, 8)
    assert cpu["vendor"] == "AuthenticAMD"
    assert cpu["flags"] == ["avx2", "fpu", "lm", "sse4_2"]


def test_arm_cores_from_sysfs_topology(tmp_path):
    _write(tmp_path, "/proc/cpuinfo", _arm_cpuinfo("0x41", ["0xd4f"] * 4))
    for index in range(4):
        base = "/sys/devices/system/cpu/cpu%d/topology/" % index
        _write(tmp_path, base + "physical_package_id", "0\n")
        _write(tmp_path, base + "core_cpus_list", "%d\n" % index)
    cpu = collect_cpu(ProbeContext(root=str(tmp_path)))
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == (1, 4, 4)
    assert cpu["parts"][0]["name"] == "Neoverse-V2"


def test_parse_cpuinfo_old_arm64_layout_shares_trailing_fields():
    text = ("Processor\t: AArch64 Processor rev 4 (aarch64)\nprocessor\t: 0\nprocessor\t: 1\n\n"
            "Features\t: fp asimd\nCPU implementer\t: 0x41\nCPU part\t: 0xd03\n")
    records = parse_cpuinfo(text)
    assert [r["processor"] for r in records] == ["0", "1"]
    assert all(r["CPU part"] == "0xd03" and r["Features"] == "fp asimd" for r in records)


@pytest.mark.parametrize("compatible, expected", [
    ("apple,t8103", "Apple M1"),
    ("apple,t6000", "Apple M1 Pro"),
    ("apple,t6001", "Apple M1 Max"),
    ("apple,t6002", "Apple M1 Ultra"),
    ("apple,t8112", "Apple M2"),
    ("apple,t6020", "Apple M2 Pro"),
    ("apple,t6021", "Apple M2 Max"),
    ("apple,t6022", "Apple M2 Ultra"),
])
def test_apple_soc_table(compatible, expected):
    assert apple_soc(["apple,j000", compatible, "apple,arm-platform"]) == (compatible, expected)


def test_apple_soc_unknown_and_absent():
    assert apple_soc(["apple,j504", "apple,t8122", "apple,arm-platform"]) == ("apple,t8122", "Apple T8122")
    assert apple_soc(["raspberrypi,4-model-b", "brcm,bcm2711"]) is None
    assert apple_soc([]) is None
    assert apple_soc(None) is None


def test_is_apple_silicon_edge_cases():
    assert not is_apple_silicon(None)
    assert not is_apple_silicon({"implementer": "0x61", "parts": []})
    assert not is_apple_silicon({"implementer": "0x41", "parts": [{"implementer": "0x41", "part": "0xd0c"}]})
    assert is_apple_silicon({"implementer": "0x61", "parts": [{"implementer": "0x61", "part": "0x033"}]})


def test_missing_cpuinfo_warns(tmp_path):
    ctx = ProbeContext(root=str(tmp_path))
    cpu = collect_cpu(ctx)
    assert cpu["threads"] is None and cpu["vendor"] is None and cpu["parts"] == []
    assert cpu["source"] == "unavailable"
    assert any("/proc/cpuinfo" in w for w in ctx.warnings)


def test_unreadable_cpuinfo_warns(tmp_path):
    os.makedirs(str(tmp_path / "proc" / "cpuinfo"))
    ctx = ProbeContext(root=str(tmp_path))
    cpu = collect_cpu(ctx)
    assert cpu["flags"] == []
    assert any(w.startswith("cannot read /proc/cpuinfo") for w in ctx.warnings)
