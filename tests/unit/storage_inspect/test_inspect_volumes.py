"""storage_inspect over small captured machines: one behaviour per test, every receipt validated."""

import os

import pytest

from inspect_roots import FS_UUID, GROUP, LV_UUID, MACHINE, MODELS, OWNER, GiB, Machine, codes, lv_row, models_volume
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect import paths

HOT = "/var/lib/agent-machine/cache/hot"
WARM = "/var/lib/agent-machine/cache/warm"
SCRATCH = "/var/lib/agent-machine/scratch"


@pytest.fixture
def node(tmp_path):
    return Machine(tmp_path)


def test_xfs_lv_mounted_with_nodev_nosuid_is_present(node):
    node.models_lv()
    receipts, reports, warnings = node.inspect([models_volume()])
    assert warnings == []
    assert reports[0]["status"] == "present", reports[0]["mismatches"]
    receipt = receipts[0]
    assert receipt["id"] == "urn:srcos:agent-machine:storage-receipt:gpu-01-agent-models"
    assert receipt["agentMachineId"] == MACHINE
    assert receipt["backend"] == "lvm-linear"
    assert receipt["lvm"] == {"vgName": "vg_agent", "lvName": "agent_models", "thinPool": None, "lvUuid": LV_UUID,
                              "devicePath": "/dev/vg_agent/agent_models", "active": True}
    assert receipt["filesystem"] == {"type": "xfs", "uuid": FS_UUID, "created": False}
    assert receipt["mount"]["path"] == MODELS
    assert receipt["mount"]["mounted"] is True
    assert receipt["mount"]["inFstab"] is True
    assert receipt["mount"]["options"][:4] == ["rw", "nosuid", "nodev", "relatime"]
    assert "inode64" in receipt["mount"]["options"]
    # Not the running machine: the LV size, no free/used.
    assert receipt["capacity"] == {"sizeBytes": 200 * GiB, "freeBytes": None, "usedBytes": None}
    assert receipt["ownership"] == {"owner": OWNER, "group": GROUP, "mode": "0750", "selinuxType": None}
    assert receipt["checks"] == {"worldWritable": False, "symlinkInPath": False}
    assert receipt["encryption"] == {"observed": False, "method": None}
    assert receipt["quota"] == {"enforced": True, "method": "lv-size", "limitBytes": 200 * GiB}
    assert receipt["outcome"] == "unchanged"
    assert reports[0]["receipt_id"] == receipt["id"]
    assert reports[0]["fstab_entries"] == 1


def test_requested_noexec_missing_is_a_mismatch_naming_the_option(node):
    node.models_lv()
    receipts, reports, _warnings = node.inspect([models_volume(mount_options=["nodev", "nosuid", "noexec"])])
    assert reports[0]["status"] == "mismatch"
    assert codes(reports[0]) == ["mount-option-missing", "fstab-option-missing"]
    mount_reason = reports[0]["mismatches"][0]
    assert mount_reason["field"] == "volumes[0].mount_options[2]"
    assert "noexec requested, not in effect" in mount_reason["message"]
    assert "noexec" not in receipts[0]["mount"]["options"]
    assert receipts[0]["mismatches"] == reports[0]["mismatches"]  # the receipt carries the verdict too


def test_options_the_kernel_does_not_report_are_checked_in_fstab_only(node):
    node.models_lv(fstab_options="nodev,nosuid,nofail,x-systemd.device-timeout=10")
    _receipts, reports, _warnings = node.inspect([models_volume(mount_options=["nodev", "nosuid", "nofail", "exec", "x-systemd.device-timeout=10"])])
    assert reports[0]["status"] == "present", reports[0]["mismatches"]


def test_wrong_filesystem_owner_mode_and_size_are_each_listed(node):
    node.models_lv(size=100 * GiB)
    _receipts, reports, _warnings = node.inspect([models_volume(filesystem="ext4", owner="nobody", group="nobody", mode="0700")])
    assert codes(reports[0]) == ["filesystem-mismatch", "owner-mismatch", "group-mismatch", "mode-mismatch", "size-smaller"]
    fields = [reason["field"] for reason in reports[0]["mismatches"]]
    assert fields == ["volumes[0].filesystem", "volumes[0].owner", "volumes[0].group", "volumes[0].mode", "volumes[0].size"]


def test_numeric_owner_and_unquoted_yaml_mode_compare_as_numbers(node):
    node.models_lv()
    _receipts, reports, _warnings = node.inspect([models_volume(owner=str(os.getuid()), group=str(os.getgid()), mode=0o750)])
    assert reports[0]["status"] == "present", reports[0]["mismatches"]


def test_active_lv_not_mounted_is_reported_with_blkid_filesystem(node):
    node.directory(MODELS, 0o750)
    node.dm("dm-3", "vg_agent-agent_models", "LVM-" + "a" * 64, "253:3", 200 * GiB)
    node.lvs([lv_row("agent_models", 200 * GiB, attr="-wi-a-----")])
    node.blkid("/dev/vg_agent/agent_models", {"DEVNAME": "/dev/vg_agent/agent_models", "UUID": FS_UUID, "BLOCK_SIZE": "512",
                                              "TYPE": "xfs", "USAGE": "filesystem"})
    receipts, reports, _warnings = node.inspect([models_volume()])
    receipt = receipts[0]
    assert receipt["mount"] == {"path": MODELS, "mounted": False, "options": [], "inFstab": False}
    assert receipt["filesystem"] == {"type": "xfs", "uuid": FS_UUID, "created": False}
    assert receipt["lvm"]["active"] is True
    assert receipt["capacity"] == {"sizeBytes": 200 * GiB, "freeBytes": None, "usedBytes": None}
    assert codes(reports[0]) == ["not-mounted", "fstab-missing"]
    assert reports[0]["mismatches"][0]["message"] == MODELS + " is not mounted"


def test_inactive_lv_without_mount_point_has_no_filesystem_and_no_ownership(node):
    node.lvs([lv_row("agent_models", 200 * GiB, attr="-wi-------")])
    receipts, reports, _warnings = node.inspect([models_volume()])
    receipt = receipts[0]
    assert receipt["backend"] == "lvm-linear"
    assert receipt["lvm"]["active"] is False
    assert receipt["filesystem"] is None
    assert receipt["ownership"] is None
    assert receipt["mount"]["mounted"] is False
    assert codes(reports[0]) == ["not-mounted", "filesystem-mismatch", "fstab-missing", "mount-point-missing"]
    assert "(the LV is inactive)" in reports[0]["mismatches"][0]["message"]
    assert reports[0]["notes"] == ["the LV is inactive: its filesystem cannot be read"]


def test_nothing_there_is_missing_and_gets_no_receipt(node):
    node.lvs([])
    receipts, reports, _warnings = node.inspect([models_volume()])
    assert receipts == []
    assert reports[0]["status"] == "missing"
    assert reports[0]["receipt_id"] is None
    assert codes(reports[0]) == ["volume-missing"]


def test_tmpfs_hot_cache(node):
    node.directory(HOT, 0o750)
    node.mount(HOT, "tmpfs", "tmpfs", "rw,nosuid,nodev,noexec,relatime", "rw,size=8388608k,mode=750")
    node.fstab_line("tmpfs %s tmpfs size=8G,mode=0750,nodev,nosuid,noexec 0 0" % HOT)
    volume = {"volume_class": "agent-cache-hot", "size": "8G", "mount_point": HOT,
              "mount_options": ["nodev", "nosuid", "noexec", "size=8G"], "mode": "0750"}
    receipts, reports, _warnings = node.inspect([volume])
    receipt = receipts[0]
    assert reports[0]["status"] == "present", reports[0]["mismatches"]
    assert receipt["backend"] == "tmpfs"
    assert receipt["lvm"] is None
    assert receipt["filesystem"] == {"type": "tmpfs", "uuid": None, "created": False}
    assert receipt["capacity"] == {"sizeBytes": 8 * GiB, "freeBytes": None, "usedBytes": None}
    assert receipt["quota"] == {"enforced": True, "method": "tmpfs-size", "limitBytes": 8 * GiB}
    assert receipt["mount"]["options"] == ["rw", "nosuid", "nodev", "noexec", "relatime", "size=8388608k", "mode=750"]


def test_tmpfs_smaller_than_requested_and_a_directory_instead_of_tmpfs(node):
    node.directory(HOT, 0o750)
    node.mount(HOT, "tmpfs", "tmpfs", "rw,nosuid,nodev,noexec,relatime", "rw,size=4194304k")
    node.fstab_line("tmpfs %s tmpfs size=4G 0 0" % HOT)
    _receipts, reports, _warnings = node.inspect([{"volume_class": "agent-cache-hot", "size": "8G", "mount_point": HOT}])
    assert codes(reports[0]) == ["size-smaller"]

    other = Machine(os.path.join(node.root, "..", "other"))
    other.directory(HOT, 0o750)
    receipts, reports, _warnings = other.inspect([{"volume_class": "agent-cache-hot", "size": "8G", "mount_point": HOT}])
    assert receipts[0]["backend"] == "directory"
    assert receipts[0]["filesystem"]["type"] == "ext4"
    assert receipts[0]["quota"]["enforced"] is False
    assert codes(reports[0]) == ["backend-mismatch", "not-mounted", "fstab-missing"]
    assert "tmpfs requested, directory observed (ext4 on /dev/vda1)" in reports[0]["mismatches"][0]["message"]


def test_world_writable_parent_is_detected_and_sticky_is_not(node):
    node.models_lv()
    node.chmod("/var/lib", 0o777)
    receipts, reports, _warnings = node.inspect([models_volume()])
    assert receipts[0]["checks"]["worldWritable"] is True
    assert reports[0]["world_writable_paths"] == ["/var/lib"]
    assert codes(reports[0]) == ["world-writable"]
    node.chmod("/var/lib", 0o1777)
    receipts, reports, _warnings = node.inspect([models_volume()])
    assert receipts[0]["checks"]["worldWritable"] is False
    assert reports[0]["status"] == "present"


def test_world_writable_mount_point_itself(node):
    node.models_lv()
    node.chmod(MODELS, 0o777)
    receipts, reports, _warnings = node.inspect([models_volume(mode=None)])
    assert receipts[0]["ownership"]["mode"] == "0777"
    assert reports[0]["world_writable_paths"] == [MODELS]


def test_symlink_in_path_is_detected_and_resolved_inside_the_root(node):
    node.directory("/srv/agent/models", 0o750)
    node.symlink("/var/lib/agent-machine", "/srv/agent")
    node.dm("dm-3", "vg_agent-agent_models", "LVM-" + "a" * 64, "253:3", 200 * GiB)
    node.mount("/srv/agent/models", "xfs", "/dev/mapper/vg_agent-agent_models", "rw,nosuid,nodev,relatime", device="253:3")
    node.fstab_line("/dev/vg_agent/agent_models /srv/agent/models xfs nodev,nosuid 0 0")
    node.lvs([lv_row("agent_models", 200 * GiB)])
    receipts, reports, _warnings = node.inspect([models_volume()])
    receipt = receipts[0]
    assert receipt["checks"]["symlinkInPath"] is True
    assert receipt["mount"]["mounted"] is True
    assert receipt["mount"]["path"] == "/srv/agent/models"
    assert receipt["mount"]["inFstab"] is True
    assert reports[0]["symlinks"] == ["/var/lib/agent-machine"]
    assert codes(reports[0]) == ["symlink-in-path"]


def test_a_link_pointing_out_of_the_root_stays_inside_it(node):
    node.directory("/etc/agent", 0o755)
    node.symlink("/var/lib/agent-machine", "../../../../../../../../etc/agent")
    walk = paths.walk_path(node.context(), MODELS)
    assert walk.resolved == "/etc/agent/models"
    assert walk.exists is False
    node.symlink("/etc/agent/models", "/")
    walk = paths.walk_path(node.context(), MODELS)
    assert walk.resolved == "/"
    assert walk.symlinks == ["/var/lib/agent-machine", "/etc/agent/models"]


def test_symlink_loop_is_reported_not_followed_forever(node):
    node.directory("/var/lib", 0o755)
    node.symlink("/var/lib/agent-machine", "agent-machine")
    walk = paths.walk_path(node.context(), MODELS)
    assert walk.exists is False
    assert "too many symbolic links" in walk.problem


def test_luks2_under_the_lv_is_detected(node):
    node.directory(MODELS, 0o750)
    node.dm("dm-0", "luks-0a1b", "CRYPT-LUKS2-0a1b2c3d4e5f60718293a4b5c6d7e8f9-luks-0a1b", "253:0", 500 * GiB)
    node.dm("dm-3", "vg_agent-agent_models", "LVM-" + "a" * 64, "253:3", 200 * GiB, slaves=["dm-0"])
    node.mount(MODELS, "xfs", "/dev/mapper/vg_agent-agent_models", "rw,nosuid,nodev,relatime", device="253:3")
    node.fstab_line("/dev/vg_agent/agent_models %s xfs nodev,nosuid 0 0" % MODELS)
    node.lvs([lv_row("agent_models", 200 * GiB)])
    receipts, reports, _warnings = node.inspect([models_volume()])
    assert receipts[0]["encryption"] == {"observed": True, "method": "luks2"}
    assert receipts[0]["backend"] == "lvm-linear"
    assert reports[0]["status"] == "present"


def test_luks_opened_on_top_of_the_lv_is_detected_and_the_lv_found_below_it(node):
    node.directory(MODELS, 0o750)
    node.dm("dm-3", "vg_agent-agent_models", "LVM-" + "a" * 64, "253:3", 200 * GiB, holders=["dm-4"])
    node.dm("dm-4", "models_crypt", "CRYPT-LUKS1-" + "c" * 32 + "-models_crypt", "253:4", 200 * GiB - (16 << 20), slaves=["dm-3"])
    node.mount(MODELS, "xfs", "/dev/mapper/models_crypt", "rw,nosuid,nodev,relatime", device="253:4")
    node.fstab_line("/dev/mapper/models_crypt %s xfs nodev,nosuid 0 0" % MODELS)
    node.lvs([lv_row("agent_models", 200 * GiB)])
    receipts, reports, _warnings = node.inspect([models_volume()])
    assert receipts[0]["encryption"] == {"observed": True, "method": "luks1"}
    assert receipts[0]["lvm"]["lvName"] == "agent_models"
    assert reports[0]["status"] == "present", reports[0]["mismatches"]


def test_luks_container_on_an_unmounted_lv_is_seen_by_blkid(node):
    node.directory(MODELS, 0o750)
    node.dm("dm-3", "vg_agent-agent_models", "LVM-" + "a" * 64, "253:3", 200 * GiB)
    node.lvs([lv_row("agent_models", 200 * GiB, attr="-wi-a-----")])
    node.blkid("/dev/vg_agent/agent_models", {"UUID": "0a1b2c3d-0000-4000-8000-000000000001", "VERSION": "2",
                                              "TYPE": "crypto_LUKS", "USAGE": "crypto"})
    receipts, _reports, _warnings = node.inspect([models_volume()])
    assert receipts[0]["encryption"] == {"observed": True, "method": "luks2"}
    assert receipts[0]["filesystem"] is None


def test_dm_verity_is_not_encryption(node):
    node.models_lv()
    node.dm("dm-0", "root-verity", "CRYPT-VERITY-" + "d" * 32 + "-root-verity", "253:0", GiB)
    os.symlink("../../dm-0", node.on_disk("/sys/devices/virtual/block/dm-3/slaves/dm-0"))
    receipts, _reports, _warnings = node.inspect([models_volume()])
    assert receipts[0]["encryption"] == {"observed": False, "method": None}


def test_quota_options_are_detected(node):
    node.models_lv(super_options="rw,attr2,inode64,logbufs=8,logbsize=32k,usrquota,prjquota",
                   fstab_options="nodev,nosuid,uquota,pquota")
    receipts, reports, _warnings = node.inspect([models_volume(mount_options=["nodev", "nosuid", "uquota", "pquota"])])
    assert reports[0]["status"] == "present", reports[0]["mismatches"]
    assert reports[0]["quota_options"] == ["usrquota", "prjquota"]
    assert receipts[0]["quota"] == {"enforced": True, "method": "lv-size", "limitBytes": 200 * GiB}


def test_project_quota_on_the_filesystem_holding_a_directory_volume(node):
    node.directory("/data", 0o755)
    node.directory("/data/scratch", 0o750)
    node.mount("/data", "xfs", "/dev/nvme0n1p1", "rw,relatime", "rw,attr2,inode64,prjquota", device="259:1")
    receipts, reports, _warnings = node.inspect([{"volume_class": "agent-scratch", "mount_point": "/data/scratch"}])
    assert receipts[0]["backend"] == "directory"
    assert receipts[0]["mount"]["mounted"] is False
    assert receipts[0]["quota"] == {"enforced": True, "method": "xfs-project", "limitBytes": None}
    assert reports[0]["quota_options"] == ["prjquota"]
    assert reports[0]["status"] == "present"


def test_project_quota_accounting_only_is_not_enforced(node):
    node.directory("/data/scratch", 0o750)
    node.mount("/data", "xfs", "/dev/nvme0n1p1", "rw,relatime", "rw,attr2,inode64,pqnoenforce", device="259:1")
    receipts, reports, _warnings = node.inspect([{"volume_class": "agent-scratch", "mount_point": "/data/scratch"}])
    assert receipts[0]["quota"] == {"enforced": False, "method": None, "limitBytes": None}
    assert reports[0]["quota_options"] == ["pqnoenforce"]


def test_fstab_duplicate_is_detected(node):
    node.models_lv()
    node.fstab_line("UUID=%s %s/ xfs nodev,nosuid 0 0" % (FS_UUID, MODELS))
    receipts, reports, _warnings = node.inspect([models_volume()])
    assert receipts[0]["mount"]["inFstab"] is True
    assert reports[0]["fstab_entries"] == 2
    assert codes(reports[0]) == ["fstab-duplicate"]
    assert "appears 2 times in /etc/fstab (lines 3, 4)" in reports[0]["mismatches"][0]["message"]


def test_mounted_lv_not_in_fstab(node):
    node.models_lv(fstab_options=None)
    receipts, reports, _warnings = node.inspect([models_volume()])
    assert receipts[0]["mount"]["inFstab"] is False
    assert codes(reports[0]) == ["fstab-missing"]


def test_thin_lv_from_lvs(node):
    node.directory(WARM, 0o750)
    node.dm("dm-5", "vg_agent-agent_cache_warm", "LVM-" + "e" * 64, "253:5", 64 * GiB)
    node.mount(WARM, "xfs", "/dev/mapper/vg_agent-agent_cache_warm", "rw,nosuid,nodev,noexec,relatime", device="253:5")
    node.fstab_line("/dev/vg_agent/agent_cache_warm %s xfs nodev,nosuid,noexec 0 0" % WARM)
    node.lvs([lv_row("pool_agent", 900 * GiB, attr="twi-aotz--", lv_layout="thin,pool"),
              lv_row("agent_cache_warm", 64 * GiB, attr="Vwi-aotz--", lv_layout="thin,sparse", pool_lv="pool_agent")])
    volume = {"volume_class": "agent-cache-warm", "volume_group": "vg_agent", "thin": True, "size": "64G",
              "filesystem": "xfs", "mount_point": WARM, "mount_options": ["nodev", "nosuid", "noexec"]}
    receipts, reports, _warnings = node.inspect([volume])
    assert receipts[0]["backend"] == "lvm-thin"
    assert receipts[0]["lvm"]["thinPool"] == "pool_agent"
    assert reports[0]["status"] == "present", reports[0]["mismatches"]

    volume["thin"] = False
    _receipts, reports, _warnings = node.inspect([volume])
    assert codes(reports[0]) == ["backend-mismatch"]
    assert reports[0]["mismatches"][0]["field"] == "volumes[0].thin"


def test_without_lvs_lvm_is_read_from_device_mapper(node):
    node.directory(WARM, 0o750)
    vg_id, lv_id = "V" * 32, "Zy9xWv8UtS7rQp6OnM5lKj4IhG3fEdCb"
    node.dm("dm-1", "vg_agent-pool_agent-tpool", "LVM-" + vg_id + "P" * 32 + "-tpool", "253:1", 900 * GiB)
    node.dm("dm-5", "vg_agent-agent_cache_warm", "LVM-" + vg_id + lv_id, "253:5", 64 * GiB, slaves=["dm-1"])
    node.mount(WARM, "xfs", "/dev/mapper/vg_agent-agent_cache_warm", "rw,nosuid,nodev,relatime", device="253:5")
    node.fstab_line("/dev/vg_agent/agent_cache_warm %s xfs defaults 0 0" % WARM)
    volume = {"volume_class": "agent-cache-warm", "volume_group": "vg_agent", "thin": True, "mount_point": WARM}
    receipts, reports, warnings = node.inspect([volume], commands=False)
    assert receipts[0]["lvm"] == {"vgName": "vg_agent", "lvName": "agent_cache_warm", "thinPool": "pool_agent",
                                  "lvUuid": "Zy9xWv-8UtS-7rQp-6OnM-5lKj-4IhG-3fEdCb",
                                  "devicePath": "/dev/vg_agent/agent_cache_warm", "active": True}
    assert receipts[0]["capacity"]["sizeBytes"] == 64 * GiB
    assert reports[0]["status"] == "present", reports[0]["mismatches"]
    assert any("lvs was not run" in warning for warning in warnings)


def test_hyphens_in_vg_and_lv_names_survive_the_device_mapper_name(node):
    node.directory(MODELS, 0o750)
    node.dm("dm-3", "vg--agent-agent--models", "LVM-" + "a" * 64, "253:3", 10 * GiB)
    node.mount(MODELS, "ext4", "/dev/mapper/vg--agent-agent--models", "rw,nosuid,nodev,relatime", device="253:3")
    node.fstab_line("/dev/vg-agent/agent-models %s ext4 nodev,nosuid 0 2" % MODELS)
    volume = models_volume(volume_group="vg-agent", lv_name="agent-models", filesystem="ext4", size=None)
    receipts, reports, _warnings = node.inspect([volume], commands=False)
    assert (receipts[0]["lvm"]["vgName"], receipts[0]["lvm"]["lvName"]) == ("vg-agent", "agent-models")
    assert reports[0]["status"] == "present", reports[0]["mismatches"]


def test_plain_partition_where_an_lv_was_requested(node):
    node.directory(MODELS, 0o750)
    capture_size = 100 * GiB
    node.mount(MODELS, "xfs", "/dev/sdb1", "rw,nosuid,nodev,relatime", device="8:17")
    os.makedirs(node.on_disk("/sys/devices/pci/block/sdb/sdb1"))
    with open(node.on_disk("/sys/devices/pci/block/sdb/sdb1/size"), "w") as handle:
        handle.write("%d\n" % (capture_size // 512))
    with open(node.on_disk("/sys/devices/pci/block/sdb/sdb1/dev"), "w") as handle:
        handle.write("8:17\n")
    node.symlink("/sys/class/block/sdb1", "../../devices/pci/block/sdb/sdb1")
    node.symlink("/sys/dev/block/8:17", "../../devices/pci/block/sdb/sdb1")
    node.fstab_line("/dev/sdb1 %s xfs nodev,nosuid 0 0" % MODELS)
    node.lvs([])
    receipts, reports, _warnings = node.inspect([models_volume(size=None)])
    assert receipts[0]["backend"] == "directory"
    assert receipts[0]["lvm"] is None
    assert receipts[0]["capacity"]["sizeBytes"] == capture_size
    assert codes(reports[0]) == ["backend-mismatch"]
    assert "lvm-linear requested, directory observed (xfs on /dev/sdb1)" in reports[0]["mismatches"][0]["message"]


def test_a_different_lv_mounted_on_the_mount_point(node):
    node.models_lv()
    node.lvs([lv_row("agent_models", 200 * GiB)])
    _receipts, reports, _warnings = node.inspect([models_volume(lv_name="models")])
    assert codes(reports[0]) == ["lv-mismatch"]
    assert "LV vg_agent/models requested, vg_agent/agent_models observed" in reports[0]["mismatches"][0]["message"]


def test_credentials_in_mount_options_are_never_reported(node):
    node.directory(SCRATCH, 0o750)
    node.mount(SCRATCH, "cifs", "//files/agent", "rw,nosuid,nodev,relatime",
               "rw,vers=3.1.1,username=agent,password=hunter2,credentials=/root/.smb")
    receipts, _reports, _warnings = node.inspect([{"volume_class": "agent-scratch", "mount_point": SCRATCH}])
    text = repr(receipts)
    assert "hunter2" not in text and "password" not in text and "credentials" not in text
    assert "vers=3.1.1" in receipts[0]["mount"]["options"]


def test_selinux_type_is_read_from_the_xattr(node, monkeypatch):
    node.models_lv()
    labels = {}

    def fake_getxattr(path, name, follow_symlinks=True):
        assert name == "security.selinux" and follow_symlinks is False
        if path not in labels:
            raise OSError(61, "No data available")
        return labels[path]

    monkeypatch.setattr(paths.os, "getxattr", fake_getxattr, raising=False)
    labels[node.on_disk(MODELS)] = b"system_u:object_r:container_file_t:s0\x00"
    receipts, reports, _warnings = node.inspect([models_volume(selinux_type="container_file_t")])
    assert receipts[0]["ownership"]["selinuxType"] == "container_file_t"
    assert reports[0]["status"] == "present"
    labels[node.on_disk(MODELS)] = b"system_u:object_r:var_lib_t:s0\x00"
    _receipts, reports, _warnings = node.inspect([models_volume(selinux_type="container_file_t")])
    assert codes(reports[0]) == ["selinux-type-mismatch"]


def test_whole_layout_in_order_with_one_receipt_per_existing_volume(node):
    node.models_lv()
    node.directory(HOT, 0o750)
    node.mount(HOT, "tmpfs", "tmpfs", "rw,nosuid,nodev,noexec,relatime", "rw,size=8388608k,mode=750")
    node.fstab_line("tmpfs %s tmpfs size=8G,nodev,nosuid,noexec 0 0" % HOT)
    node.directory(SCRATCH, 0o750)
    volumes = [
        models_volume(),
        {"volume_class": "agent-cache-hot", "size": "8G", "mount_point": HOT},
        {"volume_class": "agent-evidence", "volume_group": "vg_agent", "mount_point": "/var/lib/agent-machine/evidence"},
        {"volume_class": "agent-scratch", "mount_point": SCRATCH, "owner": OWNER, "mode": "0750"},
    ]
    receipts, reports, _warnings = node.inspect(volumes)
    assert [r["volumeClass"] for r in receipts] == ["agent-models", "agent-cache-hot", "agent-scratch"]
    assert [r["status"] for r in reports] == ["present", "present", "missing", "present"]
    assert len(set(r["id"] for r in receipts)) == 3
    assert len(set(r["recordedAt"] for r in receipts)) == 1


def test_machine_id_defaults_to_the_probe_id_of_the_hostname(tmp_path):
    machine = Machine(tmp_path, hostname="GPU_A100.example")
    machine.models_lv()
    ctx = machine.context()
    from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.request import normalize_volumes
    from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.volumes import inspect_volumes
    receipts, _reports = inspect_volumes(ctx, normalize_volumes([models_volume()]))
    assert receipts[0]["agentMachineId"] == "urn:srcos:agent-machine:machine:gpu-a100-example"
    assert receipts[0]["id"] == "urn:srcos:agent-machine:storage-receipt:gpu-a100-example-agent-models"


def test_a_bad_machine_id_is_refused(node):
    with pytest.raises(ValueError, match="machine_id: .* is not urn:srcos:agent-machine:machine:<slug>"):
        node.inspect([models_volume()], machine="gpu-01")


def test_lvs_failure_is_a_warning_and_device_mapper_still_answers(node):
    node.models_lv()
    node.lvs([], rc=5, stderr="  WARNING: Running as a non-root user. Functionality may be unavailable.")
    receipts, reports, warnings = node.inspect([models_volume()])
    assert receipts[0]["lvm"]["vgName"] == "vg_agent"
    assert receipts[0]["lvm"]["lvUuid"] == "bbbbbb-bbbb-bbbb-bbbb-bbbb-bbbb-bbbbbb"
    assert any("failed (rc 5)" in warning for warning in warnings)
    assert reports[0]["status"] == "present"


def test_filesystem_uuid_from_blkid_when_udev_has_no_link(node):
    node.models_lv()
    os.unlink(node.on_disk("/dev/disk/by-uuid/" + FS_UUID))
    node.blkid("/dev/vg_agent/agent_models", {"UUID": "11111111-2222-4333-8444-555555555555", "TYPE": "xfs"})
    receipts, _reports, warnings = node.inspect([models_volume()])
    assert receipts[0]["filesystem"]["uuid"] == "11111111-2222-4333-8444-555555555555"
    assert warnings == []


def test_directory_volume_never_probes_the_disk_holding_it(node):
    node.directory(SCRATCH, 0o750)
    receipts, _reports, warnings = node.inspect([{"volume_class": "agent-scratch", "mount_point": SCRATCH}])
    assert receipts[0]["filesystem"] == {"type": "ext4", "uuid": None, "created": False}
    assert warnings == []


def test_outcome_says_what_the_lvm_plan_did(node):
    from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage_inspect.volumes import outcomes_from_plan

    plan = [{"action": "pvcreate", "target": "/dev/sdb"}, {"action": "lvcreate", "target": "vg_agent/agent_models"},
            {"action": "lvextend", "target": "vg_agent/agent_scratch"}]
    assert outcomes_from_plan(plan) == {"vg_agent/agent_models": "created", "vg_agent/agent_scratch": "extended"}
    assert outcomes_from_plan(plan, check_mode=True) == {"vg_agent/agent_models": "planned", "vg_agent/agent_scratch": "planned"}
    node.models_lv()
    receipts, _reports, _warnings = node.inspect([models_volume()], outcomes=outcomes_from_plan(plan))
    assert receipts[0]["outcome"] == "created"
