# Stand-in for ghcr.io/ggml-org/llama.cpp:server-<build>: the mirror's llama-server archive in the
# upstream image's layout and interface (/app/llama-server as entry point, LLAMA_ARG_HOST, curl).
ARG CURL_IMAGE
FROM ${CURL_IMAGE}
ARG LLAMA_CPP_VERSION
ADD llama-server-${LLAMA_CPP_VERSION}-linux-x86_64.tar.gz /tmp/
RUN install -D -m 0755 /tmp/llama-server-${LLAMA_CPP_VERSION}-linux-x86_64/bin/llama-server /app/llama-server \
 && rm -rf /tmp/llama-server-${LLAMA_CPP_VERSION}-linux-x86_64
ENV LLAMA_ARG_HOST=0.0.0.0
WORKDIR /app
HEALTHCHECK CMD ["curl", "-f", "http://localhost:8080/health"]
ENTRYPOINT ["/app/llama-server"]
