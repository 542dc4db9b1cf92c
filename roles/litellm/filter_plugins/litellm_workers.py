"""How many LiteLLM worker processes a gateway host runs by default (litellm_num_workers).

LiteLLM is CPU-bound per request (docs/benchmarks.md, gateway capacity: one worker saturates one
core), so a host that serves only the gateway runs one worker per core, as many as its memory holds
(WORKER_MEMORY_MB each, measured ~750 MB resident in DB mode, after RESERVED_MEMORY_MB for the rest of
the host). One worker where more would be wrong:
- the host also serves a backend (it is in the backends group): workers would take the backend's cores;
- DB mode without Redis: each worker process would count a key's rpm/tpm limits and its parallel
  requests on its own, so N workers would let N times the limit through.
"""

from __future__ import annotations

WORKER_MEMORY_MB = 1024
RESERVED_MEMORY_MB = 1024


def _count(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def litellm_workers(
    vcpus: object, memory_mb: object, shares_backend: bool, database: bool, redis: bool
) -> int:
    """The default worker count for a gateway host with `vcpus` cores and `memory_mb` of memory."""
    if shares_backend or (database and not redis):
        return 1
    by_memory = (_count(memory_mb) - RESERVED_MEMORY_MB) // WORKER_MEMORY_MB
    return max(min(_count(vcpus), by_memory), 1)


class FilterModule:
    def filters(self) -> dict[str, object]:
        return {"litellm_workers": litellm_workers}
