"""Test doubles of the provider lifecycle: a fake systemd, a real loopback health server it drives, a harness.

The fake systemd (a CommandRunner answering systemctl) reads the unit
directory on ``daemon-reload`` like Quadlet does (``NAME.container`` ->
``NAME.service``); on ``start``/``restart`` it looks for a marker in the
loaded ``.container`` text and sets what the health server answers from
then on, so what the gate sees depends on which unit bytes are really
installed.
"""

import http.server
import os
import socketserver
import threading

from ansible_collections.sourceos.agent_machine.plugins.module_utils.command_runner import CommandResult
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.lifecycle import Node, run_lifecycle
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.request import parse_request
from ansible_collections.sourceos.agent_machine.plugins.module_utils.providers.systemd import Systemctl


class HealthServer:
    """``GET /health`` answers the next status of a script, then a steady status."""

    def __init__(self):
        self.lock = threading.Lock()
        self.script = []
        self.steady = 503
        self.requests = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server naming)
                with owner.lock:
                    owner.requests += 1
                    status = owner.script.pop(0) if owner.script else owner.steady
                body = b'{"status":"ok"}' if status == 200 else b'{"error":"loading"}'
                if status in (301, 302):
                    self.send_response(status)
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/health" % self.httpd.server_address[1]

    def behave(self, script=(), steady=200):
        with self.lock:
            self.script = list(script)
            self.steady = steady

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeSystemd:
    """Answers ``systemctl`` argv like a CommandRunner; records every call.

    ``behaviours`` maps a marker found in a loaded ``.container`` text to
    ``{"script": [...], "steady": status, "crash": bool}``; unmarked units
    answer 200.
    """

    def __init__(self, unit_dir, server, behaviours=None):
        self.unit_dir = unit_dir
        self.server = server
        self.behaviours = dict(behaviours or {})
        self.calls = []
        self.loaded = {}
        self.state = {}
        self.fail = {}

    def which(self, name):
        return "/usr/bin/" + name

    def verbs(self, verb):
        return [argv for argv in self.calls if argv[1] == verb]

    def changing_calls(self):
        return [argv for argv in self.calls if argv[1] != "show"]

    def run(self, argv, timeout=None):
        self.calls.append(list(argv))
        verb = argv[1]
        if verb in self.fail:
            return CommandResult(argv, 1, "", self.fail[verb])
        if verb == "daemon-reload":
            self._reload()
        elif verb in ("start", "restart"):
            return self._start(argv, argv[2])
        elif verb == "stop":
            service = argv[2]
            if service not in self.loaded and service not in self.state:
                return CommandResult(argv, 5, "", "Unit %s not loaded." % service)
            self.state[service] = {"ActiveState": "inactive", "SubState": "dead", "NRestarts": 0, "crash": False}
        elif verb == "show":
            return CommandResult(argv, 0, self._show(argv[2]), "")
        return CommandResult(argv, 0, "", "")

    def _reload(self):
        self.loaded = {}
        for name in sorted(os.listdir(self.unit_dir)) if os.path.isdir(self.unit_dir) else []:
            base, suffix = os.path.splitext(name)
            if suffix == ".container":
                with open(os.path.join(self.unit_dir, name), "rb") as handle:
                    self.loaded[base + ".service"] = handle.read().decode("utf-8", "replace")
            elif suffix in (".network", ".volume"):
                self.loaded["%s-%s.service" % (base, suffix[1:])] = ""

    def _start(self, argv, service):
        if service not in self.loaded:
            return CommandResult(argv, 5, "", "Failed to start %s: Unit %s not found." % (service, service))
        text = self.loaded[service]
        behaviour = {"script": [], "steady": 200, "crash": False}
        for marker, value in self.behaviours.items():
            if marker in text:
                behaviour.update(value)
        self.server.behave(behaviour["script"], behaviour["steady"])
        self.state[service] = {"ActiveState": "active", "SubState": "running", "NRestarts": 0,
                               "crash": behaviour["crash"]}
        return CommandResult(argv, 0, "", "")

    def _show(self, service):
        state = self.state.get(service, {"ActiveState": "inactive", "SubState": "dead", "NRestarts": 0, "crash": False})
        if state["crash"] and state["ActiveState"] == "active":
            state["NRestarts"] += 1
            state["SubState"] = "auto-restart" if state["NRestarts"] % 2 else "start"
            state["ActiveState"] = "activating"
        elif state["crash"]:
            state["NRestarts"] += 1
        load = "loaded" if service in self.loaded else "not-found"
        return "LoadState=%s\nActiveState=%s\nSubState=%s\nNRestarts=%d\nResult=success\n" % (
            load, state["ActiveState"], state["SubState"], state["NRestarts"])


POD = "urn:srcos:agent-machine:pod:coder"
MACHINE = "urn:srcos:agent-machine:machine:node-1"
DECISION = {"id": "urn:srcos:agent-machine:activation-decision:coder-node-1", "digest": "sha256:" + "ab" * 32}
FAST_HEALTH = {"passes": 3, "interval": 0.02, "window": 1.5, "timeout": 0.5}


def container_text(marker="good", extra=""):
    return ("# Rendered by sourceos.agent_machine; local edits are overwritten.\n[Unit]\nDescription=%s\n\n"
            "[Container]\nImage=localhost/agent-machine-llama:sid\nExec=-m /models/%s.gguf\n%s" % (marker, marker, extra))


class LifecycleHarness:
    """Runs the lifecycle like the module does, against tmp_path."""

    def __init__(self, root, server, behaviours):
        self.unit_dir = os.path.join(root, "etc", "containers", "systemd")
        self.revisions_dir = os.path.join(root, "var", "lib", "agent-machine", "providers")
        self.server = server
        self.systemd = FakeSystemd(self.unit_dir, server, behaviours)
        self.root = root

    def provider(self, name="coder", marker="good", units=None, health=None, pod=POD):
        health_options = dict(FAST_HEALTH, url=self.server.url)
        health_options.update(health or {})
        return {"name": name, "agent_pod_id": pod, "agent_machine_id": MACHINE, "activation_decision": DECISION,
                "units": units if units is not None else [{"name": name + ".container", "text": container_text(marker)}],
                "health": health_options}

    def run(self, providers, state="started", check_mode=False, diff=False, keep_revisions=10):
        request = parse_request({"providers": providers, "state": state, "unit_dir": self.unit_dir,
                                 "revisions_dir": self.revisions_dir, "keep_revisions": keep_revisions})
        self.systemd.calls = []
        node = Node(self.unit_dir, self.revisions_dir, Systemctl(self.systemd))
        return run_lifecycle(request, node, check_mode=check_mode, want_diff=diff)

    def unit_path(self, name):
        return os.path.join(self.unit_dir, name)

    def read(self, name):
        with open(self.unit_path(name), "rb") as handle:
            return handle.read()

    def install(self, name, data):
        os.makedirs(self.unit_dir, exist_ok=True)
        with open(self.unit_path(name), "wb") as handle:
            handle.write(data)

    def snapshot(self):
        """Every file under the node root with its bytes (what check mode must not change)."""
        found = {}
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                path = os.path.join(folder, name)
                with open(path, "rb") as handle:
                    found[os.path.relpath(path, self.root)] = handle.read()
        return found
