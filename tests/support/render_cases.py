"""AgentPods, machines and the injection corpus shared by the render tests (unit and generator)."""

import copy
import json
import os

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(REPO_ROOT, "contracts", "examples")
DIGEST = "sha256:" + "ab" * 32


def example(name):
    with open(os.path.join(EXAMPLES, name), encoding="utf-8") as handle:
        return json.load(handle)


ASAHI_MACHINE = example("agent-machine.json")


def cuda_machine(gpus=2):
    machine = copy.deepcopy(ASAHI_MACHINE)
    machine["id"] = "urn:srcos:agent-machine:machine:gpu-1"
    machine["runtime"]["selinux"]["mode"] = "disabled"
    machine["accelerators"]["devices"] = [
        {"index": index, "type": "cuda", "vendor": "nvidia", "uuid": "GPU-0000000%d-1111-2222-3333-444444444444" % index,
         "name": "NVIDIA L4"} for index in range(gpus)]
    machine["accelerators"]["vulkan"]["renderNodes"] = []
    return machine


def pod_for(provider_name, accelerator="cpu", **changes):
    """A valid AgentPod for a provider and accelerator (digest-pinned, loopback, hardened defaults)."""
    pod = example("agent-pod.json")
    document = catalog.provider(provider_name)
    image, _digest = catalog.accelerator_image(document, accelerator)
    pod["providerId"] = document["id"]
    pod["workload"]["name"] = "%s-%s" % (document["id"].rsplit(":", 1)[1], accelerator)
    pod["runtime"]["image"] = image
    pod["runtime"]["imageDigest"] = DIGEST
    pod["runtime"]["args"] = []
    pod["runtime"]["env"] = {}
    pod["runtime"]["secretEnv"] = []
    pod["ports"] = [{"name": "http", "containerPort": document["defaultPort"], "hostPort": 18080, "exposure": "loopback"}]
    if accelerator == "cpu":
        pod["resources"]["accelerators"] = []
    else:
        pod["resources"]["accelerators"] = [{"type": accelerator, "required": True, "count": 1, "memoryBytes": 8 * 1024 ** 3}]
    if document["name"] in ("vllm", "sglang"):
        pod["model"]["format"] = "safetensors"
        pod["model"]["ref"] = "hf://Qwen/Qwen2.5-7B-Instruct"
        pod["inference"] = {"contextSize": 8192, "gpuMemoryFraction": 0.85, "tensorParallelSize": 1}
    for path, value in changes.items():
        target = pod
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return pod


def combinations():
    """(provider name, accelerator) for every pair the catalog supports."""
    return [(name, item["type"]) for name, document in sorted(catalog.PROVIDERS.items())
            for item in document["accelerators"]]


def machine_for(accelerator):
    return cuda_machine() if accelerator == "cuda" else ASAHI_MACHINE


# Values planted in a server argument and an environment value. "reject": RenderError naming the field;
# "keep": the generator must give the server exactly this literal.
INJECTIONS = [
    ("newline", "a\nb", "reject"),
    ("carriage-return", "a\rb", "reject"),
    ("nul", "a\x00b", "reject"),
    ("trailing-backslash", "abc\\", "reject"),
    ("section-injection", "x\n[Service]\nExecStartPre=/bin/sh -c 'touch /tmp/pwned'", "reject"),
    ("line-separator", "a\u2028b", "reject"),
    ("next-line", "a\u0085b", "reject"),
    ("paragraph-separator", "a\u2029b", "reject"),
    ("vertical-tab", "a\x0bb", "reject"),
    ("escape", "a\x1bb", "reject"),
    ("percent", "100%n %% %h", "keep"),
    ("dollar-var", "$HOME", "keep"),
    ("dollar-brace", "${HOME}x", "keep"),
    ("double-quote", 'say "hi"', "keep"),
    ("single-quote", "it's", "keep"),
    ("backslash-inside", "a\\nb\\", "reject"),
    ("backslash-middle", "C:\\path\\n", "keep"),
    ("spaces", "  two  spaces ", "keep"),
    ("tab", "a\tb", "keep"),
    ("semicolon", "a ; ExecStartPre=/bin/sh", "keep"),
    ("unicode", "naïve ✓", "keep"),
    ("specifier-only", "%", "keep"),
]


_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v", "s": " ",
              "\\": "\\", '"': '"', "'": "'"}


def split_words(text):
    """Split a command line as systemd does: whitespace, double and single quotes, C escapes."""
    words, current, index, quote, started = [], [], 0, None, False
    while index < len(text):
        char = text[index]
        if quote is None and char in " \t":
            if started:
                words.append("".join(current))
                current, started = [], False
            index += 1
            continue
        started = True
        if char in "\"'" and (quote is None or quote == char):
            quote = None if quote else char
        elif char == "\\" and index + 1 < len(text):
            index += 1
            current.append(_C_ESCAPES.get(text[index], "\\" + text[index]))
        else:
            current.append(char)
        index += 1
    if started:
        words.append("".join(current))
    return words


def unescape_unit(word):
    """Undo systemd's %% and $$ escapes (what the service finally receives)."""
    out, index = [], 0
    while index < len(word):
        if word[index] in "%$" and word[index:index + 2] in ("%%", "$$"):
            out.append(word[index])
            index += 2
        else:
            out.append(word[index])
            index += 1
    return "".join(out)


def exec_words(line):
    return [unescape_unit(word) for word in split_words(line)]


def injected_pod(value, name="inject"):
    """A llama.cpp cpu pod carrying ``value`` in a server argument and an environment value."""
    pod = pod_for("llama.cpp", "cpu")
    pod["workload"]["name"] = name
    pod["runtime"]["args"] = ["--alias", value]
    pod["runtime"]["env"] = {"PLANTED": value}
    return pod
