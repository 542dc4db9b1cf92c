"""The endpoint `make demo` verified: gateway URL, CA file, model, where the key is (never the key), the
completion."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def print_summary(inventory: str, gateway_url: str) -> int:
    report_file = Path(inventory) / ".state" / "verify.json"
    if not report_file.exists():
        print(f"no verification report at {report_file}: run playbooks/verify.yml", file=sys.stderr)
        return 1
    report = json.loads(report_file.read_text())
    key_file = Path(inventory) / ".secrets" / "litellm_master_key"
    ca_file = Path(inventory) / ".secrets" / "tls" / "ca.crt"
    # DB mode: the declared virtual keys' secret files (litellm_keys); the first one is the example's key.
    app_keys = sorted((Path(inventory) / ".secrets" / "litellm_keys").glob("*"))
    try_key = app_keys[0] if app_keys else key_file
    lines = [
        "",
        "llm-onprem sandbox: an authenticated OpenAI-compatible endpoint, verified",
        f"  gateway URL : {gateway_url}/v1",
        f"  CA          : {ca_file} (the generated CA that signed the gateway's certificate)",
        f"  model       : {report['model']}",
        f"  master key  : {key_file} (prefix it with sk-; the admin credential), also LITELLM_MASTER_KEY"
        " on the gateway",
        *[f"  app key     : {path} (prefix it with sk-; virtual key {path.name})" for path in app_keys],
        f"  completion  : {report['completion']!r}",
        f"  checks      : {', '.join(report['checks'])}",
        f"  try it      : curl -s --cacert {ca_file} {gateway_url}/v1/chat/completions"
        ' -H "Authorization: Bearer sk-$(cat ' + str(try_key) + ')"'
        " -H 'Content-Type: application/json'"
        ' -d \'{"model": "' + report["model"] + '", "messages": [{"role": "user", "content": "Hi"}]}\'',
        "",
    ]
    print("\n".join(lines))
    return 0
