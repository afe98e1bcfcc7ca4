"""A simulated pynvml module built from a capture's ``nvml:`` block.

It answers the calls the probe makes with the values the capture records
and fails the way the real binding does: an ``NVMLError`` subclass whose
``.value`` is the nvmlReturn_t code (NotSupported 3, NotFound 6,
DriverNotLoaded 9, LibraryNotFound 12, ...).

The ``nvml:`` block::

    driverVersion: "510.47.03"
    cudaDriverVersion: 11060
    devices:
      - name: NVIDIA A100-SXM4-40GB
        uuid: GPU-...
        memoryTotal: 42949672960          # bytes
        cudaComputeCapability: [8, 0]
        architecture: 7                   # nvmlDeviceArchitecture_t
        pci: {busId: "00000000:07:00.0", pciDeviceId: 0x20B010DE}
        migMode: [1, 1]                   # omit or null -> NotSupported
        maxMigDeviceCount: 7
        migDevices:                       # slots not listed raise NotFound
          - {slot: 0, uuid: MIG-..., name: ..., memoryTotal: ..., gpuInstanceId: 1, computeInstanceId: 0}
"""

NVML_SUCCESS = 0
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_INVALID_ARGUMENT = 2
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_UNKNOWN = 999

NVML_DEVICE_MIG_DISABLE = 0
NVML_DEVICE_MIG_ENABLE = 1

_MESSAGES = {
    NVML_ERROR_UNINITIALIZED: "Uninitialized",
    NVML_ERROR_INVALID_ARGUMENT: "Invalid Argument",
    NVML_ERROR_NOT_SUPPORTED: "Not Supported",
    NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
    NVML_ERROR_NOT_FOUND: "Not Found",
    NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
    NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
    NVML_ERROR_UNKNOWN: "Unknown Error",
}


class NVMLError(Exception):
    """Like pynvml.NVMLError: constructing it with a code gives the subclass."""

    _classes = {}

    def __new__(cls, value):
        klass = NVMLError._classes.get(value, NVMLError) if cls is NVMLError else cls
        instance = Exception.__new__(klass)
        instance.value = value
        return instance

    def __init__(self, value):
        Exception.__init__(self, value)
        self.value = value

    def __str__(self):
        return _MESSAGES.get(self.value, "Unknown Error")


def _subclass(name, code):
    klass = type("NVMLError_" + name, (NVMLError,), {})
    NVMLError._classes[code] = klass
    return klass


NVMLError_Uninitialized = _subclass("Uninitialized", NVML_ERROR_UNINITIALIZED)
NVMLError_InvalidArgument = _subclass("InvalidArgument", NVML_ERROR_INVALID_ARGUMENT)
NVMLError_NotSupported = _subclass("NotSupported", NVML_ERROR_NOT_SUPPORTED)
NVMLError_NoPermission = _subclass("NoPermission", NVML_ERROR_NO_PERMISSION)
NVMLError_NotFound = _subclass("NotFound", NVML_ERROR_NOT_FOUND)
NVMLError_DriverNotLoaded = _subclass("DriverNotLoaded", NVML_ERROR_DRIVER_NOT_LOADED)
NVMLError_LibraryNotFound = _subclass("LibraryNotFound", NVML_ERROR_LIBRARY_NOT_FOUND)
NVMLError_Unknown = _subclass("Unknown", NVML_ERROR_UNKNOWN)


class _Struct:
    def __init__(self, **fields):
        self.__dict__.update(fields)


class _Handle:
    def __init__(self, gpu, mig=None):
        self.gpu = gpu
        self.mig = mig


class FakeNvml:
    """Module-like object: ``ctx.nvml = FakeNvml(capture.nvml)``.

    ``init_error``: an nvmlReturn_t code nvmlInit raises (e.g. 12).
    ``names_as_bytes``: return names/UUIDs/versions as bytes (old pynvml).
    ``failing``: {function name: code} to make any call raise.
    """

    NVMLError = NVMLError
    NVMLError_NotSupported = NVMLError_NotSupported
    NVMLError_NotFound = NVMLError_NotFound
    NVMLError_LibraryNotFound = NVMLError_LibraryNotFound
    NVMLError_DriverNotLoaded = NVMLError_DriverNotLoaded
    NVML_ERROR_NOT_SUPPORTED = NVML_ERROR_NOT_SUPPORTED
    NVML_ERROR_NOT_FOUND = NVML_ERROR_NOT_FOUND
    NVML_ERROR_LIBRARY_NOT_FOUND = NVML_ERROR_LIBRARY_NOT_FOUND
    NVML_ERROR_DRIVER_NOT_LOADED = NVML_ERROR_DRIVER_NOT_LOADED
    NVML_DEVICE_MIG_ENABLE = NVML_DEVICE_MIG_ENABLE
    NVML_DEVICE_MIG_DISABLE = NVML_DEVICE_MIG_DISABLE

    def __init__(self, data=None, init_error=None, names_as_bytes=False, failing=None):
        self.data = data or {}
        self.init_error = init_error
        self.names_as_bytes = names_as_bytes
        self.failing = dict(failing or {})
        self.initialized = False
        self.init_calls = 0
        self.shutdown_calls = 0
        self.calls = []

    # -- plumbing -------------------------------------------------------
    def _enter(self, name):
        self.calls.append(name)
        if name in self.failing:
            raise NVMLError(self.failing[name])
        if not self.initialized:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)

    def _str(self, value):
        if value is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return value.encode("utf-8") if self.names_as_bytes else value

    def _gpu(self, handle):
        if not isinstance(handle, _Handle):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return handle.mig if handle.mig is not None else handle.gpu

    def _devices(self):
        return self.data.get("devices") or []

    # -- lifecycle ------------------------------------------------------
    def nvmlInit(self):
        self.init_calls += 1
        self.calls.append("nvmlInit")
        if self.init_error is not None:
            raise NVMLError(self.init_error)
        self.initialized = True

    def nvmlShutdown(self):
        self.shutdown_calls += 1
        self.calls.append("nvmlShutdown")
        if not self.initialized:
            raise NVMLError(NVML_ERROR_UNINITIALIZED)
        self.initialized = False

    # -- system ---------------------------------------------------------
    def nvmlSystemGetDriverVersion(self):
        self._enter("nvmlSystemGetDriverVersion")
        return self._str(self.data.get("driverVersion"))

    def nvmlSystemGetCudaDriverVersion(self):
        self._enter("nvmlSystemGetCudaDriverVersion")
        value = self.data.get("cudaDriverVersion")
        if value is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return int(value)

    # -- devices --------------------------------------------------------
    def nvmlDeviceGetCount(self):
        self._enter("nvmlDeviceGetCount")
        return len(self._devices())

    def nvmlDeviceGetHandleByIndex(self, index):
        self._enter("nvmlDeviceGetHandleByIndex")
        devices = self._devices()
        if not 0 <= index < len(devices):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return _Handle(devices[index])

    def nvmlDeviceGetName(self, handle):
        self._enter("nvmlDeviceGetName")
        return self._str(self._gpu(handle).get("name"))

    def nvmlDeviceGetUUID(self, handle):
        self._enter("nvmlDeviceGetUUID")
        return self._str(self._gpu(handle).get("uuid"))

    def nvmlDeviceGetMemoryInfo(self, handle):
        self._enter("nvmlDeviceGetMemoryInfo")
        total = self._gpu(handle).get("memoryTotal")
        if total is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        used = self._gpu(handle).get("memoryUsed", 0)
        return _Struct(total=int(total), used=int(used), free=int(total) - int(used))

    def nvmlDeviceGetCudaComputeCapability(self, handle):
        self._enter("nvmlDeviceGetCudaComputeCapability")
        value = self._gpu(handle).get("cudaComputeCapability")
        if value is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return (int(value[0]), int(value[1]))

    def nvmlDeviceGetArchitecture(self, handle):
        self._enter("nvmlDeviceGetArchitecture")
        value = self._gpu(handle).get("architecture")
        if value is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return int(value)

    def nvmlDeviceGetPciInfo(self, handle):
        self._enter("nvmlDeviceGetPciInfo")
        pci = self._gpu(handle).get("pci")
        if not pci:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        bus_id = pci.get("busId", "")
        return _Struct(busId=bus_id.encode("ascii") if self.names_as_bytes else bus_id,
                       pciDeviceId=int(pci.get("pciDeviceId", 0)),
                       pciSubSystemId=int(pci.get("pciSubSystemId", 0)))

    # -- MIG ------------------------------------------------------------
    def nvmlDeviceGetMigMode(self, handle):
        self._enter("nvmlDeviceGetMigMode")
        modes = self._gpu(handle).get("migMode")
        if modes is None or handle.mig is not None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return [int(modes[0]), int(modes[1])]

    def nvmlDeviceGetMaxMigDeviceCount(self, handle):
        self._enter("nvmlDeviceGetMaxMigDeviceCount")
        gpu = self._gpu(handle)
        if gpu.get("migMode") is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        return int(gpu.get("maxMigDeviceCount", 0))

    def nvmlDeviceGetMigDeviceHandleByIndex(self, handle, index):
        self._enter("nvmlDeviceGetMigDeviceHandleByIndex")
        gpu = self._gpu(handle)
        if gpu.get("migMode") is None:
            raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
        if not 0 <= index < int(gpu.get("maxMigDeviceCount", 0)):
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        for mig in gpu.get("migDevices") or []:
            if int(mig.get("slot", -1)) == index:
                return _Handle(gpu, mig)
        raise NVMLError(NVML_ERROR_NOT_FOUND)

    def nvmlDeviceGetGpuInstanceId(self, handle):
        self._enter("nvmlDeviceGetGpuInstanceId")
        if handle.mig is None:
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return int(handle.mig["gpuInstanceId"])

    def nvmlDeviceGetComputeInstanceId(self, handle):
        self._enter("nvmlDeviceGetComputeInstanceId")
        if handle.mig is None:
            raise NVMLError(NVML_ERROR_INVALID_ARGUMENT)
        return int(handle.mig["computeInstanceId"])


def from_capture(capture, **options):
    """FakeNvml for a loaded capture (its ``nvml:`` block)."""
    return FakeNvml(capture.nvml, **options)
