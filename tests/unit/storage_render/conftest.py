"""Storage layouts shared by the TopoLVM/LVMS rendering tests."""

import copy

import pytest

# One thick volume group (the default device class) and one with a thin pool.
THICK_AND_THIN = {
    "volume_groups": [
        {
            "name": "vg_agent",
            "devices": ["/dev/nvme1n1"],
            "topolvm": {"device_class": "nvme", "default": True, "spare_gb": 10},
        },
        {
            "name": "vg_fast",
            "devices": ["/dev/nvme2n1", "/dev/nvme3n1"],
            "thin_pool": {"name": "pool_fast", "size": "90%VG", "overprovision_ratio": 4.0},
            "topolvm": {"device_class": "fast", "spare_gb": 5, "fstype": "ext4"},
        },
    ],
    "volumes": [
        {"volume_class": "agent-models", "volume_group": "vg_agent", "size": "200G", "filesystem": "xfs",
         "mount_point": "/var/lib/agent-machine/models"},
        {"volume_class": "agent-scratch", "volume_group": "vg_fast", "size": "50G", "thin": True,
         "filesystem": "ext4", "mount_point": "/var/lib/agent-machine/scratch"},
        {"volume_class": "agent-cache-hot", "size": "8G", "mount_point": "/var/lib/agent-machine/cache/hot"},
    ],
}

# A single thick volume group; no default marked.
SINGLE_THICK = {
    "volume_groups": [{"name": "vg_agent", "devices": ["/dev/sdb"], "topolvm": {"device_class": "ssd"}}],
    "volumes": [{"volume_class": "agent-models", "volume_group": "vg_agent", "size": "10G"}],
}


@pytest.fixture
def thick_and_thin():
    return copy.deepcopy(THICK_AND_THIN)


@pytest.fixture
def single_thick():
    return copy.deepcopy(SINGLE_THICK)
