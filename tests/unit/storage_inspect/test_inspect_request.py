"""Layout volumes: defaults, requested backend, and one clear error per bad field."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.request import (
    LayoutError, normalize_volumes, parse_mode, parse_size,
)

GiB = 1 << 30


def one(**entry):
    return normalize_volumes([entry])[0]


def test_lvm_volume_defaults():
    volume = one(volume_class="agent-cache-warm", volume_group="vg_agent", mount_point="/var/lib/agent-machine/cache/warm/")
    assert volume["backend"] == "lvm-linear"
    assert volume["lv_name"] == "agent_cache_warm"
    assert volume["mount_point"] == "/var/lib/agent-machine/cache/warm"
    assert volume["mount_options"] == []
    assert volume["size_bytes"] is None
    assert volume["field"] == "volumes[0]"


def test_thin_volume_tmpfs_hot_cache_and_directory():
    assert one(volume_class="agent-models", volume_group="vg", thin=True, mount_point="/m")["backend"] == "lvm-thin"
    hot = one(volume_class="agent-cache-hot", mount_point="/h", size="8G")
    assert (hot["backend"], hot["filesystem"], hot["size_bytes"]) == ("tmpfs", "tmpfs", 8 * GiB)
    assert one(volume_class="agent-scratch", mount_point="/s")["backend"] == "directory"


@pytest.mark.parametrize("value, expected", [
    (1024, 1024), ("200G", 200 * GiB), ("200GiB", 200 * GiB), ("200gb", 200 * GiB), ("1.5T", 3 * (1 << 39)),
    ("512", 512), ("512M", 512 << 20), ("50%VG", None), ("100%FREE", None), (None, None),
])
def test_sizes(value, expected):
    assert parse_size(value, "volumes[0].size") == expected


@pytest.mark.parametrize("value", ["lots", "-1G", True, 1.5, "10%DISK"])
def test_bad_sizes_name_the_field(value):
    with pytest.raises(LayoutError, match=r"^volumes\[0\]\.size: "):
        parse_size(value, "volumes[0].size")


@pytest.mark.parametrize("value, expected", [("0750", 0o750), ("750", 0o750), ("1777", 0o1777), (0o750, 0o750), (None, None)])
def test_modes(value, expected):
    assert parse_mode(value, "volumes[0].mode") == expected


@pytest.mark.parametrize("value", ["rwx", "0890", "075000", True, 0o17777])
def test_bad_modes_name_the_field(value):
    with pytest.raises(LayoutError, match=r"^volumes\[0\]\.mode: "):
        parse_mode(value, "volumes[0].mode")


@pytest.mark.parametrize("volumes, message", [
    ("nope", r"^volumes: must be a list"),
    (["x"], r"^volumes\[0\]: must be a mapping"),
    ([{"mount_point": "/m"}], r"^volumes\[0\]\.volume_class: is required"),
    ([{"volume_class": "agent-gpu", "mount_point": "/m"}], r"^volumes\[0\]\.volume_class: 'agent-gpu' is not one of"),
    ([{"volume_class": "agent-models"}], r"^volumes\[0\]\.mount_point: is required"),
    ([{"volume_class": "agent-models", "mount_point": "relative/path"}], r"^volumes\[0\]\.mount_point: .* must be an absolute path"),
    ([{"volume_class": "agent-models", "mount_point": "/"}], r"^volumes\[0\]\.mount_point: a volume cannot be mounted on /"),
    ([{"volume_class": "agent-models", "mount_point": "/m", "mount_option": ["nodev"]}],
     r"^volumes\[0\]: unknown key\(s\) mount_option"),
    ([{"volume_class": "agent-models", "mount_point": "/m", "mount_options": ["nodev", "no exec"]}],
     r"^volumes\[0\]\.mount_options\[1\]: 'no exec' is not a mount option"),
    ([{"volume_class": "agent-models", "volume_group": "vg agent", "mount_point": "/m"}],
     r"^volumes\[0\]\.volume_group: 'vg agent' is not a valid LVM name"),
    ([{"volume_class": "agent-models", "volume_group": "vg", "filesystem": "btrfs", "mount_point": "/m"}],
     r"^volumes\[0\]\.filesystem: 'btrfs' is not one of xfs, ext4"),
    ([{"volume_class": "agent-models", "thin": "yes", "mount_point": "/m"}], r"^volumes\[0\]\.thin: must be true or false"),
    ([{"volume_class": "agent-models", "thin": True, "mount_point": "/m"}], r"^volumes\[0\]\.thin: needs volume_group"),
    ([{"volume_class": "agent-cache-hot", "volume_group": "vg", "mount_point": "/h"}],
     r"^volumes\[0\]\.volume_group: agent-cache-hot is always tmpfs"),
    ([{"volume_class": "agent-cache-hot", "filesystem": "xfs", "mount_point": "/h"}],
     r"^volumes\[0\]\.filesystem: agent-cache-hot is always tmpfs, not xfs"),
    ([{"volume_class": "agent-models", "mount_point": "/m", "owner": ["root"]}], r"^volumes\[0\]\.owner: must be a string"),
    ([{"volume_class": "agent-models", "mount_point": "/a"}, {"volume_class": "agent-models", "mount_point": "/b"}],
     r"^volumes\[1\]\.volume_class: agent-models is already volumes\[0\]"),
    ([{"volume_class": "agent-models", "mount_point": "/a"}, {"volume_class": "agent-scratch", "mount_point": "/a/"}],
     r"^volumes\[1\]\.mount_point: /a is already the mount point of volumes\[0\]"),
])
def test_bad_layouts_fail_with_one_message_naming_the_field(volumes, message):
    with pytest.raises(LayoutError, match=message):
        normalize_volumes(volumes)


def test_comma_separated_options_and_numeric_owner():
    volume = one(volume_class="agent-models", mount_point="/m", mount_options="nodev,nosuid", owner=0, group="0")
    assert volume["mount_options"] == ["nodev", "nosuid"]
    assert (volume["owner"], volume["group"]) == ("0", "0")
