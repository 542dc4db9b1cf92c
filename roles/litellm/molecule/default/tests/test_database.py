"""litellm role in DB mode (llm_postgresql on the same host): the teams and keys this scenario
declares (converge.yml) through the gateway with their real secrets, the migrations, revocation,
backup and restore, and the proxy with its database stopped.

The keys' secrets are read where the role wrote them on the controller (the scenario's secrets dir),
so these tests run in the role's scenario only: the e2e tier (which runs this directory against the
sandbox gateway) declares none of these keys. The tests that stop and restore things run last and
leave the host as they found it.
"""

import datetime as dt
import json
import os
import secrets
import time
from pathlib import Path

import pytest
import yaml
from tests.conftest import ROOT, ansible_playbook
from tests.support.host_http import http_in_host

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
pytestmark = pytest.mark.skipif(
    not EPHEMERAL,
    reason="uses the keys the litellm scenario declares and their secrets on the controller "
    "(MOLECULE_EPHEMERAL_DIRECTORY); the sandbox gateway of the e2e tier declares none",
)

# The sandbox's llm_secrets_dir (<inventory dir>/.secrets), which the scenario's converge reads.
SECRETS = Path(EPHEMERAL) / "inventory" / ".secrets"
PORT = 4000
MODEL = "smollm2-135m-instruct"
ENV_FILE = "/etc/litellm/litellm.env"
BACKUP_DIR = "/var/backups/llm-postgresql"
VENV_PYTHON = "/opt/litellm/current/bin/python"
MIGRATE = "/opt/litellm/litellm_db_migrate.py"


def _key(alias):
    """The secret the role generated for a declared key (<secrets dir>/litellm_keys/<alias>)."""
    value = (SECRETS / "litellm_keys" / alias).read_text().strip()
    return value if value.startswith("sk-") else "sk-" + value


def _env(host):
    text = host.file(ENV_FILE).content_string
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def _master_key(host):
    return _env(host)["LITELLM_MASTER_KEY"]


def _http(host, path, key="", body=None):
    return http_in_host(host, f"http://127.0.0.1:{PORT}{path}", key, body)


def _chat(host, key, model=MODEL, max_tokens=4):
    body = {"model": model, "messages": [{"role": "user", "content": "Say hi"}], "max_tokens": max_tokens}
    return _http(host, "/v1/chat/completions", key, body)


def _psql(host, sql, database="litellm"):
    return host.check_output("runuser -u postgres -- psql -X -At -d %s -c %s", database, sql)


PROBE = f"import urllib.request as u; u.urlopen('http://127.0.0.1:{PORT}/health/readiness', timeout=5)"


def _wait_ready(host, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if host.run("python3 -c %s", PROBE).rc == 0:
            return
        time.sleep(2)
    pytest.fail(f"the proxy was not ready within {timeout} s")


def _migration_names(host):
    directory = host.check_output(
        "%s -c %s",
        VENV_PYTHON,
        "import pathlib, litellm_proxy_extras as x; print(pathlib.Path(x.__file__).parent / 'migrations')",
    )
    return {
        line.rsplit("/", 2)[-2]
        for line in host.check_output("ls -1d %s/*/migration.sql", directory).splitlines()
    }


def test_database_url_only_in_the_private_env_file(host):
    url = _env(host)["DATABASE_URL"]
    assert url.startswith("postgresql://litellm:")
    password = url.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
    assert len(password) >= 40
    assert host.file(ENV_FILE).mode == 0o600
    assert password not in host.file("/etc/litellm/config.yaml").content_string
    assert password not in host.check_output("systemctl show litellm -p Environment")
    # Not in any process's arguments (the proxy, its engine process, the migrator, PostgreSQL).
    assert password not in host.check_output("ps -eww -o args")
    assert password not in host.check_output("journalctl --no-pager -q -u litellm -u postgresql*")


def test_postgresql_listens_on_loopback_only(host):
    listening = [s for s in host.socket.get_listening_sockets() if s.endswith(":5432")]
    assert listening
    assert set(listening) <= {"tcp://127.0.0.1:5432", "tcp://::1:5432"}, listening


def test_every_migration_recorded_once_and_finished(host):
    rows = _psql(
        host,
        "SELECT migration_name, count(*), bool_and(finished_at IS NOT NULL)"
        " FROM _prisma_migrations GROUP BY 1",
    )
    recorded = {}
    for line in rows.splitlines():
        name, count, finished = line.split("|")
        recorded[name] = (int(count), finished)
    assert set(recorded) == _migration_names(host)
    assert all(v == (1, "t") for v in recorded.values()), {k: v for k, v in recorded.items() if v != (1, "t")}


def test_two_gateways_migrating_a_fresh_database_at_once_apply_each_migration_once(host):
    """What each gateway runs before its proxy starts (tasks/database.yml), twice at the same time
    against a new database: one applies everything, the other waits for Prisma's advisory lock and
    then finds nothing left to apply."""
    tmp = "/var/lib/postgresql/litellm-race"
    host.run("runuser -u postgres -- dropdb --if-exists litellm_race")
    host.check_output("runuser -u postgres -- createdb litellm_race")
    try:
        # The gateway's role may use its own database only (pg_hba): the race runs as postgres over
        # the socket (peer authentication, no password anywhere).
        url = "postgresql://postgres@/litellm_race?host=/var/run/postgresql"
        host.check_output(
            "runuser -u postgres -- sh -c %s",
            f"umask 077 && mkdir -p {tmp} && echo DATABASE_URL='{url}' > {tmp}/env",
        )
        migrate = f"runuser -u postgres -- {VENV_PYTHON} {MIGRATE} --env-file {tmp}/env"
        out = host.run(
            f"({migrate} > {tmp}/a.json 2>{tmp}/a.err & {migrate} > {tmp}/b.json 2>{tmp}/b.err & wait) && "
            f"cat {tmp}/a.json {tmp}/b.json {tmp}/a.err {tmp}/b.err"
        )
        assert out.rc == 0, out.stderr
        reports = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        assert len(reports) == 2, out.stdout
        names = _migration_names(host)
        applied = [set(r["applied"]) for r in reports]
        assert applied[0].isdisjoint(applied[1])
        assert applied[0] | applied[1] == names
        assert sorted(len(a) for a in applied) == [0, len(names)]
        assert max(r["lock_wait_s"] for r in reports) > 0  # they overlapped: one waited for the other
        counts = _psql(
            host, "SELECT count(*), count(DISTINCT migration_name) FROM _prisma_migrations", "litellm_race"
        )
        assert counts == f"{len(names)}|{len(names)}"
    finally:
        host.run("rm -rf %s; runuser -u postgres -- dropdb --if-exists litellm_race", tmp)


def test_wrong_and_missing_key_are_401(host):
    assert _chat(host, "sk-not-a-key-of-this-gateway")[0] == 401
    assert _chat(host, "")[0] == 401
    assert _http(host, "/v1/models")[0] == 401


def test_key_of_the_allowed_model_completes(host):
    status, text = _chat(host, _key("app"), max_tokens=8)
    assert status == 200, text
    assert json.loads(text)["choices"][0]["message"]["content"].strip()


def test_key_of_another_model_is_403(host):
    status, text = _chat(host, _key("other-model"))
    assert status == 403, text


def test_key_info_carries_team_expiry_and_metadata(host):
    status, text = _http(host, "/key/info?key=" + _key("app"), _master_key(host))
    assert status == 200, text
    info = json.loads(text)["info"]
    assert info["key_alias"] == "app"
    # "2099-12-31": that day at 00:00 UTC (LiteLLM stores now + the duration the module computes).
    expires = dt.datetime.fromisoformat(info["expires"])
    assert abs((expires - dt.datetime(2099, 12, 31, tzinfo=dt.UTC)).total_seconds()) < 120, info["expires"]
    assert info["metadata"]["purpose"] == "allowed model"
    assert info["metadata"]["managed_by"] == "llm-onprem"
    status, text = _http(host, "/team/info?team_id=" + info["team_id"], _master_key(host))
    assert status == 200, text
    team = json.loads(text)["team_info"]
    assert team["team_alias"] == "molecule-team"
    assert team["rpm_limit"] == 600
    assert team["models"] == [MODEL]


def test_the_secrets_are_private_on_the_controller_and_absent_from_the_gateway(host):
    for alias in ("app", "other-model", "rpm-one", "tpm-small", "budget-tiny"):
        path = SECRETS / "litellm_keys" / alias
        assert path.stat().st_mode & 0o077 == 0, path
        assert _key(alias)[3:] not in host.check_output("cat /etc/litellm/* && ps -eww -o args")


def test_rpm_limit_is_429(host):
    key = _key("rpm-one")
    statuses = [_chat(host, key)[0] for _ in range(3)]
    assert statuses[0] == 200, statuses
    assert 429 in statuses, statuses


def test_tpm_limit_is_429(host):
    """20 tokens a minute: one request uses more, but tokens are counted after the response, so the
    refusal comes on a later request (spaced, bounded)."""
    key = _key("tpm-small")
    statuses = []
    for _ in range(6):
        statuses.append(_chat(host, key, max_tokens=16)[0])
        if statuses[-1] == 429:
            break
        time.sleep(2)
    assert statuses[0] == 200, statuses
    assert statuses[-1] == 429, statuses


def test_budget_exceeded_is_422_and_spend_is_recorded(host):
    """The sandbox catalog prices the model (cost_per_1m_tokens); one request spends more than the
    key's budget, and the next ones are refused with 422."""
    key = _key("budget-tiny")
    statuses = []
    for _ in range(6):
        statuses.append(_chat(host, key)[0])
        if statuses[-1] == 422:
            break
        time.sleep(2)
    assert statuses[0] == 200, statuses
    assert statuses[-1] == 422, statuses

    # Enforced from the proxy's cache at once; written to the database in batches (seconds later).
    def spend():
        status, text = _http(host, "/key/info?key=" + key, _master_key(host))
        assert status == 200, text
        return json.loads(text)["info"]["spend"] > 1e-7

    seen = _poll(spend, True, tries=20, pause=3.0)
    assert seen[-1], f"no spend recorded in {len(seen) * 3} s"


def _access(tmp_path, monkeypatch, host, keys, *flags):
    """The role's litellm_access module against this gateway, from a playbook whose variables (the
    master key, the key's secret) are in a 0600 file, never on a command line; its result."""
    vars_file = tmp_path / "vars.yml"
    vars_file.touch(mode=0o600)
    vars_file.write_text(yaml.safe_dump({"master_key": _master_key(host), "declared": keys}))
    playbook = tmp_path / "access.yml"
    task = {
        "name": "Keys of the marker test-revoke",
        "litellm_access": {
            "url": f"http://127.0.0.1:{PORT}",
            "master_key": "{{ master_key }}",
            "keys": "{{ declared }}",
            "marker": "test-revoke",
        },
    }
    play = {
        "name": "Reconcile",
        "hosts": "all",
        "gather_facts": False,
        "vars_files": [str(vars_file)],
        "tasks": [task],
    }
    playbook.write_text(yaml.safe_dump([play]))
    monkeypatch.setenv("ANSIBLE_LIBRARY", str(ROOT / "roles/litellm/library"))
    monkeypatch.setenv("ANSIBLE_STDOUT_CALLBACK", "ansible.builtin.json")
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE") or str(Path(EPHEMERAL) / "inventory")
    run = ansible_playbook(str(playbook), *flags, inventory=inventory, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert secret_free(run.stdout, keys)
    (result,) = json.loads(run.stdout)["plays"][0]["tasks"][0]["hosts"].values()
    return result


def secret_free(output, keys):
    return all(k["secret"] not in output for k in keys)


def test_check_mode_creates_nothing_then_an_undeclared_key_is_revoked(host, tmp_path, monkeypatch):
    secret = "sk-" + secrets.token_urlsafe(32)
    declared = [{"alias": "revoke-me", "models": [MODEL], "secret": secret}]
    checked = _access(tmp_path, monkeypatch, host, declared, "--check", "--diff")
    assert checked["changed"], checked
    assert checked["created"] == ["key:revoke-me"], checked
    assert "revoke-me" in checked["diff"]["after"]
    assert _chat(host, secret)[0] == 401
    created = _access(tmp_path, monkeypatch, host, declared)
    assert created["created"] == ["key:revoke-me"], created
    assert _chat(host, secret)[0] == 200
    again = _access(tmp_path, monkeypatch, host, declared)
    assert not again["changed"], again
    revoked = _access(tmp_path, monkeypatch, host, [])
    assert revoked["deleted"] == ["key:revoke-me"], revoked
    assert _chat(host, secret)[0] == 401
    # The scenario's own keys (another marker) are untouched.
    assert _chat(host, _key("app"))[0] == 200


def test_restore_of_the_nightly_dump_into_a_fresh_database_keeps_the_keys(host):
    """The backup unit's dump, restored with llm-postgresql-restore --replace while the gateway is
    stopped: the keys that existed at the dump authenticate after the gateway starts again (and so
    survive its restart), a key made after the dump does not."""
    host.check_output("systemctl start llm-postgresql-backup.service")
    dump = host.check_output("ls -1t %s/litellm-*.dump | head -1", BACKUP_DIR)
    assert host.file(dump).user == "postgres"
    assert host.file(dump).mode == 0o600
    later = "sk-" + secrets.token_urlsafe(32)
    status, text = _http(host, "/key/generate", _master_key(host), {"key": later, "models": [MODEL]})
    assert status == 200, text
    assert _chat(host, later)[0] == 200
    # Without --replace an existing database is refused and left alone.
    refused = host.run("llm-postgresql-restore %s", dump)
    assert refused.rc == 1, refused.stderr
    assert "--replace" in refused.stderr
    host.check_output("systemctl stop litellm")
    try:
        restored = host.run("llm-postgresql-restore --replace %s", dump)
        assert restored.rc == 0, restored.stdout + restored.stderr
    finally:
        host.check_output("systemctl start litellm")
        _wait_ready(host)
    status, text = _chat(host, _key("app"), max_tokens=8)
    assert status == 200, text
    assert _chat(host, later)[0] == 401
    assert _chat(host, "sk-not-a-key-of-this-gateway")[0] == 401


_HTTPS_STATUS = """
import ssl, sys, urllib.request, urllib.error
context = ssl.create_default_context(cafile="/etc/haproxy/tls/ca.crt")
auth = {"Authorization": "Bearer " + sys.argv[1]}
req = urllib.request.Request("https://127.0.0.1/v1/models", headers=auth)
try:
    print(urllib.request.urlopen(req, timeout=30, context=context).status)
except urllib.error.HTTPError as err:
    print(err.code)
"""


def _ingress_status(host, key):
    """Status of GET /v1/models through the public HTTPS endpoint (haproxy) with ``key``."""
    return int(host.check_output("python3 -c %s %s", _HTTPS_STATUS, key))


def _poll(probe, want, tries=30, pause=2.0):
    """Call ``probe`` until it returns ``want`` (at most ``tries`` times); every status seen."""
    seen = []
    for _ in range(tries):
        seen.append(probe())
        if seen[-1] == want:
            break
        time.sleep(pause)
    return seen


def test_database_down_fails_closed(host):
    """Documented in the README ("With the database down"). On the proxy itself a virtual key checked
    within LiteLLM's key cache (60 s) keeps working, one not checked since the proxy started gets
    401, the master key works. The proxy's readiness includes the database, so the ingress takes the
    gateway out of service (503 at the public endpoint, for every key) until it is back; then the
    uncached key authenticates again without a gateway restart and the endpoint serves again."""
    cached, uncached = _key("app"), _key("other-model")  # other-model: unused since the restore's restart
    assert _chat(host, cached)[0] == 200
    host.check_output("systemctl stop postgresql")
    try:
        assert _chat(host, cached)[0] == 200
        assert _http(host, "/v1/models", uncached)[0] == 401
        assert _chat(host, _master_key(host))[0] == 200
        # The readiness probe notices within about 10 s (measured), then haproxy within 3 checks 5 s apart.
        seen = _poll(lambda: _http(host, "/health/readiness")[0], 503)
        assert seen[-1] == 503, seen
        seen = _poll(lambda: _ingress_status(host, cached), 503)
        assert seen[-1] == 503, seen
    finally:
        host.check_output("systemctl start postgresql")
    seen = _poll(lambda: _http(host, "/v1/models", uncached)[0], 200)
    assert seen[-1] == 200, seen
    # haproxy: 2 good checks 5 s apart.
    seen = _poll(lambda: _ingress_status(host, cached), 200)
    assert seen[-1] == 200, seen
