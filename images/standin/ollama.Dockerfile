# Stand-in for docker.io/ollama/ollama:<version>: the mirror's Ollama archive (bin/ollama,
# lib/ollama) under /usr as upstream, `ollama serve` on 0.0.0.0:11434, models in /root/.ollama.
ARG BASE_IMAGE=local/debian:bookworm
FROM ${BASE_IMAGE}
ADD ollama-linux-amd64.tgz /usr/
ENV OLLAMA_HOST=0.0.0.0:11434
EXPOSE 11434
ENTRYPOINT ["/usr/bin/ollama"]
CMD ["serve"]
