"""volume_directories: every directory in one pass, nothing in the way replaced, no link followed."""

import os
import stat

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.volume_directories import (
    DirectoryError, apply_plans, changes, check_entries, diffs, summary)


def _mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_missing_directories_and_parents_are_created_then_nothing_changes(tmp_path):
    models, hot = str(tmp_path / "lib" / "models"), str(tmp_path / "cache" / "hot")
    entries = [{"path": models, "mode": "0755"}, {"path": hot, "mode": 0o700}]
    plans = check_entries(entries)
    assert [entry["changes"] for entry in summary(plans)] == [["created"], ["created"]]
    apply_plans(plans)
    assert (_mode(models), _mode(hot), _mode(str(tmp_path / "lib"))) == (0o755, 0o700, 0o755)
    again = check_entries(entries)
    assert all(changes(plan) == [] for plan in again)
    assert diffs(again) == []


def test_a_wrong_mode_is_corrected_and_shown_in_the_diff(tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir(mode=0o777)
    os.chmod(scratch, 0o777)
    plans = check_entries([{"path": str(scratch), "mode": "0750"}])
    assert changes(plans[0]) == ["mode"]
    assert diffs(plans)[0]["before"].endswith("mode=0777\n") and diffs(plans)[0]["after"].endswith("mode=0750\n")
    apply_plans(plans)
    assert _mode(str(scratch)) == 0o750


def test_check_entries_alone_touches_nothing(tmp_path):
    plans = check_entries([{"path": str(tmp_path / "models"), "mode": "0755"}])
    assert changes(plans[0]) == ["created"]
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("make, message", [
    (lambda p: os.symlink("/etc", p), "is a symbolic link"),
    (lambda p: open(p, "w").close(), "exists and is not a directory"),
])
def test_what_is_in_the_way_is_refused_before_any_entry_is_touched(tmp_path, make, message):
    first, blocked = tmp_path / "first", tmp_path / "blocked"
    make(str(blocked))
    with pytest.raises(DirectoryError) as error:
        check_entries([{"path": str(first)}, {"path": str(blocked)}])
    assert str(error.value).startswith("directories[1].path: ") and message in str(error.value)
    assert not first.exists()


@pytest.mark.parametrize("entry, message", [
    ({"path": "relative/dir"}, "directories[0].path: 'relative/dir' must be a normalized absolute path other than /"),
    ({"path": "/"}, "directories[0].path: '/' must be a normalized absolute path other than /"),
    ({"path": "/var/lib/../x"}, "must be a normalized absolute path"),
    ({"path": "/srv/m", "mode": "rwx"}, "directories[0].mode: 'rwx' is not an octal mode"),
    ({"path": "/srv/m", "owner": "no-such-user-here"}, "directories[0].owner: no user named 'no-such-user-here' on the node"),
    ({"path": "/srv/m", "group": "no-such-group-here"}, "directories[0].group: no group named 'no-such-group-here' on the node"),
])
def test_bad_entries_name_the_field(entry, message):
    with pytest.raises(DirectoryError) as error:
        check_entries([entry])
    assert message in str(error.value)


def test_a_path_listed_twice_is_refused(tmp_path):
    with pytest.raises(DirectoryError, match=r"directories\[1\].path: .* is listed twice"):
        check_entries([{"path": str(tmp_path / "a")}, {"path": str(tmp_path / "a")}])


def test_numeric_owner_and_group_are_taken_as_ids(tmp_path):
    target = tmp_path / "owned"
    plans = check_entries([{"path": str(target), "owner": "1234", "group": "2345"}])
    apply_plans(plans)
    info = os.lstat(target)
    assert (info.st_uid, info.st_gid, _mode(str(target))) == (1234, 2345, 0o750)
    assert changes(check_entries([{"path": str(target), "owner": "1234", "group": "2345"}])[0]) == []
    assert changes(check_entries([{"path": str(target)}])[0]) == ["owner", "group"]
