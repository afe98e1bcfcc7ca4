# -*- coding: utf-8 -*-
# Copyright: (c) 2026, sourceos.agent_machine contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cache inventory on real directories: prefix slot files, the residency manifest, and what is ignored or refused."""

import hashlib
import json
import os

import pytest

from ansible_collections.sourceos.agent_machine.plugins.module_utils.cache.inventory import cache_inventory
from ansible_collections.sourceos.agent_machine.plugins.module_utils.cache.prefixes import CacheInventoryError, scan_prefixes
from ansible_collections.sourceos.agent_machine.plugins.module_utils.cache.residency import read_manifest, resident_models

HEX_A = hashlib.sha256(b"pack a").hexdigest()
HEX_B = hashlib.sha256(b"pack b").hexdigest()


def write(path, data=b"x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def manifest(models_root, models, spec_version="0.1.0"):
    os.makedirs(models_root, exist_ok=True)
    with open(os.path.join(models_root, ".residency.json"), "w", encoding="utf-8") as handle:
        json.dump({"specVersion": spec_version, "models": models}, handle)


def model_entry(name, size, path=None, **extra):
    entry = {"ref": "hf://test/%s" % name, "digest": "sha256:" + hashlib.sha256(name.encode()).hexdigest(),
             "sizeBytes": size, "path": path or name + ".gguf", "format": "gguf",
             "materializedAt": "2026-03-01T10:00:00Z", "lastUsedAt": None}
    entry.update(extra)
    return entry


def test_prefix_files_are_listed_by_digest_with_size_and_time(tmp_path):
    warm = str(tmp_path / "warm")
    write(os.path.join(warm, "prefix", HEX_B + ".bin"), b"b" * 10)
    write(os.path.join(warm, "prefix", HEX_A + ".bin"), b"a" * 3)
    os.utime(os.path.join(warm, "prefix", HEX_A + ".bin"), (1767225600, 1767225600))
    prefixes, ignored, found = scan_prefixes(warm)
    assert found and ignored == []
    assert [entry["digest"] for entry in prefixes] == sorted(["sha256:" + HEX_A, "sha256:" + HEX_B])
    by_digest = {entry["digest"]: entry for entry in prefixes}
    assert by_digest["sha256:" + HEX_A]["sizeBytes"] == 3
    assert by_digest["sha256:" + HEX_A]["modifiedAt"] == "2026-01-01T00:00:00Z"
    assert by_digest["sha256:" + HEX_B]["path"] == os.path.join(warm, "prefix", HEX_B + ".bin")


def test_files_outside_the_layout_are_ignored_with_the_reason(tmp_path):
    prefix_dir = tmp_path / "warm" / "prefix"
    write(str(prefix_dir / (HEX_A + ".bin")))
    write(str(prefix_dir / (HEX_B + ".bin.tmp")))
    write(str(prefix_dir / (HEX_A.upper() + ".bin")))
    write(str(prefix_dir / ("ab" + ".bin")))
    write(str(prefix_dir / (HEX_B + ".bin")), b"")
    os.makedirs(str(prefix_dir / ("c" * 64 + ".bin")))
    outside = write(str(tmp_path / "elsewhere.bin"))
    os.symlink(outside, str(prefix_dir / ("d" * 64 + ".bin")))
    prefixes, ignored, _found = scan_prefixes(str(tmp_path / "warm"))
    assert [entry["digest"] for entry in prefixes] == ["sha256:" + HEX_A]
    reasons = {os.path.basename(entry["path"]): entry["reason"] for entry in ignored}
    assert reasons == {
        HEX_B + ".bin.tmp": "not named <sha256 hex>.bin",
        HEX_A.upper() + ".bin": "not named <sha256 hex>.bin",
        "ab.bin": "not named <sha256 hex>.bin",
        HEX_B + ".bin": "empty file",
        "c" * 64 + ".bin": "not a regular file",
        "d" * 64 + ".bin": "symbolic link (not followed)",
    }


def test_missing_warm_cache_is_empty(tmp_path):
    assert scan_prefixes(str(tmp_path / "nothing")) == ([], [], False)
    os.makedirs(str(tmp_path / "warm"))
    assert scan_prefixes(str(tmp_path / "warm")) == ([], [], False)


def test_a_linked_prefix_directory_or_a_file_as_root_is_refused(tmp_path):
    os.makedirs(str(tmp_path / "real"))
    os.makedirs(str(tmp_path / "warm"))
    os.symlink(str(tmp_path / "real"), str(tmp_path / "warm" / "prefix"))
    with pytest.raises(CacheInventoryError, match="not a link or a file"):
        scan_prefixes(str(tmp_path / "warm"))
    with pytest.raises(CacheInventoryError, match="not a directory"):
        scan_prefixes(write(str(tmp_path / "file")))


def test_manifest_models_are_checked_on_disk(tmp_path):
    root = str(tmp_path / "models")
    write(os.path.join(root, "present.gguf"), b"p" * 5)
    write(os.path.join(root, "short.gguf"), b"s" * 2)
    absolute = write(str(tmp_path / "other" / "abs.gguf"), b"a" * 4)
    manifest(root, [model_entry("present", 5), model_entry("short", 3), model_entry("absent", 1),
                    model_entry("abs", 4, path=absolute)])
    path, found, models = resident_models(root)
    assert found and path == os.path.join(root, ".residency.json")
    state = {model["ref"].rsplit("/", 1)[1]: (model["onDisk"], model["problem"]) for model in models}
    assert state["present"] == (True, None)
    assert state["abs"] == (True, None)
    assert state["short"] == (False, "size differs: 2 bytes on disk, 3 in the manifest")
    assert state["absent"][0] is False and state["absent"][1].startswith("missing")
    assert [model["digest"] for model in models] == sorted(model["digest"] for model in models)
    present = [model for model in models if model["ref"].endswith("present")][0]
    assert present["path"] == os.path.join(root, "present.gguf")
    assert present["materializedAt"] == "2026-03-01T10:00:00Z" and present["lastUsedAt"] is None


def test_missing_manifest_is_no_model(tmp_path):
    assert resident_models(str(tmp_path / "models")) == (str(tmp_path / "models" / ".residency.json"), False, [])


@pytest.mark.parametrize("content, problem", [
    ("{not json", "cannot be read as JSON"),
    ("[]", "must be a JSON object"),
    ('{"specVersion": "9.9", "models": []}', "specVersion must be 0.1.0"),
    ('{"specVersion": "0.1.0"}', "models must be a list"),
    ('{"specVersion": "0.1.0", "models": [1]}', "models[0]: must be an object"),
    ('{"specVersion": "0.1.0", "models": [{"ref": "r", "digest": "sha256:00", "sizeBytes": 1, "path": "p"}]}',
     "models[0].digest: must be a sha256 digest"),
    ('{"specVersion": "0.1.0", "models": [{"ref": "r", "digest": "sha256:%s", "sizeBytes": true, "path": "p"}]}' % HEX_A,
     "models[0].sizeBytes: must be a whole number"),
    ('{"specVersion": "0.1.0", "models": [{"ref": "r", "digest": "sha256:%s", "sizeBytes": 1}]}' % HEX_A,
     "models[0].path: field required"),
    ('{"specVersion": "0.1.0", "models": [{"ref": "r", "digest": "sha256:%s", "sizeBytes": 1, "path": "p", "format": 3}]}' % HEX_A,
     "models[0].format: must be a non-empty string or null"),
])
def test_an_unusable_manifest_fails_naming_file_and_entry(tmp_path, content, problem):
    root = tmp_path / "models"
    os.makedirs(str(root))
    (root / ".residency.json").write_text(content, encoding="utf-8")
    with pytest.raises(CacheInventoryError) as caught:
        read_manifest(str(root))
    assert str(root / ".residency.json") in str(caught.value)
    assert problem in str(caught.value)


def test_the_inventory_document(tmp_path):
    warm, models = str(tmp_path / "warm"), str(tmp_path / "models")
    write(os.path.join(warm, "prefix", HEX_A + ".bin"), b"a" * 7)
    write(os.path.join(models, "m.gguf"), b"m" * 9)
    manifest(models, [model_entry("m", 9), model_entry("gone", 4)])
    inventory = cache_inventory(warm, models, "urn:srcos:agent-machine:machine:node-1")
    assert inventory["agentMachineId"] == "urn:srcos:agent-machine:machine:node-1"
    assert inventory["prefixDirFound"] and inventory["manifestFound"]
    assert inventory["totals"] == {"prefixes": 1, "prefixBytes": 7, "models": 2, "modelsOnDisk": 1, "modelBytesOnDisk": 9}
    json.dumps(inventory)
