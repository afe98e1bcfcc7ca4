"""Materializing a model from the real loopback server and from node paths, into real temp dirs."""

import json
import os
import shutil
import stat

import pytest
from jsonschema import Draft202012Validator

from support.tiny_gguf import write_tiny_gguf
from models_cases import MACHINE, MODEL_NAME, REF, CountingIO, tree_state
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models import residency
from ansible_collections.sourceos.agent_machine.plugins.module_utils.models.materialize import MaterializeError, Paths, materialize
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.registry import schema_text
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.contracts.validation import validate_document

SCHEMA = Draft202012Validator(json.loads(schema_text("model-receipt")))


def valid_receipt(receipt):
    SCHEMA.validate(receipt)
    validate_document("ModelReceipt", receipt, source="test")
    return receipt


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def manifest_on_disk(root):
    with open(os.path.join(root, residency.MANIFEST_NAME), encoding="utf-8") as handle:
        return json.load(handle)


def final_path(root):
    return os.path.join(root, MODEL_NAME)


class TestFreshDownload:
    def test_lands_verified_at_the_final_path_with_manifest_and_receipt(self, served, make_request, models_root, io):
        result = materialize(make_request(), MACHINE, io=io)
        assert result["changed"] is True
        assert result["outcome"] == "downloaded"
        assert result["verified"] is True and result["digest"] == served.digest
        assert read(final_path(models_root)) == served.data
        assert stat.S_IMODE(os.stat(final_path(models_root)).st_mode) == 0o644
        assert os.listdir(os.path.join(models_root, ".partial")) == []
        receipt = valid_receipt(result["model_receipt"])
        assert receipt["outcome"] == "downloaded" and receipt["verified"] is True
        assert receipt["observedDigest"] == served.digest
        assert receipt["source"] == {"kind": "url", "scheme": "http", "host": "127.0.0.1:%d" % served.server.port}
        assert receipt["id"] == "urn:srcos:agent-machine:model-receipt:unit-node-tiny-gguf"
        manifest = manifest_on_disk(models_root)
        assert manifest == result["residency"]
        assert manifest["specVersion"] == "0.1.0"
        (entry,) = manifest["models"]
        assert sorted(entry) == sorted(["ref", "digest", "sizeBytes", "path", "format", "materializedAt", "lastUsedAt"])
        assert entry["ref"] == REF and entry["digest"] == served.digest and entry["sizeBytes"] == len(served.data)
        assert entry["path"] == final_path(models_root) and entry["format"] == "gguf" and entry["lastUsedAt"] is None
        assert [r["status"] for r in served.server.requests] == [200]

    def test_the_models_root_is_created_when_missing(self, make_request, models_root, io):
        assert not os.path.exists(models_root)
        materialize(make_request(), MACHINE, io=io)
        assert stat.S_IMODE(os.stat(models_root).st_mode) & 0o027 == 0

    def test_mode_is_applied(self, make_request, models_root, io):
        materialize(make_request(mode="0600"), MACHINE, io=io)
        assert stat.S_IMODE(os.stat(final_path(models_root)).st_mode) == 0o600


class TestResume:
    def test_a_later_run_resumes_a_dropped_download_with_a_range_request(self, served, make_request, models_root, io):
        served.server.drop_after = 100000
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(), MACHINE, io=io)
        assert "closed after 100000 of %d bytes" % len(served.data) in str(failure.value)
        assert "next run resumes" in str(failure.value)
        assert not os.path.exists(final_path(models_root))
        partial = Paths(make_request()).partial
        assert os.path.getsize(partial) == 100000
        assert residency.load_manifest(models_root)["models"] == []

        result = materialize(make_request(), MACHINE, io=io)
        assert result["outcome"] == "resumed"
        assert result["resumed_from"] == 100000
        assert result["received_bytes"] == len(served.data) - 100000
        assert served.server.requests[-1]["range"] == "bytes=100000-"
        assert served.server.requests[-1]["status"] == 206
        assert read(final_path(models_root)) == served.data
        assert not os.path.exists(partial)
        assert valid_receipt(result["model_receipt"])["outcome"] == "resumed"

    def test_a_retry_within_the_run_resumes(self, served, make_request, models_root, io):
        served.server.drop_after = 4096
        result = materialize(make_request(retries=2, retry_delay=0.5), MACHINE, io=io)
        assert result["outcome"] == "resumed" and result["attempts"] == 2
        assert io.slept == [0.5]
        assert [r["range"] for r in served.server.requests] == [None, "bytes=4096-"]
        assert read(final_path(models_root)) == served.data

    def test_a_server_that_ignores_range_is_downloaded_again_from_the_start(self, served, make_request, models_root, io):
        served.server.drop_after = 50000
        with pytest.raises(MaterializeError):
            materialize(make_request(), MACHINE, io=io)
        served.server.ignore_range = True
        result = materialize(make_request(), MACHINE, io=io)
        assert result["outcome"] == "downloaded"
        assert result["received_bytes"] == len(served.data)
        assert any("ignored the range request" in note for note in result["notes"])
        assert served.server.requests[-1]["range"] == "bytes=50000-" and served.server.requests[-1]["status"] == 200
        assert read(final_path(models_root)) == served.data
        assert result["verified"] is True

    def test_416_on_a_complete_partial_finishes_without_downloading(self, served, make_request, models_root, io):
        request = make_request()
        paths = Paths(request)
        os.makedirs(paths.partial_dir)
        shutil.copyfile(served.path, paths.partial)
        result = materialize(request, MACHINE, io=io)
        assert result["outcome"] == "resumed" and result["received_bytes"] == 0
        assert served.server.requests[-1]["status"] == 416
        assert read(final_path(models_root)) == served.data

    def test_416_on_a_partial_longer_than_the_file_starts_over(self, served, make_request, models_root, io):
        request = make_request()
        paths = Paths(request)
        os.makedirs(paths.partial_dir)
        with open(paths.partial, "wb") as handle:
            handle.write(served.data + b"junk")
        result = materialize(request, MACHINE, io=io)
        assert [r["status"] for r in served.server.requests] == [416, 200]
        assert result["outcome"] == "downloaded"
        assert any("416" in note for note in result["notes"])
        assert read(final_path(models_root)) == served.data

    def test_retries_give_up_on_a_failing_server_and_say_so(self, served, make_request, models_root, io):
        served.server.fail_status = 503
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(retries=2, retry_delay=1), MACHINE, io=io)
        assert "503" in str(failure.value) and "gave up after 3 attempt(s)" in str(failure.value)
        assert len(served.server.requests) == 3 and io.slept == [1, 1]
        assert not os.path.exists(final_path(models_root))

    def test_a_missing_file_is_not_retried(self, served, make_request, io):
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(url=served.server.url("absent.gguf"), name=MODEL_NAME, retries=3), MACHINE, io=io)
        assert "404" in str(failure.value)
        assert len(served.server.requests) == 1


class TestDigestMismatch:
    def test_a_corrupt_download_is_quarantined_and_nothing_reaches_the_final_path(self, served, make_request, models_root, io):
        served.server.corrupt = True
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(), MACHINE, io=io)
        message = str(failure.value)
        assert "digest mismatch" in message and served.digest in message and "nothing was written" in message
        assert not os.path.exists(final_path(models_root))
        receipt = valid_receipt(failure.value.result["model_receipt"])
        assert receipt["outcome"] == "quarantined" and receipt["verified"] is False
        assert receipt["observedDigest"] != served.digest
        quarantined = failure.value.result["quarantined_path"]
        assert receipt["path"] == quarantined
        assert os.path.dirname(quarantined) == os.path.join(models_root, ".quarantine")
        assert read(quarantined)[1:] == served.data[1:]
        assert os.listdir(os.path.join(models_root, ".partial")) == []
        assert residency.load_manifest(models_root)["models"] == []

    def test_the_next_run_after_a_mismatch_downloads_afresh(self, served, make_request, models_root, io):
        served.server.corrupt = True
        with pytest.raises(MaterializeError):
            materialize(make_request(), MACHINE, io=io)
        served.server.corrupt = False
        result = materialize(make_request(), MACHINE, io=io)
        assert result["outcome"] == "downloaded" and result["verified"] is True
        assert served.server.requests[-1]["range"] is None

    def test_a_size_that_disagrees_with_the_server_fails_before_the_body_is_read(self, served, make_request, models_root, io):
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(size_bytes=len(served.data) + 1), MACHINE, io=io)
        assert str(failure.value).startswith("size_bytes: ")
        assert not os.path.exists(final_path(models_root))
        assert not os.path.exists(Paths(make_request()).partial)


class FakeStatvfs:
    def __init__(self, free_bytes):
        self.f_frsize = 4096
        self.f_bavail = free_bytes // 4096
        self.calls = []

    def __call__(self, path):
        self.calls.append(path)
        return self


class TestFreeSpace:
    def test_too_little_space_fails_before_downloading(self, served, make_request, models_root):
        statvfs = FakeStatvfs(len(served.data) // 2)
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(), MACHINE, io=CountingIO(statvfs=statvfs))
        message = str(failure.value)
        assert "not enough free space" in message and "%d bytes needed" % len(served.data) in message
        assert statvfs.calls
        assert not os.path.exists(final_path(models_root))
        assert not os.path.exists(Paths(make_request()).partial)

    def test_a_resume_needs_space_for_the_rest_only(self, served, make_request, models_root):
        served.server.drop_after = 300000
        with pytest.raises(MaterializeError):
            materialize(make_request(), MACHINE, io=CountingIO())
        rest = len(served.data) - 300000
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(), MACHINE, io=CountingIO(statvfs=FakeStatvfs(rest - 8192)))
        assert "%d bytes needed" % rest in str(failure.value)
        assert os.path.getsize(Paths(make_request()).partial) == 300000, "the partial download is kept"
        result = materialize(make_request(), MACHINE, io=CountingIO(statvfs=FakeStatvfs(rest + 4096)))
        assert result["outcome"] == "resumed" and result["resumed_from"] == 300000

    def test_a_copy_checks_space_too(self, served, models_root, make_request):
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(url=None, path=served.path), MACHINE, io=CountingIO(statvfs=FakeStatvfs(1024)))
        assert "not enough free space" in str(failure.value)
        assert not os.path.exists(final_path(models_root))


class TestIdempotence:
    def test_a_second_run_changes_nothing_and_hashes_nothing(self, served, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        before = tree_state(models_root)
        requests_before = len(served.server.requests)
        io = CountingIO()
        result = materialize(make_request(), MACHINE, io=io)
        assert result["changed"] is False and result["outcome"] == "already-present"
        assert result["hashed"] is False and io.hashed == []
        assert len(served.server.requests) == requests_before
        assert tree_state(models_root) == before
        receipt = valid_receipt(result["model_receipt"])
        assert receipt["verified"] is True and receipt["observedDigest"] == served.digest

    def test_verify_true_hashes_again_and_still_changes_nothing(self, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        io = CountingIO()
        result = materialize(make_request(verify=True), MACHINE, io=io)
        assert io.hashed == [final_path(models_root)]
        assert result["changed"] is False and result["hashed"] is True and result["verified"] is True

    def test_bytes_rewritten_behind_an_unchanged_size_and_mtime_are_caught_and_replaced(self, served, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        path = final_path(models_root)
        before = os.stat(path)
        with open(path, "r+b") as handle:
            handle.write(b"\x00")
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        io = CountingIO()
        result = materialize(make_request(), MACHINE, io=io)
        assert io.hashed == [path]
        assert result["changed"] is True and result["outcome"] == "downloaded"
        assert read(path) == served.data
        kept = [name for name in os.listdir(os.path.join(models_root, ".quarantine")) if name.endswith(".replaced")]
        assert len(kept) == 1 and read(os.path.join(models_root, ".quarantine", kept[0]))[0:1] == b"\x00"

    def test_a_present_file_without_a_record_is_hashed_once_then_trusted(self, served, make_request, models_root):
        os.makedirs(models_root)
        shutil.copyfile(served.path, final_path(models_root))
        os.chmod(final_path(models_root), 0o644)
        first = CountingIO()
        result = materialize(make_request(), MACHINE, io=first)
        assert result["outcome"] == "already-present" and len(first.hashed) == 1
        assert result["changed"] is True, "the residency manifest gained the entry"
        assert served.server.requests == []
        second = CountingIO()
        assert materialize(make_request(), MACHINE, io=second)["changed"] is False
        assert second.hashed == []

    def test_a_wrong_mode_is_fixed_without_rehashing_later(self, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        os.chmod(final_path(models_root), 0o600)
        assert materialize(make_request(), MACHINE, io=CountingIO())["changed"] is True
        assert stat.S_IMODE(os.stat(final_path(models_root)).st_mode) == 0o644
        io = CountingIO()
        assert materialize(make_request(), MACHINE, io=io)["changed"] is False
        assert io.hashed == []

    def test_mark_used_records_the_time_without_a_change(self, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        io = CountingIO(now=lambda: "2030-01-02T03:04:05Z")
        result = materialize(make_request(mark_used=True), MACHINE, io=io)
        assert result["changed"] is False
        assert manifest_on_disk(models_root)["models"][0]["lastUsedAt"] == "2030-01-02T03:04:05Z"
        assert valid_receipt(result["model_receipt"])["lastUsedAt"] == "2030-01-02T03:04:05Z"
        again = materialize(make_request(), MACHINE, io=CountingIO())
        assert again["residency"]["models"][0]["lastUsedAt"] == "2030-01-02T03:04:05Z"

    def test_a_new_digest_for_the_same_name_replaces_the_file(self, served, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        sha256_hex = write_tiny_gguf(os.path.join(served.folder, "next.gguf"), seed=1)
        result = materialize(make_request(url=served.server.url("next.gguf"), name=MODEL_NAME,
                                          digest="sha256:" + sha256_hex, size_bytes=None), MACHINE, io=CountingIO())
        assert result["outcome"] == "downloaded" and result["digest"] == "sha256:" + sha256_hex
        (entry,) = manifest_on_disk(models_root)["models"]
        assert entry["digest"] == "sha256:" + sha256_hex
        assert any(name.endswith(".replaced") for name in os.listdir(os.path.join(models_root, ".quarantine")))


class TestResidency:
    def test_two_models_share_the_manifest_sorted_by_path(self, served, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        result = materialize(make_request(url=None, path=served.path, ref="test://copy/a-copy.gguf"), MACHINE, io=CountingIO())
        paths = [entry["path"] for entry in result["residency"]["models"]]
        assert paths == sorted([final_path(models_root), os.path.join(models_root, "a-copy.gguf")])

    def test_an_entry_whose_file_is_gone_is_dropped(self, served, make_request, models_root):
        materialize(make_request(url=None, path=served.path, ref="test://copy/a-copy.gguf"), MACHINE, io=CountingIO())
        os.unlink(os.path.join(models_root, "a-copy.gguf"))
        result = materialize(make_request(), MACHINE, io=CountingIO())
        assert [entry["ref"] for entry in result["residency"]["models"]] == [REF]
        assert any("is gone" in note for note in result["notes"])

    def test_another_ref_at_the_same_name_is_refused(self, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(ref="test://other/tiny.gguf"), MACHINE, io=CountingIO())
        assert str(failure.value).startswith("name: ") and REF in str(failure.value)

    def test_an_unreadable_manifest_fails_closed(self, make_request, models_root):
        os.makedirs(models_root)
        with open(os.path.join(models_root, residency.MANIFEST_NAME), "w", encoding="utf-8") as handle:
            handle.write("{not json")
        with pytest.raises(residency.ResidencyError) as failure:
            materialize(make_request(), MACHINE, io=CountingIO())
        assert "not valid JSON" in str(failure.value)
        assert not os.path.exists(final_path(models_root))

    def test_a_manifest_of_another_shape_fails_closed(self, make_request, models_root):
        os.makedirs(models_root)
        with open(os.path.join(models_root, residency.MANIFEST_NAME), "w", encoding="utf-8") as handle:
            json.dump({"specVersion": "0.1.0", "models": [{"ref": "x"}]}, handle)
        with pytest.raises(residency.ResidencyError) as failure:
            materialize(make_request(), MACHINE, io=CountingIO())
        assert "models[0] must have exactly the keys" in str(failure.value)

    def test_a_link_at_the_final_path_is_never_replaced(self, served, make_request, models_root):
        os.makedirs(models_root)
        os.symlink(served.path, final_path(models_root))
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(), MACHINE, io=CountingIO())
        assert "not a regular file" in str(failure.value)
        assert os.path.islink(final_path(models_root))


class TestPathSources:
    def test_a_node_path_is_copied_and_verified(self, served, make_request, models_root):
        result = materialize(make_request(url=None, path=served.path), MACHINE, io=CountingIO())
        assert result["outcome"] == "copied" and result["verified"] is True
        assert read(final_path(models_root)) == served.data and read(served.path) == served.data
        receipt = valid_receipt(result["model_receipt"])
        assert receipt["source"] == {"kind": "path", "scheme": None, "host": None}
        assert materialize(make_request(url=None, path=served.path), MACHINE, io=CountingIO())["changed"] is False

    def test_a_controller_staged_copy_is_recorded_as_from_the_controller(self, served, make_request):
        result = materialize(make_request(url=None, path=served.path, from_controller=True), MACHINE, io=CountingIO())
        assert valid_receipt(result["model_receipt"])["source"] == {"kind": "controller", "scheme": None, "host": None}

    def test_a_wrong_node_file_is_quarantined(self, served, make_request, models_root, tmp_path):
        wrong = tmp_path / "wrong.gguf"
        wrong.write_bytes(b"not the model")
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(url=None, path=str(wrong), size_bytes=None), MACHINE, io=CountingIO())
        assert "digest mismatch" in str(failure.value)
        assert not os.path.exists(final_path(models_root))
        assert wrong.read_bytes() == b"not the model"

    def test_a_missing_node_path_is_an_error_naming_path(self, make_request, tmp_path):
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(url=None, path=str(tmp_path / "absent.gguf"), name=MODEL_NAME), MACHINE, io=CountingIO())
        assert str(failure.value).startswith("path: ")

    def test_a_node_file_of_another_size_is_refused(self, served, make_request, models_root):
        with pytest.raises(MaterializeError) as failure:
            materialize(make_request(url=None, path=served.path, size_bytes=10), MACHINE, io=CountingIO())
        assert str(failure.value).startswith("size_bytes: ")
        assert not os.path.exists(final_path(models_root))


class TestUnverified:
    def test_allowed_unverified_is_recorded_as_not_verified(self, served, make_request, models_root):
        result = materialize(make_request(digest=None, allow_unverified=True), MACHINE, io=CountingIO())
        receipt = valid_receipt(result["model_receipt"])
        assert receipt["verified"] is False and receipt["digest"] == receipt["observedDigest"] == served.digest
        assert result["verified"] is False
        assert materialize(make_request(digest=None, allow_unverified=True), MACHINE, io=CountingIO())["changed"] is False

    def test_a_given_digest_is_still_checked(self, served, make_request, models_root):
        served.server.corrupt = True
        with pytest.raises(MaterializeError):
            materialize(make_request(allow_unverified=True), MACHINE, io=CountingIO())
        assert not os.path.exists(final_path(models_root))


class TestCheckMode:
    def test_a_fresh_artifact_is_planned_and_nothing_is_touched(self, served, make_request, models_root):
        result = materialize(make_request(), MACHINE, check_mode=True, io=CountingIO())
        assert result["changed"] is True and result["outcome"] == "planned"
        assert not os.path.exists(models_root)
        assert served.server.requests == []
        receipt = valid_receipt(result["model_receipt"])
        assert receipt["outcome"] == "planned" and receipt["verified"] is False and receipt["observedDigest"] is None
        assert any("would download" in note for note in result["notes"])

    def test_a_partial_download_is_planned_as_a_resume_and_kept_as_is(self, served, make_request, models_root):
        served.server.drop_after = 1000
        with pytest.raises(MaterializeError):
            materialize(make_request(), MACHINE, io=CountingIO())
        before = tree_state(models_root)
        result = materialize(make_request(), MACHINE, check_mode=True, io=CountingIO())
        assert any("from byte 1000" in note for note in result["notes"])
        assert tree_state(models_root) == before
        assert len(served.server.requests) == 1

    def test_a_present_artifact_is_reported_unchanged_without_writes(self, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        before = tree_state(models_root)
        result = materialize(make_request(verify=True), MACHINE, check_mode=True, io=CountingIO())
        assert result["changed"] is False and result["outcome"] == "already-present"
        assert tree_state(models_root) == before

    def test_a_file_to_replace_is_planned_without_writes(self, make_request, models_root):
        materialize(make_request(), MACHINE, io=CountingIO())
        with open(final_path(models_root), "r+b") as handle:
            handle.write(b"\x00")
        before = tree_state(models_root)
        result = materialize(make_request(), MACHINE, check_mode=True, io=CountingIO())
        assert result["outcome"] == "planned" and result["changed"] is True
        assert any("would replace" in note for note in result["notes"])
        assert tree_state(models_root) == before

    def test_a_controller_file_not_staged_yet_is_planned(self, make_request, models_root, tmp_path):
        result = materialize(make_request(url=None, path=str(tmp_path / "staged.gguf"), from_controller=True),
                             MACHINE, check_mode=True, io=CountingIO())
        assert result["outcome"] == "planned"
        assert not os.path.exists(models_root)
