"""Planner decisions, layout by layout, over LVM states read from recorded
output (tests/fixtures/lvm/recorded, see its README.txt). Each test asserts
the exact plan (commands included) or the exact refusals."""

import pytest

from support.lvm_recordings import COMMANDS, PROC_MISC_DM, FakeHost, fixture, recorded
from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import ReplayRunner
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.executor import render_plan
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.layout import normalize_layout
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.lvm_state import (
    read_state,
    state_report_argv,
    summarize,
)
from ansible_collections.sourceos.agent_machine.plugins.module_utils.storage.planner import (
    Options,
    plan_layout,
    pool_metadata_bytes,
)

CFG = "--config global{activation=0}"
LOOP_SIZE = 268435456
MIB = 1024 * 1024
GIB = 1024 * MIB


def host_state(layout, reports="empty", blank=(), blkid=None, links=None, activate=False, dm=False,
               lv_blkid=None, mountinfo=None, block=None):
    """read_state over recorded reports: ``reports`` names the capture
    ("empty", "two-lvs", ... or "doc-thin"); ``blank`` devices answer blkid
    with nothing; ``blkid`` maps a device to a recorded blkid capture;
    ``lv_blkid`` does the same for LV paths."""
    if reports == "doc-thin":
        names = ("doc-pvs-thin", "doc-vgs-thin", "doc-lvs-thin")
    elif reports == "doc-active":
        names = ("pvs-two-lvs", "vgs-two-lvs", "doc-lvs-two-lvs-active")
    else:
        names = ("pvs-" + reports, "vgs-" + reports, "lvs-" + reports)
    records = {"lvm version": recorded("lvm-version")}
    for kind, name in zip(("pv", "vg", "lv"), names):
        records[" ".join(state_report_argv(kind, activate))] = {"rc": 0, "stdout": fixture(name + ".json")}
    devices = set(block or ())
    for device in blank:
        records["blkid -p -o export " + device] = recorded("blkid-empty")
        devices.add(device)
    for device, name in (blkid or {}).items():
        records["blkid -p -o export " + device] = recorded(name, device)
        devices.add(device)
    for device in devices:
        records["blockdev --getsize64 " + device] = {"rc": 0, "stdout": "%d\n" % LOOP_SIZE}
    for path, name in (lv_blkid or {}).items():
        records["blkid -p -o export " + path] = recorded(name, path)
    files = {"/proc/misc": PROC_MISC_DM if dm else "237 loop-control\n"}
    if mountinfo:
        files["/proc/self/mountinfo"] = mountinfo
    host = FakeHost(block=devices | set(["/dev/loop0", "/dev/loop1", "/dev/loop2"]), links=links, files=files)
    return read_state(ReplayRunner(records), layout, activate=activate, host=host)


def plan(volume_groups, volumes=(), options=None, **state):
    options = options or Options(activate=False)
    layout, refusals = normalize_layout(volume_groups, list(volumes))
    result = plan_layout(layout, host_state(layout, activate=options.activate, **state), options)
    result.refusals = refusals + result.refusals
    result.rendered = render_plan(result.actions, options.activate)
    return result


def commands(result):
    return [step["command"] for step in result.rendered]


VG = {"name": "vg_agent", "devices": ["/dev/loop0"]}
MODELS = {"volume_class": "agent-models", "volume_group": "vg_agent", "size": "100M", "filesystem": "xfs"}
SCRATCH = {"volume_class": "agent-scratch", "volume_group": "vg_agent", "size": "50M"}


def with_(volume, **changes):
    copy = dict(volume)
    copy.update(changes)
    return copy


ACTIVE = Options(activate=True)


# 1 -----------------------------------------------------------------------
def test_empty_node_creates_pv_vg_and_lvs_with_the_recorded_commands():
    result = plan([VG], [MODELS, SCRATCH], blank=["/dev/loop0"])
    assert result.refusals == []
    assert commands(result) == [
        COMMANDS["pvcreate"]["command"],
        COMMANDS["vgcreate"]["command"],
        COMMANDS["lvcreate-models"]["command"],
        "lvcreate %s -n agent_scratch -L 54525952b --activate n --zero n --wipesignatures n vg_agent" % CFG,
    ]
    assert [(step["action"], step["target"]) for step in result.rendered] == [
        ("pvcreate", "/dev/loop0"), ("vgcreate", "vg_agent"), ("lvcreate", "vg_agent/agent_models"),
        ("lvcreate", "vg_agent/agent_scratch")]
    assert result.skipped == [{"action": "mkfs", "target": "/dev/vg_agent/agent_models",
                               "reason": "mkfs.xfs not run: LVs are not activated (activate: false)"}]
    # the prediction equals what real LVM reported after these commands (lvs-two-lvs capture)
    real = summarize(host_state(normalize_layout([VG], [])[0], reports="two-lvs"), ["vg_agent"])
    assert result.predicted["volume_groups"] == real["volume_groups"]
    assert dict((k, v["size"]) for k, v in result.predicted["logical_volumes"].items()) == \
        dict((k, v["size"]) for k, v in real["logical_volumes"].items())


# 2 -----------------------------------------------------------------------
def test_state_equal_to_layout_plans_nothing():
    result = plan([VG], [MODELS, SCRATCH], reports="two-lvs")
    assert (result.actions, result.refusals, result.kept, result.skipped) == ([], [], [], [])


def test_symlinked_device_of_an_existing_pv_plans_nothing():
    result = plan([{"name": "vg_agent", "devices": ["/dev/agent-test/disk0"]}], [MODELS, SCRATCH],
                  reports="two-lvs", links={"/dev/agent-test/disk0": "/dev/loop0"})
    assert (result.actions, result.refusals, result.kept) == ([], [], [])


# 3 -----------------------------------------------------------------------
def test_grow_into_a_new_device():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1"]}],
                  [with_(MODELS, size="300M"), SCRATCH], reports="two-lvs", blank=["/dev/loop1"])
    assert result.refusals == []
    assert commands(result) == [
        COMMANDS["pvcreate-d1"]["command"],
        COMMANDS["vgextend"]["command"],
        COMMANDS["lvextend"]["command"],
    ]
    assert result.rendered[2]["reason"] == ("requested 314572800 bytes (300.00 MiB) is larger than current "
                                            "104857600 bytes (100.00 MiB)")
    assert result.skipped == [{"action": "growfs", "target": "/dev/vg_agent/agent_models",
                               "reason": "xfs filesystem not grown: LVs are not activated (activate: false)"}]


# 4 -----------------------------------------------------------------------
def test_shrink_is_refused():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1"]}],
                  [with_(MODELS, size="200M", filesystem=None), SCRATCH], reports="extended")
    assert result.actions == []
    assert result.refusals == [
        "volumes[0] (agent-models, vg_agent/agent_models): requested 209715200 bytes (200.00 MiB) is smaller than "
        "current 314572800 bytes (300.00 MiB); shrinking is refused (allow_shrink: false)"]


# 5 -----------------------------------------------------------------------
def test_shrink_allowed_on_an_active_unformatted_lv():
    options = Options(activate=True, allow_shrink=True)
    result = plan([VG], [with_(MODELS, size="80M", filesystem=None), SCRATCH], options=options, reports="doc-active",
                  dm=True, lv_blkid={"/dev/vg_agent/agent_models": "blkid-empty",
                                     "/dev/vg_agent/agent_scratch": "blkid-empty"})
    assert result.refusals == []
    assert commands(result) == ["lvreduce --yes -L 83886080b vg_agent/agent_models"]
    assert result.rendered[0]["reason"].startswith("allow_shrink: requested 83886080 bytes (80.00 MiB) is smaller")


def test_shrink_with_allow_shrink_still_refused_for_inactive_or_formatted_lvs():
    shrink = [with_(MODELS, size="80M", filesystem=None), SCRATCH]
    inactive = plan([VG], shrink, options=Options(activate=False, allow_shrink=True), reports="two-lvs")
    assert inactive.refusals == [
        "volumes[0] (agent-models, vg_agent/agent_models): requested 83886080 bytes (80.00 MiB) is smaller than "
        "current 104857600 bytes (100.00 MiB); shrinking is refused: the LV is not active, so it cannot be checked "
        "for a filesystem signature"]
    formatted = plan([VG], shrink, options=Options(activate=True, allow_shrink=True), reports="doc-active", dm=True,
                     lv_blkid={"/dev/vg_agent/agent_models": "blkid-ext4",
                               "/dev/vg_agent/agent_scratch": "blkid-empty"})
    assert formatted.actions == []
    assert formatted.refusals[0].endswith("shrinking is refused: it carries a ext4 signature; only unformatted "
                                          "volumes are shrunk")


# 6 -----------------------------------------------------------------------
def test_xfs_never_shrinks():
    options = Options(activate=True, allow_shrink=True)
    declared = plan([VG], [with_(MODELS, size="80M"), SCRATCH], options=options, reports="doc-active", dm=True,
                    lv_blkid={"/dev/vg_agent/agent_models": "blkid-xfs", "/dev/vg_agent/agent_scratch": "blkid-empty"})
    assert declared.refusals == [
        "volumes[0] (agent-models, vg_agent/agent_models): requested 83886080 bytes (80.00 MiB) is smaller than "
        "current 104857600 bytes (100.00 MiB); shrinking is refused: xfs can never shrink"]
    found = plan([VG], [with_(MODELS, size="80M", filesystem=None), SCRATCH], options=options, reports="doc-active",
                 dm=True, lv_blkid={"/dev/vg_agent/agent_models": "blkid-xfs",
                                    "/dev/vg_agent/agent_scratch": "blkid-empty"})
    assert found.refusals[0].endswith("shrinking is refused: xfs can never shrink")
    assert found.actions == []


# 7 -----------------------------------------------------------------------
def test_signature_on_a_new_device_is_refused():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop2"]}], [], blkid={"/dev/loop2": "blkid-swap"})
    assert result.actions == []
    assert result.refusals == [
        "volume_groups[0].devices: /dev/loop2 carries a swap signature; creating a PV would destroy it "
        "(force_signatures: true wipes it)"]
    # real pvcreate, run without a terminal, also refuses (and says why)
    assert COMMANDS["pvcreate-swap"]["rc"] == 5 and "Aborted wiping of swap." in COMMANDS["pvcreate-swap"]["stderr"]


def test_partition_table_is_a_signature_too():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop2"]}], [], blkid={"/dev/loop2": "blkid-gpt"})
    assert result.refusals == ["volume_groups[0].devices: /dev/loop2 carries a gpt partition table signature; "
                               "creating a PV would destroy it (force_signatures: true wipes it)"]


def test_signature_accepted_with_force_signatures():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop2"]}], [],
                  options=Options(activate=False, force_signatures=True), blkid={"/dev/loop2": "blkid-ext4"})
    assert result.refusals == []
    assert commands(result) == ["wipefs --all /dev/loop2", "pvcreate %s /dev/loop2" % CFG,
                                "vgcreate %s vg_agent /dev/loop2" % CFG]
    assert result.rendered[0]["reason"] == "force_signatures: wipes the ext4 signature (destroys its data)"


# 8 -----------------------------------------------------------------------
def test_device_of_another_vg_is_refused():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1", "/dev/loop2"]}],
                  [with_(MODELS, size="200M"), SCRATCH], reports="two-vgs")
    assert result.refusals == ["volume_groups[0].devices: /dev/loop2 is a PV of volume group vg_other; it is never "
                               "taken from another volume group"]


# 9 -----------------------------------------------------------------------
def test_missing_device_is_refused():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/nvme9n1"]}], [MODELS], blank=["/dev/loop0"])
    assert result.refusals == ["volume_groups[0].devices: device /dev/nvme9n1 does not exist"]


def test_a_regular_file_is_not_a_device():
    layout, refusals = normalize_layout([{"name": "vg_agent", "devices": ["/srv/d1.img"]}], [])
    assert refusals == []
    records = {" ".join(state_report_argv(kind, False)): {"rc": 0, "stdout": fixture("%ss-empty.json" % kind)}
               for kind in ("pv", "vg", "lv")}
    state = read_state(ReplayRunner(records), layout, activate=False, host=FakeHost(files={"/srv/d1.img": ""}))
    result = plan_layout(layout, state, Options(activate=False))
    assert result.refusals == ["volume_groups[0].devices: /srv/d1.img is not a block device"]


# 10 ----------------------------------------------------------------------
def test_unlisted_pv_is_kept():
    result = plan([VG], [MODELS, SCRATCH], reports="two-pvs")
    assert result.actions == [] and result.refusals == []
    assert result.kept == [{"target": "/dev/loop1", "reason": "PV of volume group vg_agent not listed in "
                            "volume_groups[0].devices: kept (not listed); only remove_devices are ever removed"}]


# 11 ----------------------------------------------------------------------
def test_remove_devices_takes_out_an_empty_pv():
    result = plan([with_(VG, remove_devices=["/dev/loop1"])], [MODELS, SCRATCH], reports="two-pvs")
    assert result.refusals == [] and result.kept == []
    assert commands(result) == [COMMANDS["vgreduce-empty"]["command"]]
    assert result.predicted["volume_groups"]["vg_agent"] == {"size": 264241152, "free": 104857600,
                                                             "pvs": ["/dev/loop0"]}


# 12 ----------------------------------------------------------------------
def test_remove_devices_refuses_a_pv_with_extents():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0"], "remove_devices": ["/dev/loop1"]}],
                  [with_(MODELS, size="300M"), SCRATCH], reports="extended")
    assert result.refusals == [
        "volume_groups[0].remove_devices: /dev/loop1 holds 25 allocated extents (104857600 bytes (100.00 MiB)) of "
        "volume group vg_agent; only empty PVs are removed (move the data off it first, e.g. with pvmove)"]
    assert COMMANDS["vgreduce-used"]["rc"] == 5  # what LVM itself would have said


def test_removing_the_last_pv_is_refused():
    result = plan([{"name": "vg_agent", "devices": [], "remove_devices": ["/dev/loop0"]}], [], reports="vg-new")
    assert result.refusals == ["volume_groups[0].remove_devices: removing /dev/loop0 would leave volume group "
                               "vg_agent without PVs; use state: absent to remove the volume group"]


def test_an_orphan_pv_joins_without_pvcreate():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1"]}], [MODELS, SCRATCH],
                  reports="after-vgreduce")
    assert commands(result) == ["vgextend %s vg_agent /dev/loop1" % CFG]
    assert result.predicted["volume_groups"]["vg_agent"]["free"] == 104857600 + 63 * 4 * MIB


# 13 ----------------------------------------------------------------------
def test_size_beyond_free_space_names_the_first_volume_and_the_shortfall():
    warm = {"volume_class": "agent-cache-warm", "volume_group": "vg_agent", "size": "1G"}
    cold = {"volume_class": "agent-cache-cold", "volume_group": "vg_agent", "size": "2G"}
    result = plan([VG], [MODELS, SCRATCH, warm, cold], reports="two-lvs")
    assert result.refusals == [
        "volumes[2] (agent-cache-warm, vg_agent/agent_cache_warm): needs 1073741824 bytes (1.00 GiB) more but volume "
        "group vg_agent has 104857600 bytes (100.00 MiB) free after the planned changes: short by 968884224 bytes "
        "(924.00 MiB)"]
    # real LVM: "insufficient free space (25 extents): 256 required" -> 231 extents short
    assert "(25 extents): 256 required" in COMMANDS["lvcreate-toobig"]["stderr"]
    assert 968884224 == 231 * 4 * MIB


def test_free_space_counts_the_planned_vgextend():
    warm = {"volume_class": "agent-cache-warm", "volume_group": "vg_agent", "size": "300M"}
    short = plan([VG], [MODELS, SCRATCH, warm], reports="two-lvs")
    assert len(short.refusals) == 1 and "short by 209715200 bytes (200.00 MiB)" in short.refusals[0]
    fits = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1"]}], [MODELS, SCRATCH, warm],
                reports="two-lvs", blank=["/dev/loop1"])
    assert fits.refusals == []
    assert [step["action"] for step in fits.rendered] == ["pvcreate", "vgextend", "lvcreate"]


# 14 ----------------------------------------------------------------------
def test_percent_sizes_and_extent_rounding():
    result = plan([VG], [with_(MODELS, size="50%VG", filesystem=None), with_(SCRATCH, size="10M"),
                         {"volume_class": "agent-evidence", "volume_group": "vg_agent", "size": "100%FREE"}],
                  blank=["/dev/loop0"])
    assert result.refusals == []
    # 63 extents: 50%VG -> 31 (down); 10M -> 3 extents (up); 100%FREE -> the 29 left
    assert commands(result)[2:] == [
        "lvcreate %s -n agent_models -L 130023424b --activate n --zero n --wipesignatures n vg_agent" % CFG,
        "lvcreate %s -n agent_scratch -L 12582912b --activate n --zero n --wipesignatures n vg_agent" % CFG,
        "lvcreate %s -n agent_evidence -L 121634816b --activate n --zero n --wipesignatures n vg_agent" % CFG,
    ]
    assert result.predicted["volume_groups"]["vg_agent"]["free"] == 0


def test_free_percent_applies_at_creation_only():
    result = plan([VG], [MODELS, with_(SCRATCH, size="100%FREE")], reports="two-lvs")
    assert result.actions == [] and result.refusals == []
    assert result.notes == ["volumes[1] (agent-scratch, vg_agent/agent_scratch): size 100%FREE applies when the "
                            "volume is created; vg_agent/agent_scratch exists with 54525952 bytes (52.00 MiB) and is "
                            "kept"]


def test_percent_vg_grows_with_the_vg():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1"]}],
                  [with_(MODELS, size="50%VG"), SCRATCH], reports="after-vgreduce")
    # 63 + 63 extents after vgextend: 50%VG = 63 extents
    assert commands(result) == ["vgextend %s vg_agent /dev/loop1" % CFG,
                                "lvextend %s -L 264241152b vg_agent/agent_models" % CFG]


# 15 ----------------------------------------------------------------------
def test_thin_pool_created_with_explicit_metadata():
    pool_vg = with_(VG, thin_pool={"name": "pool_agent", "size": "128M", "overprovision_ratio": 4.0})
    result = plan([pool_vg], [], options=ACTIVE, reports="vg-new", dm=True)
    assert result.refusals == []
    assert commands(result) == ["lvcreate --type thin-pool -n pool_agent -L 134217728b --poolmetadatasize 4194304b "
                                "--yes --wipesignatures y vg_agent"]
    assert result.rendered[0]["reason"] == ("thin pool does not exist: 134217728 bytes (128.00 MiB) of data, 4194304 "
                                            "bytes (4.00 MiB) of metadata plus a metadata spare of the same size")
    assert result.predicted["volume_groups"]["vg_agent"]["free"] == (63 - 34) * 4 * MIB


def test_thin_pool_metadata_follows_lvm_default_policy():
    assert pool_metadata_bytes(128 * MIB) == 2 * MIB
    assert pool_metadata_bytes(50 * GIB) == 50 * MIB
    assert pool_metadata_bytes(10 * 1024 * GIB) == 80 * MIB  # chunk grows to 512 KiB


def test_thin_pool_extends_and_never_shrinks():
    grown = plan([{"name": "vg_agent", "devices": ["/dev/nvme1n1"], "thin_pool": {"name": "pool_agent", "size": "60G"}}],
                 [], options=ACTIVE, reports="doc-thin", dm=True, block=["/dev/nvme1n1"])
    assert grown.refusals == []
    assert commands(grown) == ["lvextend -L 64424509440b vg_agent/pool_agent"]
    shrunk = plan([{"name": "vg_agent", "devices": ["/dev/nvme1n1"], "thin_pool": {"name": "pool_agent", "size": "40G"}}],
                  [], options=Options(activate=True, allow_shrink=True), reports="doc-thin", dm=True,
                  block=["/dev/nvme1n1"])
    assert shrunk.refusals == ["volume_groups[0].thin_pool (thin pool vg_agent/pool_agent): requested 42949672960 "
                               "bytes (40.00 GiB) is smaller than current 53687091200 bytes (50.00 GiB); thin pools "
                               "never shrink"]


THIN_VG = {"name": "vg_agent", "devices": ["/dev/nvme1n1"],
           "thin_pool": {"name": "pool_agent", "size": "50G", "overprovision_ratio": 4.0}}
THIN_WARM = {"volume_class": "agent-cache-warm", "volume_group": "vg_agent", "size": "80G", "thin": True,
             "filesystem": "ext4"}
THIN_MODELS = {"volume_class": "agent-models", "volume_group": "vg_agent", "size": "20G", "filesystem": "xfs"}
THIN_SIGNATURES = {"/dev/vg_agent/agent_cache_warm": "blkid-ext4", "/dev/vg_agent/agent_models": "blkid-xfs"}


def test_thin_state_equal_to_layout_plans_nothing():
    result = plan([THIN_VG], [THIN_WARM, THIN_MODELS], options=ACTIVE, reports="doc-thin", dm=True,
                  block=["/dev/nvme1n1"], lv_blkid=THIN_SIGNATURES)
    assert (result.actions, result.refusals, result.skipped) == ([], [], [])
    assert result.notes == ["thin pool vg_agent/pool_agent: 85899345920 bytes (80.00 GiB) virtual on 53687091200 bytes "
                            "(50.00 GiB) of data = 1.60x; within overprovision_ratio 4.0 (information only)"]


# 16 ----------------------------------------------------------------------
def test_thin_volume_created_in_the_pool():
    scratch = {"volume_class": "agent-scratch", "volume_group": "vg_agent", "size": "150G", "thin": True,
               "filesystem": "xfs"}
    result = plan([THIN_VG], [THIN_WARM, THIN_MODELS, scratch], options=ACTIVE, reports="doc-thin", dm=True,
                  block=["/dev/nvme1n1"], lv_blkid=THIN_SIGNATURES)
    assert result.refusals == []
    assert commands(result) == [
        "lvcreate --type thin -n agent_scratch -V 161061273600b --thinpool pool_agent --yes --wipesignatures y vg_agent",
        "mkfs.xfs /dev/vg_agent/agent_scratch",
    ]
    assert result.notes == ["thin pool vg_agent/pool_agent: 246960619520 bytes (230.00 GiB) virtual on 53687091200 "
                            "bytes (50.00 GiB) of data = 4.60x; EXCEEDS overprovision_ratio 4.0 (information only)"]


# 17 ----------------------------------------------------------------------
def test_thin_pool_with_activate_false_is_refused():
    pool_vg = with_(VG, thin_pool={"name": "pool_agent", "size": "128M"})
    thin = with_(SCRATCH, thin=True)
    result = plan([pool_vg], [thin], reports="vg-new")
    assert result.actions == []
    assert result.refusals == [
        "volume_groups[0].thin_pool (thin pool vg_agent/pool_agent): thin pools need device-mapper; activate: false "
        "cannot create them",
        "volumes[0] (agent-scratch, vg_agent/agent_scratch): thin volumes need device-mapper (their pool must be "
        "active); activate: false cannot create or grow them"]
    # what real LVM says without device-mapper
    assert "Can't create thin-pool without using device-mapper kernel driver." in COMMANDS["lvcreate-thinpool"]["stderr"]


# 18 ----------------------------------------------------------------------
def test_removing_a_vg_with_lvs_is_refused_unless_allowed():
    absent = [{"name": "vg_agent", "state": "absent"}]
    refused = plan(absent, [], reports="two-lvs")
    assert refused.refusals == ["volume_groups[0].state: volume group vg_agent holds 2 logical volume(s) "
                                "(agent_models, agent_scratch); removing it would destroy them (allow_vg_removal: "
                                "true removes it)"]
    allowed = plan(absent, [], options=Options(activate=False, allow_vg_removal=True), reports="two-lvs")
    assert allowed.refusals == []
    assert commands(allowed) == [COMMANDS["vgremove"]["command"]]
    assert allowed.kept == [{"target": "/dev/loop0", "reason": "PV label stays after vgremove of vg_agent (an unused PV)"}]
    assert allowed.predicted["volume_groups"] == {}


def test_removing_an_empty_or_absent_vg():
    empty = plan([{"name": "vg_agent", "state": "absent"}], [], reports="vg-new")
    assert commands(empty) == ["vgremove %s --yes vg_agent" % CFG]
    assert empty.rendered[0]["reason"] == "state: absent; the volume group holds no logical volumes"
    gone = plan([{"name": "vg_agent", "state": "absent"}], [])
    assert gone.actions == [] and gone.refusals == []


def test_volumes_in_an_absent_vg_are_refused():
    result = plan([{"name": "vg_agent", "state": "absent"}], [MODELS], reports="vg-new")
    assert result.refusals[0] == ("volumes[0].volume_group: volume group vg_agent has state: absent; volume "
                                  "agent-models cannot be kept in it")


# 19 ----------------------------------------------------------------------
def test_mkfs_on_a_fresh_lv():
    result = plan([VG], [MODELS, with_(SCRATCH, filesystem="ext4")], options=ACTIVE, reports="vg-new", dm=True)
    assert result.refusals == []
    assert commands(result) == [
        "lvcreate -n agent_models -L 104857600b --yes --wipesignatures y vg_agent",
        "mkfs.xfs /dev/vg_agent/agent_models",
        "lvcreate -n agent_scratch -L 54525952b --yes --wipesignatures y vg_agent",
        "mkfs.ext4 /dev/vg_agent/agent_scratch",
    ]


def test_mkfs_on_an_existing_lv_only_without_a_signature():
    result = plan([VG], [MODELS, with_(SCRATCH, filesystem="ext4")], options=ACTIVE, reports="doc-active", dm=True,
                  lv_blkid={"/dev/vg_agent/agent_models": "blkid-xfs", "/dev/vg_agent/agent_scratch": "blkid-empty"})
    assert result.refusals == []
    assert commands(result) == ["mkfs.ext4 /dev/vg_agent/agent_scratch"]
    assert result.rendered[0]["reason"] == "/dev/vg_agent/agent_scratch carries no signature"


def test_same_filesystem_is_accepted():
    result = plan([VG], [MODELS, with_(SCRATCH, filesystem="ext4")], options=ACTIVE, reports="doc-active", dm=True,
                  lv_blkid={"/dev/vg_agent/agent_models": "blkid-xfs", "/dev/vg_agent/agent_scratch": "blkid-ext4"})
    assert (result.actions, result.refusals) == ([], [])


def test_other_filesystem_is_refused_unless_forced():
    layout = ([VG], [MODELS, SCRATCH])
    signatures = {"/dev/vg_agent/agent_models": "blkid-ext4", "/dev/vg_agent/agent_scratch": "blkid-empty"}
    refused = plan(*layout, options=ACTIVE, reports="doc-active", dm=True, lv_blkid=signatures)
    assert refused.refusals == [
        "volumes[0] (agent-models, vg_agent/agent_models): /dev/vg_agent/agent_models carries a ext4 signature, not "
        "xfs; refusing mkfs.xfs over it (force_signatures: true replaces it and destroys its data)"]
    forced = plan(*layout, options=Options(activate=True, force_signatures=True), reports="doc-active", dm=True,
                  lv_blkid=signatures)
    assert commands(forced) == ["mkfs.xfs -f /dev/vg_agent/agent_models"]


# 20 ----------------------------------------------------------------------
MOUNTS = ("22 1 0:21 / / rw - overlay overlay rw\n"
          "41 22 253:1 / /var/lib/agent-machine/scratch rw - ext4 /dev/mapper/vg_agent-agent_scratch rw\n"
          "40 22 253:0 / /var/lib/agent-machine/models rw - xfs /dev/mapper/vg_agent-agent_models rw\n")


def test_ext4_grows_with_resize2fs():
    layout = ([{"name": "vg_agent", "devices": ["/dev/loop0"]}], [MODELS, with_(SCRATCH, size="80M", filesystem="ext4")])
    signatures = {"/dev/vg_agent/agent_models": "blkid-xfs", "/dev/vg_agent/agent_scratch": "blkid-ext4"}
    mounted = plan(*layout, options=ACTIVE, reports="doc-active", dm=True, lv_blkid=signatures, mountinfo=MOUNTS)
    assert commands(mounted) == ["lvextend -L 83886080b vg_agent/agent_scratch", "resize2fs /dev/vg_agent/agent_scratch"]
    unmounted = plan(*layout, options=ACTIVE, reports="doc-active", dm=True, lv_blkid=signatures)
    assert commands(unmounted) == ["lvextend -L 83886080b vg_agent/agent_scratch",
                                   "e2fsck -f -p /dev/vg_agent/agent_scratch", "resize2fs /dev/vg_agent/agent_scratch"]


# 21 ----------------------------------------------------------------------
def test_xfs_grows_with_xfs_growfs_on_its_mount_point():
    layout = ([VG], [with_(MODELS, size="120M"), SCRATCH])
    signatures = {"/dev/vg_agent/agent_models": "blkid-xfs", "/dev/vg_agent/agent_scratch": "blkid-empty"}
    mounted = plan(*layout, options=ACTIVE, reports="doc-active", dm=True, lv_blkid=signatures, mountinfo=MOUNTS)
    assert commands(mounted) == ["lvextend -L 125829120b vg_agent/agent_models",
                                 "xfs_growfs /var/lib/agent-machine/models"]
    unmounted = plan(*layout, options=ACTIVE, reports="doc-active", dm=True, lv_blkid=signatures)
    assert commands(unmounted) == ["lvextend -L 125829120b vg_agent/agent_models"]
    assert unmounted.skipped == [{
        "action": "xfs_growfs", "target": "/dev/vg_agent/agent_models",
        "reason": "xfs grows only while mounted and /dev/vg_agent/agent_models is not mounted: the filesystem keeps "
                  "its old size until it is mounted and xfs_growfs runs (this module does not mount it temporarily)"}]


# 22 ----------------------------------------------------------------------
def test_invalid_names_are_refused_naming_the_field():
    result = plan([{"name": "vg agent", "devices": ["/dev/loop0"], "thin_pool": {"name": "pool_tmeta", "size": "1G"}},
                   {"name": "-vg", "devices": ["/dev/loop1"]},
                   {"name": "v" * 128, "devices": ["/dev/loop2"]}],
                  [with_(MODELS, volume_group="..", lv_name="snapshot1"), with_(SCRATCH, lv_name="a/b")],
                  blank=["/dev/loop0", "/dev/loop1", "/dev/loop2"])
    layout_refusals = [r for r in result.refusals if not r.startswith("volumes[0].volume_group: volume group ..")]
    assert layout_refusals[:7] == [
        "volume_groups[0].name: 'vg agent' has characters LVM does not allow (' '); use A-Z a-z 0-9 + _ . -",
        "volume_groups[0].thin_pool.name: 'pool_tmeta' contains '_tmeta', which LVM reserves for internal volumes",
        "volume_groups[1].name: '-vg' must not start with '-'",
        "volume_groups[2].name: is 128 characters long; LVM allows at most 127",
        "volumes[0].volume_group: '..' is reserved",
        "volumes[0].lv_name: 'snapshot1' starts with 'snapshot', which LVM reserves",
        "volumes[1].lv_name: 'a/b' has characters LVM does not allow ('/'); use A-Z a-z 0-9 + _ . -",
    ]


def test_layout_contradictions_are_refused():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop0"], "remove_devices": ["/dev/loop0"]},
                   {"name": "vg_agent", "devices": ["/dev/loop1"]},
                   {"name": "vg_two", "devices": ["/dev/loop0", "loop1"]}],
                  [MODELS, with_(MODELS, volume_class="agent-scratch", lv_name="agent_models"),
                   {"volume_class": "agent-evidence", "size": "1G"},
                   {"volume_class": "agent-artifacts", "volume_group": "vg_agent"},
                   with_(SCRATCH, lv_name="thin_one", thin=True, size="50%FREE"),
                   with_(SCRATCH, lv_name="bad_size", size="10GB")],
                  blank=["/dev/loop0", "/dev/loop1"])
    assert result.refusals[:11] == [
        "volume_groups[0].devices[1]: /dev/loop0 is listed twice",
        "volume_groups[0].remove_devices: /dev/loop0 is also in devices; a device is either kept or removed",
        "volume_groups[2].devices[1]: 'loop1' is not an absolute device path",
        "volumes[2].volume_group: required for volume class agent-evidence (only agent-cache-hot is tmpfs)",
        "volumes[3].size: required for volume class agent-artifacts",
        "volumes[4].size: 50%FREE: a thin volume has a virtual size; %FREE has no meaning for it (use bytes, units or %VG)",
        "volumes[5].size: '10GB': GB is ambiguous (decimal elsewhere, binary in LVM); write 10G or 10GiB",
        "volume_groups[1].name: volume group vg_agent is already described in volume_groups[0]",
        "volume_groups[2].devices: /dev/loop0 is also listed for volume group vg_agent",
        "volumes[1].lv_name: vg_agent/agent_models is already used by volumes[0]",
        "volumes[4].thin: volume agent-scratch is thin, but volume group vg_agent has no thin_pool in the layout",
    ]


def test_volume_in_an_unknown_vg_is_refused_and_an_existing_unlisted_vg_is_used():
    unknown = plan([], [with_(MODELS, volume_group="vg_nowhere")])
    assert unknown.refusals == ["volumes[0].volume_group: volume group vg_nowhere is neither in volume_groups nor on "
                                "the host"]
    existing = plan([], [with_(MODELS, size="120M", filesystem=None)], reports="two-lvs")
    assert commands(existing) == ["lvextend %s -L 125829120b vg_agent/agent_models" % CFG]


# 23 ----------------------------------------------------------------------
def test_every_refusal_is_reported_and_nothing_is_planned_to_run_partially():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/loop1", "/dev/loop2", "/dev/gone"]}],
                  [with_(MODELS, size="200M"), with_(SCRATCH, size="1G")],
                  reports="two-vgs")
    assert result.refusals == [
        "volume_groups[0].devices: /dev/loop2 is a PV of volume group vg_other; it is never taken from another "
        "volume group",
        "volume_groups[0].devices: device /dev/gone does not exist",
        "volumes[1] (agent-scratch, vg_agent/agent_scratch): needs 1019215872 bytes (972.00 MiB) more but volume "
        "group vg_agent has 264241152 bytes (252.00 MiB) free after the planned changes: short by 754974720 bytes "
        "(720.00 MiB)",
    ]


def test_multiple_refusals_exact():
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0", "/dev/gone"]},
                   {"name": "vg_new", "devices": ["/dev/loop2"]}],
                  [with_(MODELS, size="80M"), SCRATCH],
                  reports="two-lvs", blkid={"/dev/loop2": "blkid-xfs"})
    assert result.refusals == [
        "volume_groups[0].devices: device /dev/gone does not exist",
        "volume_groups[1].devices: /dev/loop2 carries a xfs signature; creating a PV would destroy it "
        "(force_signatures: true wipes it)",
        "volumes[0] (agent-models, vg_agent/agent_models): requested 83886080 bytes (80.00 MiB) is smaller than "
        "current 104857600 bytes (100.00 MiB); shrinking is refused (allow_shrink: false)",
    ]


# 24 ----------------------------------------------------------------------
def test_activate_true_without_device_mapper_is_refused():
    result = plan([VG], [MODELS], options=ACTIVE, blank=["/dev/loop0"])
    assert result.refusals == [
        "activate: true needs the device-mapper kernel driver to activate and format logical volumes, and this host "
        "has none (/proc/misc lists no device-mapper); set activate: false to manage LVM metadata only"]


def test_activate_true_activates_inactive_lvs():
    result = plan([VG], [MODELS, SCRATCH], options=ACTIVE, reports="two-lvs", dm=True)
    assert result.refusals == []
    assert commands(result) == ["lvchange --activate y vg_agent/agent_models",
                                "lvchange --activate y vg_agent/agent_scratch"]
    assert result.skipped == [{"action": "mkfs", "target": "/dev/vg_agent/agent_models",
                               "reason": "the LV was not active, so its xfs filesystem could not be checked; it is "
                                         "checked on the next run"}]


def test_tmpfs_volumes_are_ignored():
    hot = {"volume_class": "agent-cache-hot", "size": "8G", "mount_point": "/var/lib/agent-machine/cache/hot"}
    result = plan([VG], [MODELS, SCRATCH, hot], reports="two-lvs")
    assert (result.actions, result.refusals) == ([], [])
    assert result.notes == ["volumes[2]: agent-cache-hot is tmpfs, not LVM; ignored here"]


@pytest.mark.parametrize("reports", ["empty", "vg-new", "two-lvs", "two-pvs", "extended", "reduced", "two-vgs"])
def test_recorded_states_parse_and_plan_without_errors(reports):
    result = plan([{"name": "vg_agent", "devices": ["/dev/loop0"]}], [], reports=reports, blank=["/dev/loop0"])
    assert all(isinstance(message, str) for message in result.refusals)
