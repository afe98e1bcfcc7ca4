"""NVIDIA collection: simulated NVML, nvidia-smi XML v11/v12, and failures."""

import os

import pytest

from support import capture, fake_nvml
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe import nvidia
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "nvidia-smi")
MIB = 1048576
GPU_UUID = "GPU-7d1f3c2a-8e4b-4f6a-9c0d-2b5e6a7f8c91"
SMI_QUERY = "nvidia-smi -q -x"


def _xml(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def _context(tmp_path, nvml=None, commands=None, name="nvidia-a100-mig"):
    cap = capture.load(name)
    root = cap.materialize(str(tmp_path))
    runner = cap.runner() if commands is None else ReplayRunner(commands)
    return ProbeContext(root=root, runner=runner, nvml=nvml)


def _mig(with_nvml_details):
    def instance(index, gi, uuid):
        return {
            "index": index,
            "uuid": uuid if with_nvml_details else None,
            "name": "NVIDIA A100-SXM4-40GB MIG 3g.20gb" if with_nvml_details else None,
            "memoryBytes": 19968 * MIB,
            "gpuInstanceId": gi,
            "computeInstanceId": 0,
        }
    return {
        "mode": "enabled",
        "pendingMode": "enabled",
        "instances": [
            instance(0, 1, "MIG-3f2c9a41-6b7e-5d08-a1c4-9e7b2f5d3a60"),
            instance(1, 2, "MIG-b81e4d27-0c95-5a3f-8e62-47d1c0a9f5b3"),
        ],
    }


def _a100(source, compute_capability, with_nvml_details):
    return {
        "index": 0,
        "type": "cuda",
        "vendor": "nvidia",
        "vendorId": "0x10de",
        "deviceId": "0x20b0",
        "name": "NVIDIA A100-SXM4-40GB",
        "uuid": GPU_UUID,
        "memoryBytes": 40960 * MIB,
        "unifiedMemory": False,
        "computeCapability": compute_capability,
        "architecture": "Ampere",
        "pciAddress": "0000:07:00.0",
        "driver": "nvidia",
        "renderNode": None,
        "mig": _mig(with_nvml_details),
        "source": source,
    }


# -- NVML ---------------------------------------------------------------
def test_nvml_reports_the_a100_with_its_mig_instances(tmp_path):
    fake = fake_nvml.from_capture(capture.load("nvidia-a100-mig"))
    ctx = _context(tmp_path, nvml=fake)
    result = nvidia.collect_nvidia(ctx)
    assert result == {
        "source": "pynvml",
        "nvidia": {"driverVersion": "510.47.03", "cudaDriverVersion": "11.6", "source": "pynvml"},
        "devices": [_a100("pynvml", "8.0", with_nvml_details=True)],
    }
    assert ctx.warnings == []
    assert fake.init_calls == 1 and fake.shutdown_calls == 1 and not fake.initialized


def test_nvml_names_as_bytes_are_decoded(tmp_path):
    fake = fake_nvml.from_capture(capture.load("nvidia-a100-mig"), names_as_bytes=True)
    result = nvidia.collect_nvidia(_context(tmp_path, nvml=fake))
    device = result["devices"][0]
    assert device["name"] == "NVIDIA A100-SXM4-40GB"
    assert device["uuid"] == GPU_UUID
    assert device["pciAddress"] == "0000:07:00.0"
    assert device["mig"]["instances"][1]["uuid"] == "MIG-b81e4d27-0c95-5a3f-8e62-47d1c0a9f5b3"
    assert result["nvidia"]["driverVersion"] == "510.47.03"


def _one_gpu(**overrides):
    gpu = {
        "name": "NVIDIA L4", "uuid": "GPU-0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f", "memoryTotal": 23034 * MIB,
        "cudaComputeCapability": [8, 9], "architecture": 8,
        "pci": {"busId": "00000000:01:00.0", "pciDeviceId": 0x27B810DE},
    }
    gpu.update(overrides)
    return {"driverVersion": "550.54.15", "cudaDriverVersion": 12040, "devices": [gpu]}


def test_nvml_non_mig_gpu_raises_not_supported_and_reports_no_mig(tmp_path):
    fake = fake_nvml.FakeNvml(_one_gpu())
    ctx = _context(tmp_path, nvml=fake)
    result = nvidia.collect_nvidia(ctx)
    device = result["devices"][0]
    assert device["mig"] is None
    assert device["computeCapability"] == "8.9"
    assert device["architecture"] == "Ada Lovelace"
    assert device["deviceId"] == "0x27b8"
    assert result["nvidia"]["cudaDriverVersion"] == "12.4"
    assert ctx.warnings == []
    assert "nvmlDeviceGetMigMode" in fake.calls


@pytest.mark.parametrize("modes, expected", [
    ([0, 0], {"mode": "disabled", "pendingMode": "disabled", "instances": []}),
    ([0, 1], {"mode": "disabled", "pendingMode": "enabled", "instances": []}),
    ([1, 1], {"mode": "enabled", "pendingMode": "enabled", "instances": []}),
])
def test_nvml_mig_modes(tmp_path, modes, expected):
    fake = fake_nvml.FakeNvml(_one_gpu(migMode=modes, maxMigDeviceCount=7, migDevices=[]))
    result = nvidia.collect_nvidia(_context(tmp_path, nvml=fake))
    assert result["devices"][0]["mig"] == expected


def test_nvml_skips_empty_mig_slots(tmp_path):
    mig = {"slot": 4, "uuid": "MIG-11111111-2222-5333-8444-555555555555", "name": "NVIDIA L4 MIG x",
           "memoryTotal": 4864 * MIB, "gpuInstanceId": 13, "computeInstanceId": 0}
    fake = fake_nvml.FakeNvml(_one_gpu(migMode=[1, 1], maxMigDeviceCount=7, migDevices=[mig]))
    ctx = _context(tmp_path, nvml=fake)
    instances = nvidia.collect_nvidia(ctx)["devices"][0]["mig"]["instances"]
    assert instances == [{"index": 4, "uuid": mig["uuid"], "name": "NVIDIA L4 MIG x", "memoryBytes": 4864 * MIB,
                          "gpuInstanceId": 13, "computeInstanceId": 0}]
    assert ctx.warnings == []
    assert fake.calls.count("nvmlDeviceGetMigDeviceHandleByIndex") == 7


def test_nvml_architecture_falls_back_to_compute_capability(tmp_path):
    fake = fake_nvml.FakeNvml(_one_gpu(architecture=None, cudaComputeCapability=[9, 0]))
    device = nvidia.collect_nvidia(_context(tmp_path, nvml=fake))["devices"][0]
    assert device["architecture"] == "Hopper"


@pytest.mark.parametrize("code", [fake_nvml.NVML_ERROR_LIBRARY_NOT_FOUND, fake_nvml.NVML_ERROR_DRIVER_NOT_LOADED])
def test_nvml_init_failure_falls_back_to_nvidia_smi_with_a_warning(tmp_path, code):
    fake = fake_nvml.from_capture(capture.load("nvidia-a100-mig"), init_error=code)
    ctx = _context(tmp_path, nvml=fake)
    result = nvidia.collect_nvidia(ctx)
    assert result == {
        "source": "nvidia-smi -q -x",
        "nvidia": {"driverVersion": "510.47.03", "cudaDriverVersion": "11.6", "source": "nvidia-smi -q -x"},
        "devices": [_a100("nvidia-smi -q -x", "8.0", with_nvml_details=False)],
    }
    assert len(ctx.warnings) == 1
    assert "NVML could not start" in ctx.warnings[0] and "NVML error %d" % code in ctx.warnings[0]
    assert fake.shutdown_calls == 0  # nothing to shut down after a failed init


def test_nvml_shuts_down_even_when_a_query_fails(tmp_path):
    fake = fake_nvml.from_capture(capture.load("nvidia-a100-mig"), failing={"nvmlDeviceGetCount": 999})
    ctx = _context(tmp_path, nvml=fake)
    result = nvidia.collect_nvidia(ctx)
    assert fake.shutdown_calls == 1 and not fake.initialized
    assert result["source"] == "nvidia-smi -q -x"
    assert any("nvmlDeviceGetCount" in w for w in ctx.warnings)


def test_nvml_optional_query_failure_is_partial_data_and_a_warning(tmp_path):
    fake = fake_nvml.from_capture(capture.load("nvidia-a100-mig"), failing={"nvmlDeviceGetMemoryInfo": 999})
    ctx = _context(tmp_path, nvml=fake)
    device = nvidia.collect_nvidia(ctx)["devices"][0]
    assert device["memoryBytes"] is None
    assert device["name"] == "NVIDIA A100-SXM4-40GB"
    assert any("nvmlDeviceGetMemoryInfo" in w for w in ctx.warnings)
    assert fake.shutdown_calls == 1


# -- nvidia-smi -q -x ---------------------------------------------------
@pytest.mark.parametrize("filename, schema", [("a100-mig-v11.xml", "v11"), ("a100-mig-v12.xml", "v12")])
def test_parse_a100_mig_document(filename, schema):
    parsed = nvidia.parse_nvidia_smi_xml(_xml(filename))
    assert parsed == {
        "schema": schema,
        "driverVersion": "510.47.03",
        "cudaDriverVersion": "11.6",
        "devices": [_a100("nvidia-smi -q -x", None, with_nvml_details=False)],
    }


def test_v11_and_v12_documents_really_use_different_schemas():
    v11, v12 = _xml("a100-mig-v11.xml"), _xml("a100-mig-v12.xml")
    assert "<clocks_throttle_reasons>" in v11 and "<power_readings>" in v11
    assert "<clocks_event_reasons>" in v12 and "<gpu_power_readings>" in v12
    assert "<clocks_throttle_reasons>" not in v12 and "<power_readings>" not in v12


def test_recorded_command_output_is_the_v11_fixture():
    cap = capture.load("nvidia-a100-mig")
    assert cap.commands[SMI_QUERY]["stdout"] == _xml("a100-mig-v11.xml")


def test_v12_output_through_the_collector(tmp_path):
    cap = capture.load("nvidia-a100-mig")
    commands = dict(cap.commands)
    commands[SMI_QUERY] = {"rc": 0, "stdout": _xml("a100-mig-v12.xml"), "stderr": ""}
    ctx = _context(tmp_path, commands=commands)
    result = nvidia.collect_nvidia(ctx)
    assert result["devices"] == [_a100("nvidia-smi -q -x", "8.0", with_nvml_details=False)]
    assert result["nvidia"]["cudaDriverVersion"] == "11.6"
    assert ctx.warnings == []


def test_parse_reads_mig_uuid_and_compute_cap_when_present():
    text = """<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log>
  <driver_version>550.54.15</driver_version>
  <cuda_version>12.4</cuda_version>
  <gpu id="00000000:3B:00.0">
    <product_name>NVIDIA H100 80GB HBM3</product_name>
    <uuid>GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee</uuid>
    <compute_cap>9.0</compute_cap>
    <mig_mode><current_mig>Enabled</current_mig><pending_mig>Disabled</pending_mig></mig_mode>
    <mig_devices>
      <mig_device>
        <index>0</index>
        <gpu_instance_id>7</gpu_instance_id>
        <compute_instance_id>0</compute_instance_id>
        <uuid>MIG-01234567-89ab-5cde-8f01-23456789abcd</uuid>
        <fb_memory_usage><total>N/A</total></fb_memory_usage>
      </mig_device>
    </mig_devices>
    <pci><pci_device_id>233010DE</pci_device_id><pci_bus_id>00000000:3B:00.0</pci_bus_id></pci>
    <fb_memory_usage><total>81559 MiB</total></fb_memory_usage>
  </gpu>
</nvidia_smi_log>
"""
    device = nvidia.parse_nvidia_smi_xml(text)["devices"][0]
    assert device["computeCapability"] == "9.0"
    assert device["architecture"] == "Hopper"
    assert device["pciAddress"] == "0000:3b:00.0"
    assert device["deviceId"] == "0x2330"
    assert device["memoryBytes"] == 81559 * MIB
    assert device["mig"] == {"mode": "enabled", "pendingMode": "disabled", "instances": [
        {"index": 0, "uuid": "MIG-01234567-89ab-5cde-8f01-23456789abcd", "name": None, "memoryBytes": None,
         "gpuInstanceId": 7, "computeInstanceId": 0}]}


def test_parse_non_mig_gpu_and_leading_noise():
    text = """WARNING: infoROM is corrupted at gpu 0000:01:00.0
<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v11.dtd">
<nvidia_smi_log>
  <driver_version>535.129.03</driver_version>
  <cuda_version>12.2</cuda_version>
  <gpu id="00000000:01:00.0">
    <product_name>NVIDIA GeForce RTX 3090</product_name>
    <product_architecture>Ampere</product_architecture>
    <mig_mode><current_mig>N/A</current_mig><pending_mig>N/A</pending_mig></mig_mode>
    <mig_devices>
      None
    </mig_devices>
    <uuid>GPU-12345678-1234-1234-1234-123456789abc</uuid>
    <fb_memory_usage><total>24576 MiB</total></fb_memory_usage>
  </gpu>
</nvidia_smi_log>"""
    parsed = nvidia.parse_nvidia_smi_xml(text)
    device = parsed["devices"][0]
    assert parsed["schema"] == "v11"
    assert device["mig"] is None
    assert device["pciAddress"] == "0000:01:00.0"
    assert device["deviceId"] is None
    assert device["memoryBytes"] == 24576 * MIB
    assert device["computeCapability"] is None


@pytest.mark.parametrize("text", ["", "garbage", "<nvidia_smi_log><gpu>", "<?xml version='1.0'?><other/>", None])
def test_parse_garbage_raises_value_error(text):
    with pytest.raises(ValueError):
        nvidia.parse_nvidia_smi_xml(text)


@pytest.mark.parametrize("stdout", ["garbage", "<nvidia_smi_log><gpu>", "\x00\xff binary"])
def test_collect_with_garbage_xml_warns_and_does_not_raise(tmp_path, stdout):
    ctx = _context(tmp_path, commands={SMI_QUERY: {"rc": 0, "stdout": stdout, "stderr": ""}})
    assert nvidia.collect_nvidia(ctx) is None
    assert len(ctx.warnings) == 1 and "could not be parsed" in ctx.warnings[0]


def test_collect_with_failing_nvidia_smi_warns(tmp_path):
    stderr = ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
              "Make sure that the latest NVIDIA driver is installed and running.\n")
    ctx = _context(tmp_path, commands={SMI_QUERY: {"rc": 9, "stdout": "", "stderr": stderr}})
    assert nvidia.collect_nvidia(ctx) is None
    assert ctx.warnings == ["nvidia-smi -q -x failed (rc=9): " + stderr.strip()[:200]]


def test_collect_without_nvml_or_nvidia_smi_is_none_and_silent(tmp_path):
    ctx = _context(tmp_path, commands={})
    assert nvidia.collect_nvidia(ctx) is None
    assert ctx.warnings == []


def test_collect_without_compute_cap_query_keeps_none(tmp_path):
    ctx = _context(tmp_path, commands={SMI_QUERY: {"rc": 0, "stdout": _xml("a100-mig-v11.xml"), "stderr": ""}})
    device = nvidia.collect_nvidia(ctx)["devices"][0]
    assert device["computeCapability"] is None
    assert device["architecture"] == "Ampere"


# -- helpers ------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    ("40960 MiB", 40960 * MIB), ("19968 MiB", 19968 * MIB), ("1 GiB", 1024 * MIB), ("512 KiB", 524288),
    ("N/A", None), ("[N/A]", None), ("Not Supported", None), ("", None), (None, None), ("lots", None),
])
def test_parse_size(value, expected):
    assert nvidia.parse_size(value) == expected


@pytest.mark.parametrize("value, expected", [(11060, "11.6"), (12020, "12.2"), (12040, "12.4"), (10010, "10.1"),
                                             (0, None), (None, None), ("x", None)])
def test_cuda_version_text(value, expected):
    assert nvidia.cuda_version_text(value) == expected


def test_parse_compute_cap_csv():
    text = "00000000:07:00.0, 8.0\n00000000:0F:00.0, 8.6\nbad line\n"
    assert nvidia.parse_compute_cap_csv(text) == {"0000:07:00.0": "8.0", "0000:0f:00.0": "8.6"}
