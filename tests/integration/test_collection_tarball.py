"""The built tarball installs, and its module runs by FQCN from the installed copy."""

import glob
import os
import subprocess

from ansible_run import REPO_ROOT, adhoc


def test_build_install_and_run_from_tarball(tmp_path):
    dist = tmp_path / "dist"
    installed = tmp_path / "installed"
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(dist), REPO_ROOT],
                   check=True, capture_output=True, text=True)
    tarballs = glob.glob(str(dist / "sourceos-agent_machine-*.tar.gz"))
    assert len(tarballs) == 1
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--force", "-p", str(installed), tarballs[0]],
                   check=True, capture_output=True, text=True)
    module_file = installed / "ansible_collections" / "sourceos" / "agent_machine" / "plugins" / "modules" / "machine_facts.py"
    assert module_file.is_file()
    for unwanted in (".venv", ".build", "tests/output", "scripts"):
        assert not os.path.exists(installed / "ansible_collections" / "sourceos" / "agent_machine" / unwanted), unwanted

    rc, result = adhoc("sourceos.agent_machine.machine_facts", collections_path=str(installed))
    assert rc == 0, result
    assert result["ansible_facts"]["agent_machine"]["kind"] == "AgentMachine"

    # It ran from the installed copy: without that copy the FQCN does not resolve.
    module_file.unlink()
    rc, result = adhoc("sourceos.agent_machine.machine_facts", collections_path=str(installed))
    assert rc != 0
    assert "machine_facts" in result["msg"]
