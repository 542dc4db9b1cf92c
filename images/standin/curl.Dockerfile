# Stand-in for docker.io/curlimages/curl (the dev stacks' model fetcher): sh, curl, sha256sum.
ARG BASE_IMAGE=local/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends curl \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["curl"]
