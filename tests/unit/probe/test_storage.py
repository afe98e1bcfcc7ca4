"""Storage collector: LVM JSON reports, device-mapper, agent path mounts."""

import os

import pytest

from support.capture import context as _captured, write_file as _write
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.context import ProbeContext
from ansible_collections.sourceos.agent_machine.plugins.module_utils.probe.storage import (
    AGENT_PATHS,
    collect_storage,
    lvm_report_argv,
    mount_for,
    parse_lvm_report,
    parse_lvm_version,
    parse_mountinfo,
)

LVM_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "lvm")


def _lvm_fixture(name):
    with open(os.path.join(LVM_DIR, name)) as handle:
        return handle.read()


def test_agent_paths_constant():
    assert AGENT_PATHS == (
        "/var/lib/agent-machine",
        "/var/lib/agent-machine/models",
        "/var/lib/agent-machine/cache",
        "/var/lib/agent-machine/scratch",
        "/var/lib/agent-machine/evidence",
        "/var/lib/agent-machine/artifacts",
    )


def test_lvm_report_argv():
    assert lvm_report_argv("pv") == ["pvs", "--reportformat", "json", "--units", "b", "--nosuffix",
                                     "-o", "pv_name,vg_name,pv_size,pv_free,pv_uuid"]
    assert lvm_report_argv("vg") == ["vgs", "--reportformat", "json", "--units", "b", "--nosuffix",
                                     "-o", "vg_name,vg_size,vg_free,vg_uuid,pv_count,lv_count,vg_extent_size"]
    assert lvm_report_argv("lv") == ["lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
                                     "-o", "lv_name,vg_name,lv_size,lv_attr,lv_uuid,pool_lv,data_percent,lv_layout"]


def test_parse_pvs_report():
    assert parse_lvm_report(_lvm_fixture("pvs-vg_agent.json"), "pv") == [{
        "pv_name": "/dev/vdb", "vg_name": "vg_agent", "pv_size": 107369988096, "pv_free": 21470642176,
        "pv_uuid": "Xq3vN2-7kPd-Lm4s-Ha9T-Wc1e-Rb8u-Yo5fGh",
    }]


def test_parse_vgs_report():
    assert parse_lvm_report(_lvm_fixture("vgs-vg_agent.json"), "vg") == [{
        "vg_name": "vg_agent", "vg_size": 107369988096, "vg_free": 21470642176,
        "vg_uuid": "Tz8kLm-3QwE-rT5y-Ui7o-Pa2s-Df4g-Hj6kLz", "pv_count": 1, "lv_count": 2, "vg_extent_size": 4194304,
    }]


def test_parse_lvs_report():
    rows = parse_lvm_report(_lvm_fixture("lvs-vg_agent.json"), "lv")
    assert rows == [
        {"lv_name": "models", "vg_name": "vg_agent", "lv_size": 68719476736, "lv_attr": "-wi-ao----",
         "lv_uuid": "Ab1cDe-2FgH-3iJk-4LmN-5oPq-6RsT-7uVwXy", "pool_lv": None, "data_percent": None, "lv_layout": "linear"},
        {"lv_name": "cache", "vg_name": "vg_agent", "lv_size": 17179869184, "lv_attr": "-wi-ao----",
         "lv_uuid": "Zy9xWv-8UtS-7rQp-6OnM-5lKj-4IhG-3fEdCb", "pool_lv": None, "data_percent": None, "lv_layout": "linear"},
    ]


def test_parse_thin_pool_report_and_numeric_looking_names():
    text = ('  {\n  "report": [ { "lv": [\n'
            '    {"lv_name":"pool0", "vg_name":"2024", "lv_size":"53687091200", "lv_attr":"twi-aotz--", "lv_uuid":"u1",'
            ' "pool_lv":"", "data_percent":"12.50", "lv_layout":"thin,pool"},\n'
            '    {"lv_name":"1", "vg_name":"2024", "lv_size":"10737418240", "lv_attr":"Vwi-aotz--", "lv_uuid":"u2",'
            ' "pool_lv":"pool0", "data_percent":"3.01", "lv_layout":"thin,sparse"}\n'
            '  ] } ] }\n')
    pool, thin = parse_lvm_report(text, "lv")
    assert pool["data_percent"] == 12.5 and pool["pool_lv"] is None and pool["lv_layout"] == "thin,pool"
    assert thin["pool_lv"] == "pool0" and thin["data_percent"] == 3.01
    # Names stay strings even when they look like numbers.
    assert thin["lv_name"] == "1" and thin["vg_name"] == "2024"
    assert thin["lv_size"] == 10737418240


def test_parse_empty_report_and_leading_noise():
    assert parse_lvm_report('{"report": [{"pv": []}]}', "pv") == []
    noisy = "  WARNING: something on stdout\n" + _lvm_fixture("vgs-vg_agent.json")
    assert parse_lvm_report(noisy, "vg")[0]["vg_name"] == "vg_agent"
    # A report of another kind has no rows of this kind.
    assert parse_lvm_report(_lvm_fixture("vgs-vg_agent.json"), "lv") == []


@pytest.mark.parametrize("text", ["", "not json", "{broken", '{"other": 1}', "[1, 2]"])
def test_parse_malformed_report_raises_value_error(text):
    with pytest.raises(ValueError):
        parse_lvm_report(text, "lv")


def test_parse_unknown_kind_raises():
    with pytest.raises(ValueError):
        parse_lvm_report('{"report": []}', "seg")


def test_parse_lvm_version():
    text = "  LVM version:     2.03.16(2) (2022-05-18)\n  Library version: 1.02.185 (2022-05-18)\n"
    assert parse_lvm_version(text) == "2.03.16"
    assert parse_lvm_version("garbage") is None


def test_x86_vm_storage(tmp_path):
    ctx = _captured("x86-vm", tmp_path)
    storage = collect_storage(ctx)
    lvm = storage["lvm"]
    assert lvm["available"] is True
    assert lvm["version"] == "2.03.16"
    assert lvm["source"] == "lvm commands"
    assert [(pv["pv_name"], pv["vg_name"]) for pv in lvm["pvs"]] == [("/dev/vdb", "vg_agent")]
    assert lvm["vgs"][0]["vg_free"] == 21470642176
    assert [(lv["lv_name"], lv["lv_size"]) for lv in lvm["lvs"]] == [("models", 68719476736), ("cache", 17179869184)]
    assert storage["deviceMapper"] == {"available": True, "source": "/dev/mapper/control"}
    assert storage["source"] == "/proc/self/mountinfo"
    paths = dict((p["path"], p) for p in storage["agentPaths"])
    assert paths["/var/lib/agent-machine/models"] == {
        "path": "/var/lib/agent-machine/models", "exists": True, "mountPoint": "/var/lib/agent-machine/models",
        "device": "/dev/mapper/vg_agent-models", "fstype": "xfs", "options": ["rw", "noatime"],
        "sizeBytes": None, "freeBytes": None,
    }
    assert paths["/var/lib/agent-machine/cache"]["fstype"] == "ext4"
    assert paths["/var/lib/agent-machine/cache"]["options"] == ["rw", "nosuid", "nodev", "relatime"]
    scratch = paths["/var/lib/agent-machine/scratch"]
    assert scratch["exists"] is False
    assert (scratch["mountPoint"], scratch["device"], scratch["fstype"]) == ("/", "/dev/vda1", "ext4")
    assert paths["/var/lib/agent-machine/evidence"]["exists"] is True
    assert ctx.warnings == []


def test_asahi_m1_tmpfs_cache_and_lvm_absent(tmp_path):
    storage = collect_storage(_captured("asahi-m1", tmp_path))
    assert storage["lvm"] == {"available": False, "version": None, "pvs": [], "vgs": [], "lvs": [], "source": "unavailable"}
    assert storage["deviceMapper"] == {"available": True, "source": "/proc/misc"}
    paths = dict((p["path"], p) for p in storage["agentPaths"])
    assert paths["/var/lib/agent-machine/cache"]["fstype"] == "tmpfs"
    assert paths["/var/lib/agent-machine/models"]["mountPoint"] == "/var/lib/agent-machine"
    assert paths["/var/lib/agent-machine/models"]["fstype"] == "btrfs"


def test_lvm_binary_in_a_captured_root_without_commands(tmp_path):
    lvm = collect_storage(_captured("x86-vm", tmp_path, commands=False))["lvm"]
    assert lvm == {"available": True, "version": None, "pvs": [], "vgs": [], "lvs": [], "source": "/usr/sbin/lvm"}


def test_failing_lvm_command_warns_and_keeps_going(tmp_path):
    failing = {" ".join(lvm_report_argv("pv")): {
        "rc": 5, "stdout": "", "stderr": "  WARNING: Running as a non-root user. Functionality may be unavailable.\n"}}
    ctx = _captured("x86-vm", tmp_path, extra_commands=failing)
    lvm = collect_storage(ctx)["lvm"]
    assert lvm["pvs"] == []
    assert lvm["vgs"][0]["vg_name"] == "vg_agent"
    assert any(w.startswith("pvs --reportformat json") and "rc 5" in w for w in ctx.warnings)


def test_unparsable_lvm_output_warns(tmp_path):
    broken = {" ".join(lvm_report_argv("lv")): {"rc": 0, "stdout": "{oops", "stderr": ""}}
    ctx = _captured("x86-vm", tmp_path, extra_commands=broken)
    assert collect_storage(ctx)["lvm"]["lvs"] == []
    assert any(w.startswith("lvs:") for w in ctx.warnings)


def test_device_mapper_absent(tmp_path):
    _write(tmp_path, "/proc/misc", " 58 rfkill\n183 hw_random\n")
    storage = collect_storage(ProbeContext(root=str(tmp_path)))
    assert storage["deviceMapper"] == {"available": False, "source": "/proc/misc"}


def test_parse_mountinfo_unescapes_and_keeps_optional_fields():
    text = ("29 21 8:1 / /mnt/usb\\040disk rw,relatime shared:32 master:1 - vfat /dev/sda1 rw,fmask=0022\n"
            "30 21 0:40 / /srv/tab\\011dir rw - tmpfs tmpfs rw,size=1024k\n"
            "short line\n")
    first, second = parse_mountinfo(text)
    assert first == {"mountPoint": "/mnt/usb disk", "root": "/", "options": ["rw", "relatime"], "fstype": "vfat",
                     "source": "/dev/sda1", "superOptions": ["rw", "fmask=0022"]}
    assert second["mountPoint"] == "/srv/tab\tdir"


def test_mount_for_longest_prefix_and_stacked_mounts():
    mounts = parse_mountinfo(
        "1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
        "2 1 8:2 / /var/lib/agent-machine-old rw - ext4 /dev/sda2 rw\n"
        "3 1 8:3 / /var/lib rw - ext4 /dev/sda3 rw\n"
        "4 3 0:50 / /var/lib rw - tmpfs tmpfs rw\n")
    assert mount_for(mounts, "/var/lib/agent-machine/models")["source"] == "tmpfs"
    assert mount_for(mounts, "/var/library")["source"] == "/dev/sda1"
    assert mount_for([], "/x") is None


def test_missing_mountinfo_warns(tmp_path):
    ctx = ProbeContext(root=str(tmp_path))
    storage = collect_storage(ctx)
    assert storage["source"] == "unavailable"
    assert all(p["mountPoint"] is None and p["exists"] is False for p in storage["agentPaths"])
    assert any("/proc/self/mountinfo" in w for w in ctx.warnings)


def test_live_style_statvfs_uses_nearest_existing_ancestor(tmp_path):
    os.makedirs(str(tmp_path / "var" / "lib" / "agent-machine" / "models"))
    ctx = ProbeContext(root=str(tmp_path), live=True)
    storage = collect_storage(ctx)
    stats = os.statvfs(str(tmp_path))
    for entry in storage["agentPaths"]:
        assert entry["sizeBytes"] == stats.f_blocks * stats.f_frsize
        assert isinstance(entry["freeBytes"], int)
