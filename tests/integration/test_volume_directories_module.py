"""volume_directories run by real Ansible: check mode and diff, then apply, then unchanged."""

import os
import stat

from ansible_run import adhoc

MODULE = "sourceos.agent_machine.volume_directories"


def _args(tmp_path):
    return "{\"directories\": [{\"path\": \"%s\", \"mode\": \"0755\"}, {\"path\": \"%s\", \"mode\": \"0700\"}]}" % (
        tmp_path / "models", tmp_path / "cache" / "hot")


def test_check_mode_shows_the_plan_then_one_run_creates_everything_and_a_second_changes_nothing(tmp_path):
    rc, result = adhoc(MODULE, _args(tmp_path), extra=["--check", "--diff"])
    assert rc == 0, result
    assert result["changed"] is True and not (tmp_path / "models").exists()
    assert [entry["changes"] for entry in result["directories"]] == [["created"], ["created"]]
    rc, result = adhoc(MODULE, _args(tmp_path))
    assert rc == 0 and result["changed"] is True, result
    assert stat.S_IMODE(os.lstat(tmp_path / "cache" / "hot").st_mode) == 0o700
    rc, result = adhoc(MODULE, _args(tmp_path))
    assert rc == 0 and result["changed"] is False, result


def test_a_symlink_in_the_way_fails_naming_the_entry(tmp_path):
    os.symlink("/etc", tmp_path / "models")
    rc, result = adhoc(MODULE, _args(tmp_path))
    assert rc != 0
    assert result["msg"].startswith("directories[0].path: ") and "symbolic link" in result["msg"]
