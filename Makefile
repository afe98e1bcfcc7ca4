# sourceos.agent_machine — the two commands:
#   make demo   probe local podman nodes end to end and show the result
#   make test   every test: unit, ansible-test sanity, ansible-lint, molecule
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
ENV := source scripts/env.sh
SCENARIOS ?= default storage provider fleet

.PHONY: bench-probe bench-placement bench-fleet changelog docs contracts test demo setup host-deps venv link node-image unit integration sanity lint molecule build clean

test: setup node-image unit integration sanity lint molecule
	@echo "make test: all suites passed"

demo: setup node-image
	$(ENV) && scripts/demo.sh

setup: host-deps venv link

host-deps:
	scripts/host-deps.sh

venv:
	scripts/venv.sh

link:
	scripts/link-collection.sh

node-image:
	@scripts/node-image.sh >/dev/null

unit: setup
	$(ENV) && scripts/pytest.sh tests/unit

integration: setup
	$(ENV) && scripts/pytest.sh tests/integration

sanity: setup
	$(ENV) && scripts/sanity.sh

lint: setup
	$(ENV) && ansible-lint --profile production

molecule: setup node-image
	scripts/release-test-loops.sh
	$(ENV) && export AGENT_MACHINE_NODE_IMAGE=$$(scripts/node-image.sh) && \
	export AGENT_MACHINE_PROVIDER_IMAGE=$$(scripts/provider-image.sh) && \
	export AGENT_MACHINE_DEMO_MODEL=$$PWD/.build/tiny.gguf && python tests/support/tiny_gguf.py $$AGENT_MACHINE_DEMO_MODEL >/dev/null && \
	for scenario in $(SCENARIOS); do molecule test -s $$scenario || { scripts/release-test-loops.sh; exit 1; }; done
	scripts/release-test-loops.sh

build: setup
	$(ENV) && ansible-galaxy collection build --force --output-path .build/dist

clean:
	rm -rf .build artifacts tests/output

changelog: setup
	$(ENV) && scripts/changelog.sh

contracts: setup
	$(ENV) && python scripts/generate-contracts.py

bench-probe: setup node-image
	$(ENV) && python bench/probe/bench_probe.py

docs: setup
	$(ENV) && python scripts/render-docs.py

bench-placement: setup
	$(ENV) && python bench/placement/bench_placement.py

bench-fleet: setup node-image
	$(ENV) && python bench/fleet/bench_fleet.py
