"""Vulkan usability from driver manifests, render nodes and vulkaninfo."""

import json
import os

import pytest

from support import capture
from support.capture import write_file as _write
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe import vulkan
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext

ICD_DIR = "/usr/share/vulkan/icd.d"


def _context(tmp_path, name, runner="capture"):
    cap = capture.load(name)
    root = cap.materialize(str(tmp_path))
    return ProbeContext(root=root, runner=cap.runner() if runner == "capture" else runner)


def _icd_json(library, api="1.3.278"):
    return json.dumps({"file_format_version": "1.0.0", "ICD": {"library_path": library, "api_version": api}})


def _render_node(root, name, driver):
    """A render node whose sysfs device is bound to ``driver``."""
    device = "/sys/devices/platform/%s.0" % driver
    os.makedirs(os.path.join(str(root), (device + "/drm/" + name).lstrip("/")), exist_ok=True)
    os.makedirs(os.path.join(str(root), "sys/bus/platform/drivers", driver), exist_ok=True)
    os.symlink("../../../bus/platform/drivers/" + driver, os.path.join(str(root), (device + "/driver").lstrip("/")))
    os.symlink("../../../%s.0" % driver, os.path.join(str(root), (device + "/drm/%s/device" % name).lstrip("/")))
    os.makedirs(os.path.join(str(root), "sys/class/drm"), exist_ok=True)
    os.symlink("../../devices/platform/%s.0/drm/%s" % (driver, name), os.path.join(str(root), "sys/class/drm", name))
    _write(root, "/dev/dri/" + name)


# -- captured machines --------------------------------------------------------
def test_amd_workstation(tmp_path):
    ctx = _context(tmp_path, "amd-gpu")
    assert vulkan.collect_vulkan(ctx) == {
        "usable": True,
        "icds": [
            {"path": ICD_DIR + "/intel_icd.x86_64.json", "libraryPath": "/usr/lib64/libvulkan_intel.so",
             "libraryFound": True, "apiVersion": "1.3.278", "driver": "intel"},
            {"path": ICD_DIR + "/lvp_icd.x86_64.json", "libraryPath": "/usr/lib64/libvulkan_lvp.so",
             "libraryFound": True, "apiVersion": "1.3.278", "driver": "lvp"},
            {"path": ICD_DIR + "/radeon_icd.x86_64.json", "libraryPath": "/usr/lib64/libvulkan_radeon.so",
             "libraryFound": True, "apiVersion": "1.3.278", "driver": "radeon"},
        ],
        "renderNodes": [{"path": "/dev/dri/renderD128", "driver": "amdgpu", "software": False}],
        "devices": [{"name": "AMD Radeon RX 7900 XTX (RADV NAVI31)", "type": "PHYSICAL_DEVICE_TYPE_DISCRETE_GPU",
                     "driverName": "radv"}],
        "source": "vulkaninfo --summary",
    }
    assert ctx.warnings == []


@pytest.mark.parametrize("name", ["asahi-m1", "asahi-m2"])
def test_asahi_honeykrisp_is_usable(tmp_path, name):
    ctx = _context(tmp_path, name)
    result = vulkan.collect_vulkan(ctx)
    assert result["usable"] is True
    assert result["source"] == "icd+render-node"
    assert result["devices"] == []
    assert result["renderNodes"] == [{"path": "/dev/dri/renderD128", "driver": "asahi", "software": False}]
    assert result["icds"][0] == {"path": ICD_DIR + "/asahi_icd.aarch64.json", "libraryPath": "/usr/lib64/libvulkan_asahi.so",
                                 "libraryFound": True, "apiVersion": "1.3.289", "driver": "asahi"}
    assert [i["driver"] for i in result["icds"]] == ["asahi", "lvp"]


def test_vm_without_drivers_is_unavailable(tmp_path):
    assert vulkan.collect_vulkan(_context(tmp_path, "x86-vm")) == {
        "usable": False, "icds": [], "renderNodes": [], "devices": [], "source": "unavailable"}


# -- not usable -----------------------------------------------------------------
def test_icd_whose_library_is_missing_is_not_usable(tmp_path):
    ctx = _context(tmp_path, "asahi-m2")
    os.remove(ctx.path("/usr/lib64/libvulkan_asahi.so"))
    result = vulkan.collect_vulkan(ctx)
    assert result["usable"] is False
    assert result["icds"][0]["libraryFound"] is False


def test_icd_without_render_node_is_not_usable(tmp_path):
    ctx = _context(tmp_path, "asahi-m1")
    os.remove(ctx.path("/dev/dri/renderD128"))
    result = vulkan.collect_vulkan(ctx)
    assert result["usable"] is False
    assert result["renderNodes"] == []
    assert result["icds"][0]["libraryFound"] is True


def test_software_driver_only_is_not_usable(tmp_path):
    ctx = _context(tmp_path, "asahi-m2")
    os.remove(ctx.path(ICD_DIR + "/asahi_icd.aarch64.json"))
    result = vulkan.collect_vulkan(ctx)
    assert [i["driver"] for i in result["icds"]] == ["lvp"]
    assert result["icds"][0]["libraryFound"] is True
    assert result["usable"] is False


def test_software_render_node_is_not_usable(tmp_path):
    _write(tmp_path, ICD_DIR + "/radeon_icd.x86_64.json", _icd_json("/usr/lib64/libvulkan_radeon.so"))
    _write(tmp_path, "/usr/lib64/libvulkan_radeon.so")
    _render_node(tmp_path, "renderD128", "vgem")
    result = vulkan.collect_vulkan(ProbeContext(root=str(tmp_path)))
    assert result["renderNodes"] == [{"path": "/dev/dri/renderD128", "driver": "vgem", "software": True}]
    assert result["usable"] is False


def test_icd_for_another_vendor_does_not_make_the_gpu_usable(tmp_path):
    ctx = _context(tmp_path, "amd-gpu", runner=None)
    os.remove(ctx.path(ICD_DIR + "/radeon_icd.x86_64.json"))
    result = vulkan.collect_vulkan(ctx)
    assert [i["driver"] for i in result["icds"]] == ["intel", "lvp"]
    assert result["usable"] is False


def test_vulkaninfo_on_path_alone_never_makes_vulkan_usable(tmp_path):
    summary = ("Devices:\n========\nGPU0:\n\tapiVersion         = 1.3.278\n"
               "\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU\n\tdeviceName         = llvmpipe (LLVM 18.1.6, 256 bits)\n"
               "\tdriverName         = llvmpipe\n")
    runner = ReplayRunner({"vulkaninfo --summary": {"rc": 0, "stdout": summary, "stderr": ""}})
    _render_node(tmp_path, "renderD128", "amdgpu")
    result = vulkan.collect_vulkan(ProbeContext(root=str(tmp_path), runner=runner))
    assert result["devices"] == []
    assert result["source"] == "vulkaninfo --summary"
    assert result["usable"] is False


def test_failing_vulkaninfo_is_a_warning(tmp_path):
    stderr = "ERROR: [Loader Message] Code 0 : vkCreateInstance: Found no drivers!\n"
    runner = ReplayRunner({"vulkaninfo --summary": {"rc": 1, "stdout": "", "stderr": stderr}})
    ctx = ProbeContext(root=str(tmp_path), runner=runner)
    result = vulkan.collect_vulkan(ctx)
    assert result["usable"] is False and result["source"] == "unavailable"
    assert ctx.warnings == ["vulkaninfo --summary failed (rc=1): ERROR: [Loader Message] Code 0 : vkCreateInstance: Found no drivers!"]


# -- manifests and libraries -----------------------------------------------------
def test_bare_soname_is_found_in_the_multiarch_folder(tmp_path):
    _write(tmp_path, "/etc/vulkan/icd.d/nvidia_icd.json", _icd_json("libGLX_nvidia.so.0", "1.3.277"))
    _write(tmp_path, "/usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.550.54.15")
    os.symlink("libGLX_nvidia.so.550.54.15", str(tmp_path / "usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0"))
    icds = vulkan.list_icds(ProbeContext(root=str(tmp_path)))
    assert icds == [{"path": "/etc/vulkan/icd.d/nvidia_icd.json", "libraryPath": "libGLX_nvidia.so.0",
                     "libraryFound": True, "apiVersion": "1.3.277", "driver": "nvidia"}]


def test_bare_soname_in_a_ld_so_conf_folder(tmp_path):
    _write(tmp_path, "/usr/share/vulkan/icd.d/vendor_icd.json", _icd_json("libvendorvk.so"))
    _write(tmp_path, "/etc/ld.so.conf.d/vendor.conf", "# vendor driver\n/opt/vendor/lib64\n")
    _write(tmp_path, "/opt/vendor/lib64/libvendorvk.so")
    icd = vulkan.list_icds(ProbeContext(root=str(tmp_path)))[0]
    assert icd["libraryFound"] is True
    assert icd["driver"] == "vendor"


def test_dangling_library_symlink_is_not_found(tmp_path):
    _write(tmp_path, ICD_DIR + "/radeon_icd.x86_64.json", _icd_json("/usr/lib64/libvulkan_radeon.so"))
    os.makedirs(str(tmp_path / "usr/lib64"))
    os.symlink("libvulkan_radeon.so.gone", str(tmp_path / "usr/lib64/libvulkan_radeon.so"))
    assert vulkan.list_icds(ProbeContext(root=str(tmp_path)))[0]["libraryFound"] is False


def test_relative_library_path_is_relative_to_the_manifest(tmp_path):
    _write(tmp_path, "/usr/local/share/vulkan/icd.d/custom_icd.json", _icd_json("../../../lib/libvulkan_custom.so"))
    _write(tmp_path, "/usr/local/lib/libvulkan_custom.so")
    icd = vulkan.list_icds(ProbeContext(root=str(tmp_path)))[0]
    assert icd["libraryFound"] is True and icd["driver"] == "custom"


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    (json.dumps({"file_format_version": "1.0.0"}), "has no ICD section"),
])
def test_broken_manifest_is_a_warning(tmp_path, content, message):
    _write(tmp_path, ICD_DIR + "/broken_icd.x86_64.json", content)
    ctx = ProbeContext(root=str(tmp_path))
    icds = vulkan.list_icds(ctx)
    assert icds == [{"path": ICD_DIR + "/broken_icd.x86_64.json", "libraryPath": None, "libraryFound": False,
                     "apiVersion": None, "driver": "broken"}]
    assert len(ctx.warnings) == 1 and message in ctx.warnings[0]


@pytest.mark.parametrize("manifest, library, expected", [
    ("/usr/share/vulkan/icd.d/radeon_icd.x86_64.json", "/usr/lib64/libvulkan_radeon.so", "radeon"),
    ("/usr/share/vulkan/icd.d/intel_hasvk_icd.x86_64.json", "/usr/lib64/libvulkan_intel_hasvk.so", "intel_hasvk"),
    ("/usr/share/vulkan/icd.d/asahi_icd.aarch64.json", "/usr/lib64/libvulkan_asahi.so", "asahi"),
    ("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json", "libvulkan_lvp.so", "lvp"),
    ("/usr/share/vulkan/icd.d/nvidia_icd.json", "libGLX_nvidia.so.0", "nvidia"),
    ("/usr/share/vulkan/icd.d/amd_icd64.json", "/usr/lib/x86_64-linux-gnu/amdvlk64.so", "amd"),
    ("/usr/share/vulkan/icd.d/asahi_icd.aarch64.json", None, "asahi"),
])
def test_icd_driver_name(manifest, library, expected):
    assert vulkan.icd_driver_name(manifest, library) == expected


def test_parse_vulkaninfo_summary_skips_cpu_devices():
    text = ("Vulkan Instance Version: 1.3.283\n\nDevices:\n========\nGPU0:\n"
            "\tapiVersion         = 1.3.289\n\tdeviceType         = PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU\n"
            "\tdeviceName         = Apple M2 (G14G B1)\n\tdriverName         = Honeykrisp\n"
            "GPU1:\n\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU\n\tdeviceName         = llvmpipe (LLVM 18.1.8, 128 bits)\n"
            "\tdriverName         = llvmpipe\n")
    assert vulkan.parse_vulkaninfo_summary(text) == [
        {"name": "Apple M2 (G14G B1)", "type": "PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU", "driverName": "Honeykrisp"}]
    assert vulkan.parse_vulkaninfo_summary("") == []
    assert vulkan.parse_vulkaninfo_summary(None) == []
