"""Memory collector, plus one run of the host/cpu/memory/storage/runtime
collectors against the machine the tests run on."""

import os
import re

from support.capture import context as _captured, write_file as _write
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import CommandRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.cpu import collect_cpu
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.host import collect_host
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.memory import collect_memory, parse_meminfo
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.runtime import collect_runtime
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import AGENT_PATHS, collect_storage

GIB = 1024 ** 3


def test_asahi_m1_memory(tmp_path):
    ctx = _captured("asahi-m1", tmp_path)
    assert collect_memory(ctx) == {
        "totalBytes": 16 * GIB,
        "availableBytes": 12 * GIB,
        "swapTotalBytes": 8 * GIB,
        "hugepages": {"defaultSizeBytes": 32 * 1024 * 1024, "total": 0, "free": 0},
        "numaNodes": [{"id": 0, "totalBytes": 16 * GIB, "cpus": "0-7"}],
        "source": "/proc/meminfo",
    }
    assert ctx.warnings == []


def test_asahi_m2_memory(tmp_path):
    memory = collect_memory(_captured("asahi-m2", tmp_path))
    assert memory["totalBytes"] == 24 * GIB == 25769803776
    assert memory["availableBytes"] == 20 * GIB


def test_x86_vm_memory(tmp_path):
    memory = collect_memory(_captured("x86-vm", tmp_path))
    assert memory["totalBytes"] == 8 * GIB
    assert memory["swapTotalBytes"] == 1048572 * 1024
    assert memory["hugepages"] == {"defaultSizeBytes": 2 * 1024 * 1024, "total": 0, "free": 0}
    assert memory["numaNodes"] == [{"id": 0, "totalBytes": 8 * GIB, "cpus": "0-1"}]


def test_parse_meminfo_units_and_node_prefix():
    values = parse_meminfo("MemTotal:  1000 kB\nHugePages_Total:   4\nNode 1 MemFree:   10 kB\ngarbage\n")
    assert values == {"MemTotal": 1024000, "HugePages_Total": 4, "MemFree": 10240}


def test_numa_nodes_sorted_numerically_and_huge_pages(tmp_path):
    _write(tmp_path, "/proc/meminfo", "MemTotal: 4096 kB\nHugePages_Total: 8\nHugePages_Free: 3\nHugepagesize: 1048576 kB\n")
    for node, cpus in ((10, "20-23"), (2, "8-11"), (0, "0-3")):
        _write(tmp_path, "/sys/devices/system/node/node%d/meminfo" % node, "Node %d MemTotal:  2048 kB\n" % node)
        _write(tmp_path, "/sys/devices/system/node/node%d/cpulist" % node, cpus + "\n")
    _write(tmp_path, "/sys/devices/system/node/possible", "0-10\n")
    memory = collect_memory(ProbeContext(root=str(tmp_path)))
    assert [n["id"] for n in memory["numaNodes"]] == [0, 2, 10]
    assert memory["numaNodes"][2] == {"id": 10, "totalBytes": 2 * 1024 * 1024, "cpus": "20-23"}
    assert memory["hugepages"] == {"defaultSizeBytes": GIB, "total": 8, "free": 3}
    assert memory["availableBytes"] is None


def test_missing_meminfo_warns_without_exception(tmp_path):
    ctx = ProbeContext(root=str(tmp_path))
    memory = collect_memory(ctx)
    assert memory["totalBytes"] is None
    assert memory["numaNodes"] == []
    assert memory["source"] == "unavailable"
    assert any("/proc/meminfo" in w for w in ctx.warnings)


def test_unreadable_meminfo_warns(tmp_path):
    os.makedirs(str(tmp_path / "proc" / "meminfo"))
    ctx = ProbeContext(root=str(tmp_path))
    assert collect_memory(ctx)["totalBytes"] is None
    assert any(w.startswith("cannot read /proc/meminfo") for w in ctx.warnings)


def test_collectors_live_on_this_machine():
    ctx = ProbeContext(root="/", runner=CommandRunner())
    assert ctx.live
    host = collect_host(ctx)
    cpu = collect_cpu(ctx)
    memory = collect_memory(ctx)
    storage = collect_storage(ctx)
    runtime = collect_runtime(ctx)

    with open("/proc/meminfo") as handle:
        mem_total_kb = int(re.search(r"^MemTotal:\s+(\d+) kB", handle.read(), re.M).group(1))
    assert memory["totalBytes"] == mem_total_kb * 1024
    assert memory["source"] == "/proc/meminfo"
    assert host["pageSizeBytes"] == os.sysconf("SC_PAGESIZE")
    assert host["arch"] == os.uname().machine
    assert cpu["threads"] and cpu["threads"] >= 1
    assert [p["path"] for p in storage["agentPaths"]] == list(AGENT_PATHS)
    # statvfs runs on a live root: the nearest existing ancestor has a size.
    assert all(isinstance(p["sizeBytes"], int) and isinstance(p["freeBytes"], int) for p in storage["agentPaths"])
    assert runtime["selinux"]["mode"] in ("enforcing", "permissive", "disabled")
    assert isinstance(runtime["systemd"]["pid1"], bool)
