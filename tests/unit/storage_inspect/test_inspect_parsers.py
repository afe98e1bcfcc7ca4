"""The small readers: fstab, mount options, device-mapper names, blkid output, SELinux labels."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.devices import (
    dm_name, format_lvm_uuid, luks_method, parse_blkid_export, split_dm_name,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.fstab import entries_for, parse_fstab
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.mounts import (
    device_numbers, effective_options, option_in_effect, project_quota_enforced, quota_options, tmpfs_size,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.paths import is_world_writable, selinux_type

FSTAB = """\
# <file system> <mount point> <type> <options> <dump> <pass>
UUID=0a1b / ext4 defaults 0 1

/dev/vg_agent/agent_models /var/lib/agent-machine/models xfs nodev,nosuid 0 0
tmpfs /var/lib/agent\\040machine/hot tmpfs size=8G
/dev/vg_agent/agent_models /var/lib/agent-machine/models/ xfs defaults 0 0
/swapfile none swap sw 0 0
"""


def test_fstab_entries_and_duplicates():
    entries = parse_fstab(FSTAB)
    assert [e["line"] for e in entries] == [2, 4, 5, 6, 7]
    assert entries[2]["file"] == "/var/lib/agent machine/hot"
    assert entries[2]["options"] == ["size=8G"]
    found = entries_for(entries, ["/var/lib/agent-machine/models"])
    assert [e["line"] for e in found] == [4, 6]
    assert entries_for(entries, ["/var/lib/agent machine/hot"])[0]["vfstype"] == "tmpfs"
    assert parse_fstab(None) == []


def test_device_numbers_from_mountinfo():
    text = ("21 1 254:1 / / rw,relatime - ext4 /dev/vda1 rw\n"
            "40 21 253:3 / /var/lib/agent\\040machine rw - xfs /dev/mapper/vg-lv rw\n"
            "41 21 0:50 / /var/lib/agent\\040machine rw - tmpfs tmpfs rw\n")
    assert device_numbers(text) == {"/": "254:1", "/var/lib/agent machine": "0:50"}


def test_effective_options_merge_mount_and_filesystem_options_and_drop_credentials():
    mount = {"options": ["rw", "nosuid", "nodev"], "superOptions": ["rw", "prjquota", "password=x", "sec_key=y", "vers=3"]}
    assert effective_options(mount) == ["rw", "nosuid", "nodev", "prjquota", "vers=3"]


@pytest.mark.parametrize("option, observed, expected", [
    ("nodev", ["rw", "nodev"], True),
    ("noexec", ["rw", "nodev"], False),
    ("exec", ["rw", "noexec"], False),
    ("exec", ["rw"], True),
    ("rw", ["ro"], False),
    ("uquota", ["usrquota"], True),
    ("quota", ["usrquota"], True),
    ("pquota", ["prjquota"], True),
    ("gquota", ["usrquota"], False),
    ("usrjquota=aquota.user", ["usrjquota=quota.user"], True),
    ("defaults", [], None),
    ("nofail", [], None),
    ("x-systemd.automount", [], None),
    ("size=8G", ["size=8388608k"], None),
    ("logbsize=256k", ["logbsize=256k"], True),
    ("logbsize=256k", ["logbsize=32k"], False),
])
def test_option_in_effect(option, observed, expected):
    assert option_in_effect(option, observed) is expected


def test_quota_options_and_project_enforcement():
    observed = ["rw", "attr2", "usrquota", "grpquota", "prjquota", "usrjquota=aquota.user"]
    assert quota_options(observed) == ["usrquota", "grpquota", "prjquota", "usrjquota=aquota.user"]
    assert project_quota_enforced(observed) is True
    assert project_quota_enforced(["rw", "pqnoenforce"]) is False


@pytest.mark.parametrize("observed, expected", [
    (["rw", "size=8388608k"], 8 << 30), (["size=1024"], 1024), (["size=2g"], 2 << 30), (["rw"], None), (["size=50%"], None),
])
def test_tmpfs_size(observed, expected):
    assert tmpfs_size(observed) == expected


@pytest.mark.parametrize("name, expected", [
    ("vg_agent-agent_models", ("vg_agent", "agent_models", "")),
    ("vg--agent-agent--models", ("vg-agent", "agent-models", "")),
    ("vg_agent-pool_agent-tpool", ("vg_agent", "pool_agent", "tpool")),
    ("vg_agent-pool_agent_tdata", ("vg_agent", "pool_agent_tdata", "")),
    ("luks0a1b", None),
    ("-x", None),
])
def test_split_dm_name(name, expected):
    assert split_dm_name(name) == expected


def test_dm_name_and_uuid_format():
    assert dm_name("vg-agent", "agent-models") == "vg--agent-agent--models"
    assert format_lvm_uuid("Ab1cDe2FgH3iJk4LmN5oPq6RsT7uVwXy") == "Ab1cDe-2FgH-3iJk-4LmN-5oPq-6RsT-7uVwXy"
    assert format_lvm_uuid("short") is None


def test_blkid_export():
    text = "DEVNAME=/dev/vg/lv\nUUID=4b6d\nBLOCK_SIZE=512\nTYPE=xfs\n\nDEVNAME=/dev/other\nTYPE=ext4\n"
    assert parse_blkid_export(text) == {"DEVNAME": "/dev/vg/lv", "UUID": "4b6d", "BLOCK_SIZE": "512", "TYPE": "xfs"}
    assert parse_blkid_export("LABEL=agent\\ models\n") == {"LABEL": "agent models"}
    assert luks_method("2") == "luks2"
    assert luks_method("1") == "luks1"
    assert luks_method(None) == "dm-crypt"


def test_world_writable_ignores_sticky_directories():
    assert is_world_writable(0o40777) is True
    assert is_world_writable(0o41777) is False
    assert is_world_writable(0o40755) is False


def test_selinux_type_from_a_label():
    def getxattr(path, name, follow_symlinks=True):
        return b"system_u:object_r:container_file_t:s0:c1,c2\x00"
    assert selinux_type("/x", getxattr=getxattr) == "container_file_t"

    def unlabeled(path, name, follow_symlinks=True):
        raise OSError(95, "Operation not supported")
    assert selinux_type("/x", getxattr=unlabeled) is None

    def garbage(path, name, follow_symlinks=True):
        return b"unlabeled\x00"
    assert selinux_type("/x", getxattr=garbage) is None
