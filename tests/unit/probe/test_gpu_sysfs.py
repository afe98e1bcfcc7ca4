"""GPUs from sysfs: PCI functions, DRM cards/render nodes, Apple SoCs."""

import os

import pytest

from support import capture
from support.capture import write_file as _write
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe import gpu_sysfs
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext

GIB = 1024 ** 3
ASAHI_COMPATIBLE = {
    "asahi-m1": "apple,j313\0apple,t8103\0apple,arm-platform\0",
    "asahi-m2": "apple,j413\0apple,t8112\0apple,arm-platform\0",
}


def _context(tmp_path, name):
    root = capture.load(name).materialize(str(tmp_path))
    return ProbeContext(root=root)


def _link(root, path, target):
    on_disk = os.path.join(str(root), path.lstrip("/"))
    os.makedirs(os.path.dirname(on_disk), exist_ok=True)
    os.symlink(target, on_disk)


def make_pci_gpu(root, address, vendor, device, pci_class, driver, card=None, render=None, files=None):
    """A PCI GPU directly under the host bridge, with optional DRM nodes."""
    real = "/sys/devices/pci0000:00/" + address
    _write(root, real + "/vendor", vendor + "\n")
    _write(root, real + "/device", device + "\n")
    _write(root, real + "/class", pci_class + "\n")
    for name, content in (files or {}).items():
        _write(root, real + "/" + name, content)
    os.makedirs(os.path.join(str(root), "sys/bus/pci/drivers", driver), exist_ok=True)
    _link(root, real + "/driver", "../../../bus/pci/drivers/" + driver)
    _link(root, "/sys/bus/pci/devices/" + address, "../../../devices/pci0000:00/" + address)
    for node in (card, render):
        if node:
            os.makedirs(os.path.join(str(root), (real + "/drm/" + node).lstrip("/")), exist_ok=True)
            _link(root, real + "/drm/" + node + "/device", "../../../" + address)
            _link(root, "/sys/class/drm/" + node, "../../devices/pci0000:00/%s/drm/%s" % (address, node))
            _write(root, "/dev/dri/" + node)


# -- PCI list -------------------------------------------------------------
def test_list_pci_devices_on_the_a100_server(tmp_path):
    ctx = _context(tmp_path, "nvidia-a100-mig")
    assert gpu_sysfs.list_pci_devices(ctx) == [
        {"address": "0000:00:00.0", "vendorId": "0x1022", "deviceId": "0x1480", "classId": "0x060000", "driver": None},
        {"address": "0000:00:01.1", "vendorId": "0x1022", "deviceId": "0x1483", "classId": "0x060400", "driver": "pcieport"},
        {"address": "0000:00:03.1", "vendorId": "0x1022", "deviceId": "0x1483", "classId": "0x060400", "driver": "pcieport"},
        {"address": "0000:01:00.0", "vendorId": "0x1a03", "deviceId": "0x1150", "classId": "0x060400", "driver": None},
        {"address": "0000:02:00.0", "vendorId": "0x1a03", "deviceId": "0x2000", "classId": "0x030000", "driver": "ast"},
        {"address": "0000:07:00.0", "vendorId": "0x10de", "deviceId": "0x20b0", "classId": "0x030200", "driver": "nvidia"},
    ]


def test_list_pci_devices_keeps_the_emulated_vga(tmp_path):
    devices = gpu_sysfs.list_pci_devices(_context(tmp_path, "x86-vm"))
    vga = [d for d in devices if d["classId"].startswith("0x03")]
    assert vga == [{"address": "0000:00:01.0", "vendorId": "0x1234", "deviceId": "0x1111",
                    "classId": "0x030000", "driver": "bochs-drm"}]
    assert len(devices) == 7


def test_list_pci_devices_without_sysfs_is_empty(tmp_path):
    ctx = ProbeContext(root=str(tmp_path))
    assert gpu_sysfs.list_pci_devices(ctx) == []
    assert gpu_sysfs.collect_sysfs_gpus(ctx) == []
    assert ctx.warnings == []


# -- DRM --------------------------------------------------------------------
def test_drm_groups_cards_and_render_nodes_and_skips_connectors(tmp_path):
    groups = gpu_sysfs.list_drm_devices(_context(tmp_path, "amd-gpu"))
    assert len(groups) == 1
    group = groups[0]
    assert group["cards"] == ["card1"]
    assert group["renderNodes"] == ["/dev/dri/renderD128"]
    assert group["pciAddress"] == "0000:03:00.0"
    assert group["driver"] == "amdgpu"
    assert group["devicePath"] == "/sys/devices/pci0000:00/0000:00:01.1/0000:01:00.0/0000:02:00.0/0000:03:00.0"


def test_drm_on_asahi_has_a_display_card_and_a_gpu(tmp_path):
    groups = gpu_sysfs.list_drm_devices(_context(tmp_path, "asahi-m2"))
    by_driver = dict((g["driver"], g) for g in groups)
    assert sorted(by_driver) == ["apple", "asahi"]
    assert by_driver["apple"]["renderNodes"] == [] and by_driver["apple"]["cards"] == ["card0"]
    assert by_driver["asahi"]["renderNodes"] == ["/dev/dri/renderD128"]
    assert by_driver["asahi"]["pciAddress"] is None
    assert by_driver["asahi"]["subsystem"] == "platform"


# -- GPU records -------------------------------------------------------------
def test_amd_radeon_record(tmp_path):
    ctx = _context(tmp_path, "amd-gpu")
    assert gpu_sysfs.collect_sysfs_gpus(ctx) == [gpu_sysfs.new_device(
        vendor="amd", vendorId="0x1002", deviceId="0x744c",
        name="AMD Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]",
        memoryBytes=24 * GIB, pciAddress="0000:03:00.0", driver="amdgpu",
        renderNode="/dev/dri/renderD128", source="sysfs")]
    assert ctx.warnings == []


def test_nvidia_without_drm_card_comes_from_the_pci_list_and_aspeed_is_skipped(tmp_path):
    records = gpu_sysfs.collect_sysfs_gpus(_context(tmp_path, "nvidia-a100-mig"))
    assert records == [gpu_sysfs.new_device(
        vendor="nvidia", vendorId="0x10de", deviceId="0x20b0", name="NVIDIA GA100 [A100 SXM4 40GB]",
        pciAddress="0000:07:00.0", driver="nvidia", source="sysfs")]
    assert records[0]["type"] == "unknown"


def test_name_without_pci_ids_database(tmp_path):
    ctx = _context(tmp_path, "nvidia-a100-mig")
    os.remove(ctx.path("/usr/share/misc/pci.ids"))
    assert gpu_sysfs.collect_sysfs_gpus(ctx)[0]["name"] == "NVIDIA GPU [10de:20b0]"


def test_emulated_vga_is_not_an_accelerator(tmp_path):
    assert gpu_sysfs.collect_sysfs_gpus(_context(tmp_path, "x86-vm")) == []


@pytest.mark.parametrize("name, vendor, device, driver", [
    ("virtio", "0x1af4", "0x1050", "virtio-pci"),
    ("vmware", "0x15ad", "0x0405", "vmwgfx"),
    ("qxl", "0x1b36", "0x0100", "qxl"),
])
def test_virtual_display_adapters_are_not_accelerators(tmp_path, name, vendor, device, driver):
    make_pci_gpu(tmp_path, "0000:00:02.0", vendor, device, "0x030000", driver, card="card0")
    ctx = ProbeContext(root=str(tmp_path))
    assert gpu_sysfs.collect_sysfs_gpus(ctx) == []
    assert [d["vendorId"] for d in gpu_sysfs.list_pci_devices(ctx)] == [vendor]


@pytest.mark.parametrize("name, soc_name", [("asahi-m1", "Apple M1"), ("asahi-m2", "Apple M2")])
def test_apple_gpu_named_from_the_device_tree(tmp_path, name, soc_name):
    ctx = _context(tmp_path, name)
    if not ctx.exists("/proc/device-tree/compatible"):  # written by the machine's system.yaml
        _write(tmp_path, "/proc/device-tree/compatible", ASAHI_COMPATIBLE[name])
    assert gpu_sysfs.collect_sysfs_gpus(ctx) == [gpu_sysfs.new_device(
        vendor="apple", name=soc_name + " GPU (AGX)", unifiedMemory=True, memoryBytes=None,
        driver="asahi", renderNode="/dev/dri/renderD128", source="device-tree+sysfs")]
    assert ctx.warnings == []


@pytest.mark.parametrize("compatible, expected", [
    ("apple,j314s\0apple,t6000\0apple,arm-platform\0", ("t6000", "Apple M1 Pro")),
    ("apple,j316c\0apple,t6001\0apple,arm-platform\0", ("t6001", "Apple M1 Max")),
    ("apple,j375d\0apple,t6002\0apple,arm-platform\0", ("t6002", "Apple M1 Ultra")),
    ("apple,j414s\0apple,t6020\0apple,arm-platform\0", ("t6020", "Apple M2 Pro")),
    ("apple,j414c\0apple,t6021\0apple,arm-platform\0", ("t6021", "Apple M2 Max")),
    ("apple,j180d\0apple,t6022\0apple,arm-platform\0", ("t6022", "Apple M2 Ultra")),
    ("apple,j999\0apple,t9999\0apple,arm-platform\0", ("t9999", None)),
    ("linux,dummy-virt\0", (None, None)),
])
def test_apple_soc_ids(tmp_path, compatible, expected):
    _write(tmp_path, "/proc/device-tree/compatible", compatible)
    assert gpu_sysfs.apple_soc(ProbeContext(root=str(tmp_path))) == expected


def test_apple_gpu_without_device_tree_is_still_reported_with_a_warning(tmp_path):
    ctx = _context(tmp_path, "asahi-m1")
    for path in gpu_sysfs.DEVICE_TREE_COMPATIBLE:
        if ctx.exists(path):
            os.remove(ctx.path(path))
    records = gpu_sysfs.collect_sysfs_gpus(ctx)
    assert [(r["vendor"], r["name"], r["source"]) for r in records] == [("apple", "Apple GPU (AGX)", "sysfs")]
    assert len(ctx.warnings) == 1 and "device tree" in ctx.warnings[0]


def test_intel_integrated_gpu_shares_system_memory(tmp_path):
    make_pci_gpu(tmp_path, "0000:00:02.0", "0x8086", "0x46a6", "0x030000", "i915", card="card0", render="renderD128")
    records = gpu_sysfs.collect_sysfs_gpus(ProbeContext(root=str(tmp_path)))
    assert records == [gpu_sysfs.new_device(
        vendor="intel", vendorId="0x8086", deviceId="0x46a6", name="Intel GPU [8086:46a6]", unifiedMemory=True,
        pciAddress="0000:00:02.0", driver="i915", renderNode="/dev/dri/renderD128", source="sysfs")]


def test_amd_product_name_is_preferred_when_the_card_has_one(tmp_path):
    make_pci_gpu(tmp_path, "0000:c1:00.0", "0x1002", "0x74a1", "0x038000", "amdgpu", card="card0", render="renderD128",
                 files={"product_name": "AMD Instinct MI300X\n", "mem_info_vram_total": str(192 * GIB) + "\n"})
    record = gpu_sysfs.collect_sysfs_gpus(ProbeContext(root=str(tmp_path)))[0]
    assert record["name"] == "AMD Instinct MI300X"
    assert record["memoryBytes"] == 192 * GIB


def test_processing_accelerator_class_without_drm_is_listed(tmp_path):
    make_pci_gpu(tmp_path, "0000:4b:00.0", "0x1da3", "0x1020", "0x120000", "habanalabs")
    records = gpu_sysfs.collect_sysfs_gpus(ProbeContext(root=str(tmp_path)))
    assert [(r["vendor"], r["vendorId"], r["pciAddress"], r["type"]) for r in records] == [
        ("other", "0x1da3", "0000:4b:00.0", "unknown")]


def test_unreadable_values_give_partial_records(tmp_path):
    make_pci_gpu(tmp_path, "0000:03:00.0", "0x1002", "0x744c", "0x030000", "amdgpu", card="card0", render="renderD128",
                 files={"mem_info_vram_total": "garbage\n"})
    ctx = ProbeContext(root=str(tmp_path))
    record = gpu_sysfs.collect_sysfs_gpus(ctx)[0]
    assert record["memoryBytes"] is None
    assert record["driver"] == "amdgpu"
    assert any("mem_info_vram_total" in w for w in ctx.warnings)


@pytest.mark.parametrize("value, expected", [
    ("00000000:07:00.0", "0000:07:00.0"), ("0000:3B:00.1", "0000:3b:00.1"), (b"00000001:A1:1F.7\x00", "0001:a1:1f.7"),
    ("206400000.gpu", None), ("", None), (None, None),
])
def test_normalize_pci_address(value, expected):
    assert gpu_sysfs.normalize_pci_address(value) == expected
