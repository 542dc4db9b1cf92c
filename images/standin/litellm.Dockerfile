# Stand-in for ghcr.io/berriai/litellm:main-v<version>: the hash-pinned closure of
# roles/litellm/files/requirements.txt from the mirror's wheels, `litellm` as entry point (upstream's
# entry point script ends in `exec litellm "$@"`), port 4000.
ARG BASE_IMAGE=local/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY requirements.txt /tmp/requirements.txt
COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/litellm \
 && /opt/litellm/bin/pip install -q --no-index --find-links /tmp/wheels --require-hashes \
      --only-binary=:all: --disable-pip-version-check --no-cache-dir -r /tmp/requirements.txt \
 && rm -rf /tmp/wheels /tmp/requirements.txt
ENV PATH=/opt/litellm/bin:$PATH
WORKDIR /app
EXPOSE 4000
ENTRYPOINT ["litellm"]
CMD ["--port", "4000"]
