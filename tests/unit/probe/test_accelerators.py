"""The accelerator facts of whole captured machines."""

import os

import pytest

from support import capture, fake_nvml
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe import accelerators
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext

MIB = 1048576
GIB = 1024 ** 3
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures")
ASAHI_COMPATIBLE = {
    "asahi-m1": "apple,j313\0apple,t8103\0apple,arm-platform\0",
    "asahi-m2": "apple,j413\0apple,t8112\0apple,arm-platform\0",
}
DEVICE_KEYS = {"index", "type", "vendor", "vendorId", "deviceId", "name", "uuid", "memoryBytes", "unifiedMemory",
               "computeCapability", "architecture", "pciAddress", "driver", "renderNode", "mig", "source"}
MIG_INSTANCE_KEYS = {"index", "uuid", "name", "memoryBytes", "gpuInstanceId", "computeInstanceId"}
NO_TYPES = {"cpu": True, "cuda": False, "rocm": False, "vulkan": False, "metal": False, "mlx": False}


def _context(tmp_path, name, nvml=None, runner="capture"):
    cap = capture.load(name)
    root = cap.materialize(str(tmp_path))
    if name in ASAHI_COMPATIBLE and not os.path.lexists(os.path.join(root, "proc/device-tree/compatible")):
        # The machine's system.yaml carries the device tree; keep this test self-contained.
        os.makedirs(os.path.join(root, "proc/device-tree"), exist_ok=True)
        with open(os.path.join(root, "proc/device-tree/compatible"), "w") as handle:
            handle.write(ASAHI_COMPATIBLE[name])
    return ProbeContext(root=root, runner=cap.runner() if runner == "capture" else runner, nvml=nvml)


def _a100_nvml():
    return fake_nvml.from_capture(capture.load("nvidia-a100-mig"))


def _mig_instances(nvml_details):
    return [
        {"index": 0, "uuid": "MIG-3f2c9a41-6b7e-5d08-a1c4-9e7b2f5d3a60" if nvml_details else None,
         "name": "NVIDIA A100-SXM4-40GB MIG 3g.20gb" if nvml_details else None,
         "memoryBytes": 19968 * MIB, "gpuInstanceId": 1, "computeInstanceId": 0},
        {"index": 1, "uuid": "MIG-b81e4d27-0c95-5a3f-8e62-47d1c0a9f5b3" if nvml_details else None,
         "name": "NVIDIA A100-SXM4-40GB MIG 3g.20gb" if nvml_details else None,
         "memoryBytes": 19968 * MIB, "gpuInstanceId": 2, "computeInstanceId": 0},
    ]


# -- NVIDIA A100 ------------------------------------------------------------------
def test_a100_through_nvml(tmp_path):
    ctx = _context(tmp_path, "nvidia-a100-mig", nvml=_a100_nvml())
    assert accelerators.collect_accelerators(ctx) == {
        "devices": [{
            "index": 0, "type": "cuda", "vendor": "nvidia", "vendorId": "0x10de", "deviceId": "0x20b0",
            "name": "NVIDIA A100-SXM4-40GB", "uuid": "GPU-7d1f3c2a-8e4b-4f6a-9c0d-2b5e6a7f8c91",
            "memoryBytes": 40960 * MIB, "unifiedMemory": False, "computeCapability": "8.0", "architecture": "Ampere",
            "pciAddress": "0000:07:00.0", "driver": "nvidia", "renderNode": None,
            "mig": {"mode": "enabled", "pendingMode": "enabled", "instances": _mig_instances(True)},
            "source": "pynvml",
        }],
        "nvidia": {"driverVersion": "510.47.03", "cudaDriverVersion": "11.6", "source": "pynvml"},
        "vulkan": {"usable": False, "icds": [], "renderNodes": [], "devices": [], "source": "unavailable"},
        "types": dict(NO_TYPES, cuda=True),
        "source": "pynvml+sysfs",
    }
    assert ctx.warnings == []


@pytest.mark.parametrize("xml_file", [None, "a100-mig-v11.xml", "a100-mig-v12.xml"])
def test_a100_through_nvidia_smi_when_nvml_cannot_start(tmp_path, xml_file):
    cap = capture.load("nvidia-a100-mig")
    commands = dict(cap.commands)
    if xml_file:
        with open(os.path.join(FIXTURES, "nvidia-smi", xml_file), encoding="utf-8") as handle:
            commands["nvidia-smi -q -x"] = {"rc": 0, "stdout": handle.read(), "stderr": ""}
    nvml = fake_nvml.from_capture(cap, init_error=fake_nvml.NVML_ERROR_LIBRARY_NOT_FOUND)
    ctx = _context(tmp_path, "nvidia-a100-mig", nvml=nvml, runner=ReplayRunner(commands))
    result = accelerators.collect_accelerators(ctx)
    device = result["devices"][0]
    assert len(result["devices"]) == 1
    assert (device["name"], device["memoryBytes"], device["computeCapability"], device["type"], device["source"]) == (
        "NVIDIA A100-SXM4-40GB", 40960 * MIB, "8.0", "cuda", "nvidia-smi -q -x")
    assert device["mig"] == {"mode": "enabled", "pendingMode": "enabled", "instances": _mig_instances(False)}
    assert result["nvidia"] == {"driverVersion": "510.47.03", "cudaDriverVersion": "11.6", "source": "nvidia-smi -q -x"}
    assert result["types"] == dict(NO_TYPES, cuda=True)
    assert result["source"] == "nvidia-smi+sysfs"
    assert len(ctx.warnings) == 1 and "NVML could not start" in ctx.warnings[0]


@pytest.mark.parametrize("nvml_error", [fake_nvml.NVML_ERROR_DRIVER_NOT_LOADED, None])
def test_a100_without_nvml_or_nvidia_smi_is_a_sysfs_entry_without_cuda(tmp_path, nvml_error):
    nvml = fake_nvml.from_capture(capture.load("nvidia-a100-mig"), init_error=nvml_error) if nvml_error else None
    ctx = _context(tmp_path, "nvidia-a100-mig", nvml=nvml, runner=None)
    result = accelerators.collect_accelerators(ctx)
    assert result["devices"] == [{
        "index": 0, "type": "unknown", "vendor": "nvidia", "vendorId": "0x10de", "deviceId": "0x20b0",
        "name": "NVIDIA GA100 [A100 SXM4 40GB]", "uuid": None, "memoryBytes": None, "unifiedMemory": False,
        "computeCapability": None, "architecture": None, "pciAddress": "0000:07:00.0", "driver": "nvidia",
        "renderNode": None, "mig": None, "source": "sysfs",
    }]
    assert result["nvidia"] is None
    assert result["types"] == NO_TYPES
    assert result["source"] == "sysfs"
    assert any("0000:07:00.0" in w and "neither NVML nor nvidia-smi" in w for w in ctx.warnings)
    assert any("NVML could not start" in w for w in ctx.warnings) == bool(nvml_error)


def test_a100_with_garbage_nvidia_smi_output_warns_and_falls_back_to_sysfs(tmp_path):
    runner = ReplayRunner({"nvidia-smi -q -x": {"rc": 0, "stdout": "<nvidia_smi_log><gpu", "stderr": ""}})
    ctx = _context(tmp_path, "nvidia-a100-mig", runner=runner)
    result = accelerators.collect_accelerators(ctx)
    assert [(d["vendor"], d["type"], d["source"]) for d in result["devices"]] == [("nvidia", "unknown", "sysfs")]
    assert result["types"]["cuda"] is False
    assert any("could not be parsed" in w for w in ctx.warnings)


def test_nvidia_gpu_with_drm_nodes_is_merged_not_duplicated(tmp_path):
    ctx = _context(tmp_path, "nvidia-a100-mig", nvml=_a100_nvml())
    real = "/sys/devices/pci0000:00/0000:00:03.1/0000:07:00.0"
    for node in ("card1", "renderD128"):
        os.makedirs(ctx.path(real + "/drm/" + node))
        os.symlink("../../../0000:07:00.0", ctx.path(real + "/drm/%s/device" % node))
        os.symlink("../.." + real[4:] + "/drm/" + node, ctx.path("/sys/class/drm/" + node))
        open(ctx.path("/dev/dri/" + node), "w").close()
    result = accelerators.collect_accelerators(ctx)
    assert len(result["devices"]) == 1
    device = result["devices"][0]
    assert (device["source"], device["renderNode"], device["driver"]) == ("pynvml", "/dev/dri/renderD128", "nvidia")


# -- AMD ----------------------------------------------------------------------------
def test_amd_radeon_is_rocm_with_24_gib(tmp_path):
    ctx = _context(tmp_path, "amd-gpu")
    result = accelerators.collect_accelerators(ctx)
    assert result["devices"] == [{
        "index": 0, "type": "rocm", "vendor": "amd", "vendorId": "0x1002", "deviceId": "0x744c",
        "name": "AMD Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]", "uuid": None,
        "memoryBytes": 24 * GIB, "unifiedMemory": False, "computeCapability": None, "architecture": None,
        "pciAddress": "0000:03:00.0", "driver": "amdgpu", "renderNode": "/dev/dri/renderD128", "mig": None,
        "source": "sysfs",
    }]
    assert result["nvidia"] is None
    assert result["types"] == dict(NO_TYPES, rocm=True, vulkan=True)
    assert result["vulkan"]["usable"] is True
    assert result["source"] == "sysfs+icd+vulkaninfo"
    assert ctx.warnings == []


def test_amd_without_kfd_is_a_vulkan_device(tmp_path):
    ctx = _context(tmp_path, "amd-gpu")
    os.remove(ctx.path("/dev/kfd"))
    result = accelerators.collect_accelerators(ctx)
    assert result["devices"][0]["type"] == "vulkan"
    assert result["types"] == dict(NO_TYPES, vulkan=True)


def test_amd_without_kfd_or_vulkan_is_unknown(tmp_path):
    ctx = _context(tmp_path, "amd-gpu", runner=None)
    os.remove(ctx.path("/dev/kfd"))
    os.remove(ctx.path("/usr/lib64/libvulkan_radeon.so"))
    result = accelerators.collect_accelerators(ctx)
    assert result["devices"][0]["type"] == "unknown"
    assert result["devices"][0]["memoryBytes"] == 24 * GIB
    assert result["types"] == NO_TYPES


# -- Apple Silicon (Asahi) -------------------------------------------------------------
@pytest.mark.parametrize("name, soc_name", [("asahi-m1", "Apple M1"), ("asahi-m2", "Apple M2")])
def test_asahi_gpu_is_vulkan_never_metal(tmp_path, name, soc_name):
    ctx = _context(tmp_path, name)
    result = accelerators.collect_accelerators(ctx)
    assert result["devices"] == [{
        "index": 0, "type": "vulkan", "vendor": "apple", "vendorId": None, "deviceId": None,
        "name": soc_name + " GPU (AGX)", "uuid": None, "memoryBytes": None, "unifiedMemory": True,
        "computeCapability": None, "architecture": None, "pciAddress": None, "driver": "asahi",
        "renderNode": "/dev/dri/renderD128", "mig": None, "source": "device-tree+sysfs",
    }]
    assert result["types"] == dict(NO_TYPES, vulkan=True)
    assert result["types"]["metal"] is False and result["types"]["mlx"] is False
    assert result["nvidia"] is None
    assert result["vulkan"]["icds"][0]["driver"] == "asahi"
    assert result["source"] == "sysfs+device-tree+icd"
    assert ctx.warnings == []


def test_asahi_with_missing_vulkan_library_is_not_usable(tmp_path):
    ctx = _context(tmp_path, "asahi-m2")
    os.remove(ctx.path("/usr/lib64/libvulkan_asahi.so"))
    result = accelerators.collect_accelerators(ctx)
    assert result["devices"][0]["vendor"] == "apple"
    assert result["devices"][0]["type"] == "unknown"
    assert result["types"] == NO_TYPES


# -- VM ---------------------------------------------------------------------------------
def test_vm_has_no_accelerators(tmp_path):
    ctx = _context(tmp_path, "x86-vm")
    assert accelerators.collect_accelerators(ctx) == {
        "devices": [],
        "nvidia": None,
        "vulkan": {"usable": False, "icds": [], "renderNodes": [], "devices": [], "source": "unavailable"},
        "types": NO_TYPES,
        "source": "sysfs",
    }
    assert ctx.warnings == []


def test_empty_root_has_no_accelerators(tmp_path):
    ctx = ProbeContext(root=str(tmp_path))
    assert accelerators.collect_accelerators(ctx) == accelerators.empty_accelerators()


# -- contract ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["nvidia-a100-mig", "amd-gpu", "asahi-m1", "asahi-m2", "x86-vm"])
@pytest.mark.parametrize("with_nvml", [True, False])
def test_every_device_has_the_documented_shape(tmp_path, name, with_nvml):
    cap = capture.load(name)
    nvml = fake_nvml.from_capture(cap) if (with_nvml and cap.nvml) else None
    ctx = _context(tmp_path, name, nvml=nvml)
    result = accelerators.collect_accelerators(ctx)
    assert set(result) == {"devices", "nvidia", "vulkan", "types", "source"}
    assert set(result["types"]) == {"cpu", "cuda", "rocm", "vulkan", "metal", "mlx"}
    assert result["types"]["cpu"] is True and result["types"]["metal"] is False
    assert set(result["vulkan"]) == {"usable", "icds", "renderNodes", "devices", "source"}
    for position, device in enumerate(result["devices"]):
        assert set(device) == DEVICE_KEYS
        assert device["index"] == position
        assert device["type"] in ("cuda", "rocm", "vulkan", "unknown")
        assert device["vendor"] in ("nvidia", "amd", "intel", "apple", "other")
        if device["mig"] is not None:
            for instance in device["mig"]["instances"]:
                assert set(instance) == MIG_INSTANCE_KEYS


def test_collector_never_raises(tmp_path, monkeypatch):
    def broken(ctx):
        raise RuntimeError("boom")
    monkeypatch.setattr(accelerators, "collect_vulkan", broken)
    ctx = _context(tmp_path, "amd-gpu")
    assert accelerators.collect_accelerators(ctx) == accelerators.empty_accelerators()
    assert ctx.warnings == ["accelerator probe failed: RuntimeError: boom"]
