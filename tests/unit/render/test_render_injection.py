"""Injection corpus: every value is refused naming its field, or survives as the same literal."""

import pytest

from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render import catalog
from ansible_collections.sourceos.agent_machine.plugins.plugin_utils.render.quadlet import (
    RenderError, check_value, quote_word, render_container,
)

from support import render_cases as cases

REJECTED = [(label, value) for label, value, verdict in cases.INJECTIONS if verdict == "reject"]
KEPT = [(label, value) for label, value, verdict in cases.INJECTIONS if verdict == "keep"]


def render(pod):
    return render_container(pod, catalog.provider("llama.cpp"), cases.ASAHI_MACHINE, "5.4.2")


@pytest.mark.parametrize("label,value", REJECTED, ids=[label for label, _value in REJECTED])
def test_rejected_in_args_names_the_field(label, value):
    pod = cases.injected_pod(value)
    pod["runtime"]["env"] = {}
    with pytest.raises(RenderError) as caught:
        render(pod)
    assert caught.value.field == "$.runtime.args"
    assert str(caught.value).startswith("$.runtime.args: ")


@pytest.mark.parametrize("label,value", REJECTED, ids=[label for label, _value in REJECTED])
def test_rejected_in_env_names_the_field(label, value):
    pod = cases.injected_pod(value)
    pod["runtime"]["args"] = []
    with pytest.raises(RenderError) as caught:
        render(pod)
    assert caught.value.field == "$.runtime.env.PLANTED"


@pytest.mark.parametrize("label,value", KEPT, ids=[label for label, _value in KEPT])
def test_kept_values_round_trip_without_new_lines(label, value):
    result = render(cases.injected_pod(value))
    baseline = render(cases.injected_pod("plain"))
    assert result["text"].count("\n") == baseline["text"].count("\n")
    assert [(section, key) for section, key, _v in result["keys"]] == [(section, key) for section, key, _v in baseline["keys"]]
    exec_line = [v for section, key, v in result["keys"] if key == "Exec"][0]
    assert cases.exec_words(exec_line)[-2:] == ["--alias", value]
    env_line = [v for section, key, v in result["keys"] if key == "Environment" and "PLANTED" in v][0]
    assert cases.exec_words(env_line) == ["PLANTED=" + value]


def test_percent_and_dollar_are_escaped():
    assert quote_word("100%%") == "100%%"
    exec_line = [v for s, k, v in render(cases.injected_pod("$HOME %n"))["keys"] if k == "Exec"][0]
    assert exec_line.endswith('"$$HOME %%n"')


def test_description_escapes_percent_but_not_dollar():
    pod = cases.pod_for("llama.cpp", "cpu")
    pod["workload"]["agentIdentityRef"] = "spiffe://x/%i$USER"
    description = [v for s, k, v in render(pod)["keys"] if k == "Description"][0]
    assert description.endswith("spiffe://x/%%i$USER")


def test_check_value_messages():
    with pytest.raises(RenderError, match=r"^f: contains the control or line-breaking character U\+000A"):
        check_value("a\nb", "f")
    with pytest.raises(RenderError, match="^f: ends with a backslash"):
        check_value("a\\", "f")
    assert check_value("a\tb", "f") == "a\tb"


def test_empty_argument_is_refused():
    pod = cases.injected_pod("x")
    pod["runtime"]["args"] = ["--alias", ""]
    with pytest.raises(RenderError, match=r"^\$\.runtime\.args: holds an empty argument"):
        render(pod)
    pod = cases.injected_pod("")
    pod["runtime"]["args"] = []
    assert 'PLANTED=' in [v for s, k, v in render(pod)["keys"] if k == "Environment"]
