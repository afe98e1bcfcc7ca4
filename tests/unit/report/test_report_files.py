"""Writing the report: atomic, only what differs, nothing in check mode, never over something else."""

import os

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.collect import ReportError
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.report.files import write_report_files

FILES = {"report.html": b"<!DOCTYPE html>\n<p>one</p>\n", "report.md": b"# one\n"}


def read(folder, name):
    with open(os.path.join(folder, name), "rb") as handle:
        return handle.read()


def test_first_write_creates_the_folder_and_both_files(tmp_path):
    dest = str(tmp_path / "run" / "report")
    assert write_report_files(dest, FILES) == ["report.html", "report.md"]
    assert {name: read(dest, name) for name in FILES} == FILES
    assert sorted(os.listdir(dest)) == ["report.html", "report.md"]  # no temp file left behind
    assert oct(os.stat(os.path.join(dest, "report.html")).st_mode & 0o777) == "0o640"


def test_same_content_changes_nothing(tmp_path):
    dest = str(tmp_path / "report")
    write_report_files(dest, FILES)
    before = os.stat(os.path.join(dest, "report.md")).st_ino
    assert write_report_files(dest, FILES) == []
    assert os.stat(os.path.join(dest, "report.md")).st_ino == before


def test_only_the_file_that_differs_is_written(tmp_path):
    dest = str(tmp_path / "report")
    write_report_files(dest, FILES)
    assert write_report_files(dest, dict(FILES, **{"report.md": b"# two\n"})) == ["report.md"]
    assert read(dest, "report.md") == b"# two\n"


def test_check_mode_reports_and_writes_nothing(tmp_path):
    dest = str(tmp_path / "report")
    assert write_report_files(dest, FILES, check_mode=True) == ["report.html", "report.md"]
    assert not os.path.exists(dest)
    write_report_files(dest, FILES)
    assert write_report_files(dest, dict(FILES, **{"report.html": b"new"}), check_mode=True) == ["report.html"]
    assert read(dest, "report.html") == FILES["report.html"]


def test_dest_that_is_a_file_is_refused(tmp_path):
    dest = tmp_path / "report"
    dest.write_text("not a folder")
    with pytest.raises(ReportError, match="dest: .* exists and is not a directory"):
        write_report_files(str(dest), FILES)


def test_a_symlink_in_place_of_a_report_file_is_refused(tmp_path):
    dest = tmp_path / "report"
    dest.mkdir()
    target = tmp_path / "elsewhere.html"
    target.write_text("keep me")
    os.symlink(str(target), str(dest / "report.html"))
    with pytest.raises(ReportError, match="is not a plain file; refusing to replace it"):
        write_report_files(str(dest), FILES)
    assert target.read_text() == "keep me"
