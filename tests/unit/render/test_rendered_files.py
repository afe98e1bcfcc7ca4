"""rendered_files: refuse bad names before touching anything; write only what differs, atomically."""

import os
import stat

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.atomic_file import write_atomic
from ansible_collections.sourceos.agent_machine.plugins.module_utils.rendered_files import (
    RenderedFileError, apply_files, check_files, diffs, plan_files, summary,
)


def _files(**texts):
    return [{"name": name.replace("_", "."), "content": text} for name, text in texts.items()]


def test_first_write_then_unchanged(tmp_path):
    directory = str(tmp_path / "units")
    files = _files(a_container="[Container]\nImage=x\n", a_network="[Network]\n")
    check_files(directory, files)
    plans = plan_files(directory, files, 0o644)
    assert [plan["changed"] for plan in plans] == [True, True]
    assert [entry["before_header"] for entry in diffs(plans)] == [
        os.path.join(directory, "a.container") + " (absent)", os.path.join(directory, "a.network") + " (absent)"]
    apply_files(directory, plans, 0o644, 0o755)
    assert (tmp_path / "units" / "a.container").read_text() == "[Container]\nImage=x\n"
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o755
    again = plan_files(directory, files, 0o644)
    assert not any(plan["changed"] for plan in again) and diffs(again) == []
    assert [item["sha256"] for item in summary(again)] == [plan["sha256"] for plan in plans]


def test_changed_content_and_mode_are_rewritten(tmp_path):
    path = tmp_path / "a.container"
    path.write_text("old\n")
    os.chmod(path, 0o600)
    plans = plan_files(str(tmp_path), _files(a_container="old\n"), 0o644)
    assert plans[0]["changed"] is True
    apply_files(str(tmp_path), plans, 0o644, 0o755)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    plans = plan_files(str(tmp_path), _files(a_container="new\n"), 0o644)
    assert diffs(plans) == [{"before": "old\n", "after": "new\n", "before_header": str(path), "after_header": str(path)}]
    apply_files(str(tmp_path), plans, 0o644, 0o755)
    assert path.read_text() == "new\n"
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


@pytest.mark.parametrize("files,message", [
    ([{"name": "../escape.container", "content": "x"}], r"files\[0\]\.name: must be a plain file name"),
    ([{"name": "..", "content": "x"}], r"files\[0\]\.name: must be a plain file name"),
    ([{"name": "a", "content": "x"}, {"name": "a", "content": "y"}], r"files\[1\]\.name: a is listed twice"),
    ([{"name": "a", "content": None}], r"files\[0\]\.content: must be text"),
])
def test_bad_names_are_refused(tmp_path, files, message):
    with pytest.raises(RenderedFileError, match=message):
        check_files(str(tmp_path), files)


def test_relative_directory_and_file_as_directory_are_refused(tmp_path):
    with pytest.raises(RenderedFileError, match="directory: must be an absolute path"):
        check_files("units", _files(a="x"))
    (tmp_path / "plain").write_text("")
    with pytest.raises(RenderedFileError, match="directory: .* is not a directory"):
        check_files(str(tmp_path / "plain"), _files(a="x"))


def test_symlink_target_is_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.write_text("keep\n")
    (tmp_path / "units").mkdir()
    os.symlink(str(outside), str(tmp_path / "units" / "a.container"))
    with pytest.raises(RenderedFileError, match="is not a regular file; refusing to replace it"):
        plan_files(str(tmp_path / "units"), _files(a_container="evil\n"), 0o644)
    assert outside.read_text() == "keep\n"


def test_write_atomic_leaves_no_temp_file_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "a"
    target.write_text("before")

    def refuse(_src, _dst):
        raise OSError("rename refused")

    monkeypatch.setattr(os, "rename", refuse)
    with pytest.raises(OSError, match="rename refused"):
        write_atomic(str(target), b"after")
    assert target.read_text() == "before"
    assert os.listdir(tmp_path) == ["a"]
