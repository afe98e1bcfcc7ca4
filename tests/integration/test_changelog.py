"""The changelog is generated from the fragments, and a bad fragment is refused."""

import glob
import os
import subprocess

import yaml

from ansible_run import REPO_ROOT


def _run(command):
    return subprocess.run(["bash", "-c", "source scripts/env.sh >/dev/null && " + command],
                          cwd=REPO_ROOT, capture_output=True, text=True, check=False)


def test_changelog_is_rendered_from_every_fragment():
    run = _run("CHANGELOG_DATE=2026-11-22 scripts/changelog.sh")
    assert run.returncode == 0, run.stdout + run.stderr
    with open(os.path.join(REPO_ROOT, ".build", "changelog", "CHANGELOG.rst"), encoding="utf-8") as handle:
        text = " ".join(handle.read().split())
    with open(os.path.join(REPO_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        version = yaml.safe_load(handle)["version"]
    assert "v%s ===" % version in text
    fragments = sorted(glob.glob(os.path.join(REPO_ROOT, "changelogs", "fragments", "*.yml")))
    assert fragments
    for path in fragments:
        with open(path, encoding="utf-8") as handle:
            for section, entries in yaml.safe_load(handle).items():
                for entry in entries if isinstance(entries, list) else [entries]:
                    assert " ".join(entry.split())[:60] in text, (os.path.basename(path), section)
    assert "New Modules" in text and "machine_facts" in text


def test_a_fragment_with_an_unknown_section_is_refused(tmp_path):
    fragment = tmp_path / "bad.yml"
    fragment.write_text("improvements:\n  - a section the changelog does not have\n", encoding="utf-8")
    run = _run("antsibull-changelog lint %s" % fragment)
    assert run.returncode != 0
    assert "improvements" in run.stdout + run.stderr
