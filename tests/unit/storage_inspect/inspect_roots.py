"""Small machines for the storage inspection tests, built as a root tree.

Files go through ``support.capture.write_file``; mount points are real
directories with real modes, so the path checks see what a node would.
"""

import json
import os

from jsonschema import Draft202012Validator

from support import capture
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import lvm_report_argv
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.devices import blkid_argv
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.request import normalize_volumes
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.volumes import inspect_volumes
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.storage_receipt import StorageReceipt

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "contracts", "storage-receipt.schema.json")
with open(SCHEMA_PATH, encoding="utf-8") as _handle:
    VALIDATOR = Draft202012Validator(json.load(_handle))

MACHINE = "urn:srcos:agent-machine:machine:gpu-01"
GiB = 1 << 30
MODELS = "/var/lib/agent-machine/models"
LV_UUID = "Ab1cDe-2FgH-3iJk-4LmN-5oPq-6RsT-7uVwXy"
FS_UUID = "4b6d2c1e-8f3a-4e57-9d21-7c0b5a9e3f10"
OWNER = "agentowner"
GROUP = "agentgroup"


def lv_row(lv_name, size, attr="-wi-ao----", vg_name="vg_agent", lv_layout="linear", pool_lv="", uuid=LV_UUID):
    return {"lv_name": lv_name, "vg_name": vg_name, "lv_size": str(size), "lv_attr": attr, "lv_uuid": uuid,
            "pool_lv": pool_lv, "data_percent": "", "lv_layout": lv_layout}


def check_receipt(receipt):
    """Both validators accept the receipt; returns it."""
    errors = ["%s: %s" % (error.json_path, error.message) for error in VALIDATOR.iter_errors(receipt)]
    assert errors == []
    StorageReceipt.model_validate(receipt)
    return receipt


class Machine:
    """A node under construction: directories, mounts, fstab, sysfs, recorded commands."""

    def __init__(self, tmp_path, hostname="gpu-01"):
        self.root = os.path.join(str(tmp_path), "root")
        os.makedirs(self.root)
        os.chmod(self.root, 0o755)
        self.mountinfo = ["21 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw"]
        self.fstab = ["# /etc/fstab", "/dev/vda1 / ext4 defaults 0 1"]
        self.commands = {}
        self._next_id = 100
        capture.write_file(self.root, "/proc/sys/kernel/hostname", hostname + "\n")
        capture.write_file(self.root, "/etc/passwd", "%s:x:%d:%d::/:/sbin/nologin\nnobody:x:65534:65534::/:/sbin/nologin\n"
                           % (OWNER, os.getuid(), os.getgid()))
        capture.write_file(self.root, "/etc/group", "%s:x:%d:\nnobody:x:65534:\n" % (GROUP, os.getgid()))

    def on_disk(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def directory(self, path, mode=0o750):
        """Create ``path`` (parents 0755) and give the last component ``mode``."""
        current = self.root
        parts = [p for p in path.split("/") if p]
        for part in parts:
            current = os.path.join(current, part)
            if not os.path.lexists(current):
                os.mkdir(current)
                os.chmod(current, 0o755)
        os.chmod(current, mode)
        return current

    def chmod(self, path, mode):
        os.chmod(self.on_disk(path), mode)

    def symlink(self, path, target):
        on_disk = self.on_disk(path)
        os.makedirs(os.path.dirname(on_disk), exist_ok=True)
        os.symlink(target, on_disk)

    def mount(self, point, fstype, source, options="rw,relatime", super_options="rw", device="0:60"):
        self._next_id += 1
        self.mountinfo.append("%d 21 %s / %s %s shared:%d - %s %s %s" % (
            self._next_id, device, point.replace(" ", "\\040"), options, self._next_id, fstype, source, super_options))

    def fstab_line(self, line):
        self.fstab.append(line)

    def dm(self, kernel, name, uuid, device, size_bytes, slaves=(), holders=()):
        """A device-mapper device in sysfs, reachable by its major:minor."""
        base = "/sys/devices/virtual/block/%s" % kernel
        capture.write_file(self.root, base + "/dm/name", name + "\n")
        capture.write_file(self.root, base + "/dm/uuid", uuid + "\n")
        capture.write_file(self.root, base + "/dev", device + "\n")
        capture.write_file(self.root, base + "/size", "%d\n" % (size_bytes // 512))
        for kind, names in (("slaves", slaves), ("holders", holders)):
            os.makedirs(self.on_disk(base + "/" + kind), exist_ok=True)
            for other in names:
                os.symlink("../../%s" % other, self.on_disk("%s/%s/%s" % (base, kind, other)))
        self.symlink("/sys/block/" + kernel, "../devices/virtual/block/" + kernel)
        self.symlink("/sys/dev/block/" + device, "../../devices/virtual/block/" + kernel)

    def by_uuid(self, fs_uuid, kernel):
        self.symlink("/dev/disk/by-uuid/" + fs_uuid, "../../" + kernel)

    def lvs(self, rows, rc=0, stderr=""):
        self.commands[" ".join(lvm_report_argv("lv"))] = {
            "rc": rc, "stdout": json.dumps({"report": [{"lv": rows}]}), "stderr": stderr}

    def blkid(self, device, values, rc=0, stderr=""):
        text = "".join("%s=%s\n" % item for item in values.items())
        self.commands[" ".join(blkid_argv(device))] = {"rc": rc, "stdout": text, "stderr": stderr}

    def context(self, commands=True):
        capture.write_file(self.root, "/proc/self/mountinfo", "\n".join(self.mountinfo) + "\n")
        capture.write_file(self.root, "/etc/fstab", "\n".join(self.fstab) + "\n")
        return ProbeContext(root=self.root, runner=ReplayRunner(self.commands) if commands else None, live=False)

    def inspect(self, volumes, commands=True, machine=MACHINE, outcomes=None):
        """(receipts, volume reports, warnings); every receipt is validated."""
        ctx = self.context(commands=commands)
        receipts, reports = inspect_volumes(ctx, normalize_volumes(volumes), machine=machine, outcomes=outcomes)
        for receipt in receipts:
            check_receipt(receipt)
        return receipts, reports, ctx.warnings

    # -- common pieces -------------------------------------------------
    def models_lv(self, options="rw,nosuid,nodev,relatime", super_options="rw,attr2,inode64,logbufs=8,logbsize=32k,noquota",
                  fstab_options="nodev,nosuid", size=200 * GiB):
        """vg_agent/agent_models: active, xfs, mounted on MODELS, in fstab once."""
        self.directory(MODELS, 0o750)
        self.dm("dm-3", "vg_agent-agent_models", "LVM-" + "a" * 32 + "b" * 32, "253:3", size)
        self.by_uuid(FS_UUID, "dm-3")
        self.mount(MODELS, "xfs", "/dev/mapper/vg_agent-agent_models", options, super_options, device="253:3")
        if fstab_options is not None:
            self.fstab_line("/dev/vg_agent/agent_models %s xfs %s 0 0" % (MODELS, fstab_options))
        self.lvs([lv_row("agent_models", size)])


def models_volume(**overrides):
    volume = {
        "volume_class": "agent-models", "volume_group": "vg_agent", "size": "200G", "filesystem": "xfs",
        "mount_point": MODELS, "mount_options": ["nodev", "nosuid"], "owner": OWNER, "group": GROUP, "mode": "0750",
    }
    volume.update(overrides)
    return volume


def codes(report):
    return [reason["code"] for reason in report["mismatches"]]
