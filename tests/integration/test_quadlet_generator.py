"""Rendered Quadlet units through the REAL generator (podman 5.4 Quadlet inside a node container).

Every provider x accelerator unit and every injection-corpus survivor is
written into one unit directory and converted with ``quadlet -dryrun``:
the conversion must succeed, the generated ``ExecStart=`` must carry the
hardening and the planted literal unchanged, and no injected key or
section may appear.
"""

import os
import re
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import render_container

from support import render_cases as cases

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(
    shutil.which("podman") is None, reason="podman is not installed: the Quadlet generator runs inside a podman node container")
GENERATORS = ("/usr/libexec/podman/quadlet", "/usr/lib/systemd/system-generators/podman-system-generator")
NODE_PODMAN = "5.4.2"
SURVIVORS = [(label, value) for label, value, verdict in cases.INJECTIONS if verdict == "keep"]
SERVICE_SECTIONS = {"Unit", "X-Container", "Service", "Install"}


def _shell(command):
    return subprocess.run(["bash", "-c", "source scripts/env.sh && " + command], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=False)


def _units():
    units = {}
    for provider, accelerator in cases.combinations():
        result = render_container(cases.pod_for(provider, accelerator), catalog.provider(provider),
                                  cases.machine_for(accelerator), NODE_PODMAN)
        units[(provider, accelerator)] = result
    for index, (label, value) in enumerate(SURVIVORS):
        result = render_container(cases.injected_pod(value, name="inject-%d" % index), catalog.provider("llama.cpp"),
                                  cases.ASAHI_MACHINE, NODE_PODMAN)
        units[("inject", label)] = result
    return units


@pytest.fixture(scope="module")
def generated():
    """Write every unit, run the generator once in a node container; {service name: text} plus rc and log."""
    image = _shell("scripts/node-image.sh")
    assert image.returncode == 0, image.stderr
    units = _units()
    unit_dir = tempfile.mkdtemp(prefix="quadlet-units-")
    for result in units.values():
        for unit in result["units"]:
            with open(os.path.join(unit_dir, unit["name"]), "w", encoding="utf-8") as handle:
                handle.write(unit["text"])
    started = _shell("podman run -d --rm --privileged --systemd=always -v %s:/units:z %s /sbin/init"
                     % (unit_dir, image.stdout.strip().splitlines()[-1]))
    assert started.returncode == 0, started.stderr
    container = started.stdout.strip().splitlines()[-1]
    try:
        found = _shell("podman exec %s sh -c 'for g in %s; do [ -x $g ] && echo $g && break; done'"
                       % (container, " ".join(GENERATORS)))
        generator = found.stdout.strip()
        assert generator, "no Quadlet generator in the node image"
        flag = "-dryrun" if generator.endswith("/quadlet") else "--dryrun"
        run = _shell("podman exec -e QUADLET_UNIT_DIRS=/units %s %s %s" % (container, generator, flag))
    finally:
        _shell("podman rm -f -t 0 %s" % container)
        shutil.rmtree(unit_dir, ignore_errors=True)
    services = {}
    for match in re.finditer(r"^---(\S+)---\n(.*?)(?=^---\S+---\n|\Z)", run.stdout, re.S | re.M):
        services[match.group(1)] = match.group(2)
    return {"rc": run.returncode, "log": run.stderr, "services": services, "units": units}


def _exec_start(service):
    lines = [line for line in service.splitlines() if line.startswith("ExecStart=")]
    assert len(lines) == 1, service
    return cases.exec_words(lines[0][len("ExecStart="):])


def _sections(service):
    return set(re.findall(r"^\[([^\]]+)\]$", service, re.M))


def test_generator_accepts_every_unit(generated):
    assert generated["rc"] == 0, generated["log"]
    expected = {result["name"].replace(".container", ".service") for result in generated["units"].values()}
    assert expected <= set(generated["services"]), generated["log"]


@pytest.mark.parametrize("provider,accelerator", cases.combinations())
def test_generated_service_is_hardened(generated, provider, accelerator):
    result = generated["units"][(provider, accelerator)]
    service = generated["services"][result["name"].replace(".container", ".service")]
    assert _sections(service) == SERVICE_SECTIONS
    assert not re.search(r"^ExecStartPre", service, re.M)
    words = _exec_start(service)
    line = " ".join(words)
    for expected in ("--read-only", "--security-opt=no-new-privileges", "--cap-drop all",
                     "--publish 127.0.0.1:18080:%d" % catalog.provider(provider)["defaultPort"], "--pids-limit 4096",
                     "--memory=12884901888", "--health-cmd"):
        assert expected in line, line
    assert "--privileged" not in words and "--cap-add" not in words
    assert "--network agent-" + result["name"][:-len(".container")] in line, line
    device = {"cuda": "nvidia.com/gpu=GPU-00000000-1111-2222-3333-444444444444", "rocm": "/dev/kfd",
              "vulkan": "/dev/dri/renderD128"}.get(accelerator)
    if device:
        assert "--device %s" % device in line
    else:
        assert "--device" not in words
    image = result["keys"][0][2] if result["keys"][0][1] == "Image" else None
    assert image is None or image in words


def test_cdi_all_gpus_passes_the_generator(generated):
    # The CDI name form is parsed without a spec on the node.
    assert "nvidia.com/gpu=" in " ".join(_exec_start(generated["services"]["llama-cpp-cuda.service"]))


@pytest.mark.parametrize("label,value", SURVIVORS, ids=[label for label, _value in SURVIVORS])
def test_injection_survivor_reaches_the_server_unchanged(generated, label, value):
    result = generated["units"][("inject", label)]
    service = generated["services"][result["name"].replace(".container", ".service")]
    assert _sections(service) == SERVICE_SECTIONS
    assert not re.search(r"^ExecStartPre", service, re.M)
    words = _exec_start(service)
    assert words[-2:] == ["--alias", value]
    assert "PLANTED=" + value in words
