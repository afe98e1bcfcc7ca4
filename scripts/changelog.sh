#!/usr/bin/env bash
# Lint the changelog fragments, then render the release's CHANGELOG.rst from them in a scratch copy of
# the collection (the fragments stay in place until the release commit): .build/changelog/CHANGELOG.rst.
# CHANGELOG_DATE sets the release date (default: today, UTC).
set -euo pipefail
cd "$(dirname "$0")/.."
antsibull-changelog lint
out=.build/changelog
scratch=$out/ansible_collections/sourceos/agent_machine
rm -rf "$out" && mkdir -p "$scratch"
# The plugins and roles let the release list the modules, plugins and roles it adds.
cp -r galaxy.yml changelogs meta plugins roles playbooks "$scratch"/
version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
(cd "$scratch" && antsibull-changelog release --version "$version" --date "${CHANGELOG_DATE:-$(date -u +%F)}")
cp "$scratch/CHANGELOG.rst" "$out/CHANGELOG.rst"
echo "$out/CHANGELOG.rst"
