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


SITE_INVENTORY = """
agent_machines:
  hosts:
    {node}:
  vars:
    ansible_connection: containers.podman.podman
    ansible_python_interpreter: /usr/bin/python3
    agent_machine_throwaway_signing_key: true
    agent_machine_storage:
      volumes:
        - {{volume_class: agent-cache-hot, size: 16M, mount_point: /var/lib/agent-machine/cache/hot, mode: "0700"}}
    agent_machine_pods: []
"""


def _shell(command):
    return subprocess.run(["bash", "-c", "source scripts/env.sh && " + command], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=False)


def test_site_runs_by_fqcn_from_the_installed_tarball(tmp_path):
    """The whole site.yml, by FQCN, from a clean install of the tarball, against a real node container."""
    dist, installed, artifacts = tmp_path / "dist", tmp_path / "installed", tmp_path / "artifacts"
    subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(dist), REPO_ROOT],
                   check=True, capture_output=True, text=True)
    subprocess.run(["ansible-galaxy", "collection", "install", "--offline", "--force", "-p", str(installed),
                    glob.glob(str(dist / "sourceos-agent_machine-*.tar.gz"))[0]], check=True, capture_output=True, text=True)
    image = _shell("scripts/node-image.sh")
    assert image.returncode == 0, image.stderr
    node = "am-tarball-" + os.urandom(4).hex()
    started = _shell("podman run -d --rm --privileged --systemd=always --name %s %s /sbin/init"
                     % (node, image.stdout.strip().splitlines()[-1]))
    assert started.returncode == 0, started.stderr
    try:
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(SITE_INVENTORY.format(node=node), encoding="utf-8")
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed), AGENT_MACHINE_ARTIFACTS_DIR=str(artifacts),
                   ANSIBLE_CONFIG=os.path.join(REPO_ROOT, "ansible.cfg"))
        run = subprocess.run(["ansible-playbook", "-i", str(inventory), "sourceos.agent_machine.site",
                              "-e", "agent_machine_run_id=tarball"], cwd=str(tmp_path), env=env,
                             capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "failed=0" in run.stdout
    finally:
        _shell("podman rm -f -t 0 %s" % node)
    run_dir = artifacts / "tarball"
    assert (run_dir / node / "agent-machine").is_dir()
    assert glob.glob(str(run_dir / node / "storage-receipt" / "*.json"))
    assert (run_dir / "manifest.dsse.json").is_file()
    assert (run_dir / "report" / "report.html").is_file()
