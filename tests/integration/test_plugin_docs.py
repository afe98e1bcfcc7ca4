"""Every module, plugin and role is documented by ansible-doc, and docs/reference is what scripts/render-docs.py writes."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from ansible_run import REPO_ROOT, ansible_env

NAMESPACE = "sourceos.agent_machine"


def load_render_docs():
    spec = importlib.util.spec_from_file_location("render_docs", os.path.join(REPO_ROOT, "scripts", "render-docs.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_docs = load_render_docs()


@pytest.fixture(name="found", scope="module")
def found_fixture():
    try:
        return render_docs.discover()
    except render_docs.DocsError as exc:
        pytest.fail("a plugin cannot be documented:\n%s" % exc)


def names_in(folder, suffix):
    path = os.path.join(REPO_ROOT, folder)
    return {name[:-len(suffix)] for name in os.listdir(path) if name.endswith(suffix) and not name.startswith("_")}


def test_discovery_finds_every_module_filter_and_role(found):
    assert set(found["module"]) == names_in("plugins/modules", ".py")
    assert names_in("plugins/filter", ".yml") <= set(found["filter"])
    roles = {name for name in os.listdir(os.path.join(REPO_ROOT, "roles")) if os.path.isdir(os.path.join(REPO_ROOT, "roles", name))}
    assert set(found["role"]) == roles
    assert {"fleet_report", "receipt", "machine_facts"} <= set(found["module"])


def test_every_action_plugin_has_a_documented_module(found):
    assert names_in("plugins/action", ".py") <= set(found["module"])


@pytest.mark.parametrize("kind", ["module", "filter", "role"])
def test_ansible_doc_documents_each_one_without_error_or_warning(found, kind):
    names = ["%s.%s" % (NAMESPACE, name) for name in found[kind]]
    proc = subprocess.run(["ansible-doc", "--json", "-t", kind] + names, env=ansible_env(), cwd=REPO_ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    for marker in ("[ERROR]", "[WARNING]", "[DEPRECATION WARNING]"):
        assert marker not in proc.stderr, proc.stderr
    answer = json.loads(proc.stdout)
    assert sorted(answer) == sorted(names)
    for name, data in answer.items():
        if kind == "role":
            assert data["entry_points"]["main"].get("short_description"), name
            continue
        doc = data["doc"]
        assert doc.get("short_description") and doc.get("description") and doc.get("author"), name
        if kind == "module":
            assert (data.get("examples") or "").strip(), "%s has no EXAMPLES" % name


def test_docs_reference_is_up_to_date():
    proc = subprocess.run([sys.executable, os.path.join("scripts", "render-docs.py"), "--check"], env=ansible_env(),
                          cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_check_names_missing_stale_and_extra_pages():
    pages = {"README.md": "index\n", "module/a.md": "new\n", "module/b.md": "same\n"}
    on_disk = {"README.md": "index\n", "module/b.md": "same\n", "module/gone.md": "old\n"}
    assert render_docs.differences(pages, on_disk) == [
        "docs/reference/module/a.md: missing", "docs/reference/module/gone.md: no plugin documents it any more"]
    assert render_docs.differences(pages, dict(on_disk, **{"module/a.md": "older\n"}))[0] == "docs/reference/module/a.md: out of date"


def test_ansible_markup_becomes_markdown():
    markup = render_docs.markup
    assert markup("Set O(run_id) or C(agent_machine_run_id=x).") == "Set `run_id` or `agent_machine_run_id=x`."
    assert markup("See M(sourceos.agent_machine.receipt) and M(ansible.builtin.copy).") == (
        "See [`sourceos.agent_machine.receipt`](../module/receipt.md) and `ansible.builtin.copy`.")
    assert markup("I(only) B(this) U(https://example.com) L(the docs, https://example.com/d)") == (
        "*only* **this** <https://example.com> [the docs](https://example.com/d)")
    assert markup("a <path> with_under *star* C(a\\)b)") == "a &lt;path&gt; with\\_under \\*star\\* `a)b`"
    assert markup("C(a|b) | c", in_table=True) == "`a\\|b` \\| c"
