"""storage_facts on this very machine: root "/", real directories, real statvfs, the real module entry point."""

import json
import os
import pwd
import grp
import subprocess
import sys

import pytest

from inspect_roots import check_receipt
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import CommandRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.request import normalize_volumes
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.volumes import inspect_volumes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
COLLECTIONS = os.path.join(REPO, ".build", "collections")
MODULE = "ansible_collections.sourceos.agent_machine.plugins.modules.storage_facts"


def live(volumes):
    ctx = ProbeContext(root="/", runner=CommandRunner())
    receipts, reports = inspect_volumes(ctx, normalize_volumes(volumes))
    for receipt in receipts:
        check_receipt(receipt)
    return receipts, reports


def owner_names():
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


def real_path(tmp_path):
    """tmp_path without symlinks and without world-writable unsticky parents, or skip."""
    path = str(tmp_path)
    if os.path.realpath(path) != path:
        pytest.skip("the temporary directory goes through a symbolic link")
    return path


def test_directory_volume_on_this_machine(tmp_path):
    base = real_path(tmp_path)
    scratch = os.path.join(base, "scratch")
    os.mkdir(scratch)
    os.chmod(scratch, 0o750)
    owner, group = owner_names()
    receipts, reports = live([{"volume_class": "agent-scratch", "mount_point": scratch, "owner": owner, "group": group,
                               "mode": "0750"}])
    receipt = receipts[0]
    stats = os.statvfs(scratch)
    assert receipt["backend"] == "directory"
    assert receipt["lvm"] is None
    assert receipt["mount"]["path"] == scratch
    assert receipt["mount"]["mounted"] is False
    assert receipt["capacity"]["sizeBytes"] == stats.f_blocks * stats.f_frsize
    assert receipt["capacity"]["freeBytes"] >= 0 and receipt["capacity"]["usedBytes"] >= 0
    assert receipt["ownership"]["owner"] == owner
    assert receipt["ownership"]["group"] == group
    assert receipt["ownership"]["mode"] == "0750"
    assert receipt["outcome"] == "unchanged"
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        fstypes = set(line.split(" - ", 1)[1].split()[0] for line in handle if " - " in line)
    assert receipt["filesystem"]["type"] in fstypes
    if not reports[0]["world_writable_paths"]:
        assert reports[0]["status"] == "present", reports[0]["mismatches"]


def test_world_writable_parent_and_symlink_on_this_machine(tmp_path):
    base = real_path(tmp_path)
    shared = os.path.join(base, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)
    os.mkdir(os.path.join(shared, "scratch"), 0o750)
    os.symlink(shared, os.path.join(base, "link"))
    receipts, reports = live([{"volume_class": "agent-scratch", "mount_point": os.path.join(base, "link", "scratch")}])
    assert receipts[0]["checks"] == {"worldWritable": True, "symlinkInPath": True}
    assert shared in reports[0]["world_writable_paths"]
    assert reports[0]["symlinks"] == [os.path.join(base, "link")]
    assert {"world-writable", "symlink-in-path"} <= set(r["code"] for r in reports[0]["mismatches"])


def test_tmpfs_mounted_for_real(tmp_path):
    base = real_path(tmp_path)
    hot = os.path.join(base, "hot")
    os.mkdir(hot)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,nodev,nosuid,noexec,mode=0750", "tmpfs", hot],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip("this machine cannot mount a tmpfs here: %s" % mounted.stderr.strip())
    try:
        receipts, reports = live([{"volume_class": "agent-cache-hot", "size": "1M", "mount_point": hot,
                                   "mount_options": ["nodev", "nosuid", "noexec"], "mode": "0750"}])
    finally:
        subprocess.run(["umount", hot], check=True)
    receipt = receipts[0]
    assert receipt["backend"] == "tmpfs"
    assert receipt["mount"]["mounted"] is True
    assert {"nodev", "nosuid", "noexec", "size=1024k"} <= set(receipt["mount"]["options"])
    assert receipt["capacity"]["sizeBytes"] == 1 << 20
    assert receipt["quota"] == {"enforced": True, "method": "tmpfs-size", "limitBytes": 1 << 20}
    assert receipt["ownership"]["mode"] == "0750"
    assert [r["code"] for r in reports[0]["mismatches"]] == ["fstab-missing"]


def run_module(tmp_path, args):
    """The module's own main(), as Ansible would start it, with arguments from a file."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=COLLECTIONS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", MODULE, str(args_file)], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), check=False)
    try:
        return proc.returncode, json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("the module printed no JSON (rc %s):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr))


def test_the_module_runs_for_real(tmp_path):
    base = real_path(tmp_path)
    scratch = os.path.join(base, "scratch")
    os.mkdir(scratch, 0o750)
    os.chmod(scratch, 0o750)
    rc, result = run_module(tmp_path, {
        "machine_id": "urn:srcos:agent-machine:machine:live-test",
        "volumes": [{"volume_class": "agent-scratch", "mount_point": scratch, "mode": "0750"}],
        "_ansible_check_mode": True,
    })
    assert rc == 0, result
    assert result["changed"] is False
    receipt = check_receipt(result["storage_receipts"][0])
    assert receipt["id"] == "urn:srcos:agent-machine:storage-receipt:live-test-agent-scratch"
    assert result["ansible_facts"]["agent_machine_volumes"]["receipts"] == result["storage_receipts"]
    assert result["storage_volumes"][0]["receipt_id"] == receipt["id"]


@pytest.mark.parametrize("args, message", [
    ({"volumes": [{"volume_class": "agent-scratch", "mount_point": "/srv/s", "mode": "rwx"}]},
     "volumes[0].mode: 'rwx' is not an octal mode"),
    ({"volumes": [{"volume_class": "agent-scratch", "mount_point": "/srv/s", "mount_option": ["nodev"]}]},
     "volumes.mount_option"),
    ({"volumes": [{"volume_class": "agent-gpu", "mount_point": "/srv/s"}]}, "volume_class"),
    ({"machine_id": "gpu-01"}, "machine_id: 'gpu-01' is not urn:srcos:agent-machine:machine:<slug>"),
    ({"root": "/nonexistent/root"}, "root: '/nonexistent/root' is not a directory"),
])
def test_the_module_refuses_bad_input_naming_the_field(tmp_path, args, message):
    rc, result = run_module(tmp_path, args)
    assert rc != 0
    assert result["failed"] is True
    assert message in result["msg"]
