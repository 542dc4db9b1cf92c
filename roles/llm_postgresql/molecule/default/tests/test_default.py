"""llm_postgresql alone: the server listens on loopback and its private address, admits the owner
with its password from loopback and (over TLS only) from an allowed address, refuses everything else
(pg_hba, and the firewall for other hosts), dumps on a timer with retention, and restores a dump into
a new database or in place of the current one."""

import time

from tests.support.firewall import assert_refused_by_table

PASSWORD = "MoleculeOnlyPassword0123456789"  # converge.yml
DATABASE = "litellm"
USER = "litellm"
PORT = 5432
BACKUPS = "/var/backups/llm-postgresql"
KEEP = 2


def _address(host) -> str:
    return host.interface("eth0").addresses[0]


def _psql(host, sql, address="127.0.0.1", password=PASSWORD, user=USER, database=DATABASE, sslmode="prefer"):
    conninfo = f"host={address} port={PORT} dbname={database} user={user} sslmode={sslmode}"
    return host.run("PGPASSWORD=%s psql -X -At -v ON_ERROR_STOP=1 -d %s -c %s", password, conninfo, sql)


def _as_postgres(host, sql, database=DATABASE):
    return host.check_output(
        "runuser -u postgres -- psql -X -At -v ON_ERROR_STOP=1 -d %s -c %s", database, sql
    )


def _version(host) -> str:
    return host.check_output("ls /usr/lib/postgresql").split()[-1]


def test_server_running_and_enabled(host):
    service = host.service(f"postgresql@{_version(host)}-main")
    assert service.is_running
    assert service.is_enabled


def test_listens_on_loopback_and_the_private_address_only(host):
    bound = {s for s in host.socket.get_listening_sockets() if s.endswith(f":{PORT}")}
    assert f"tcp://127.0.0.1:{PORT}" in bound
    assert f"tcp://{_address(host)}:{PORT}" in bound
    assert bound <= {f"tcp://127.0.0.1:{PORT}", f"tcp://::1:{PORT}", f"tcp://{_address(host)}:{PORT}"}


def test_owner_connects_from_loopback_with_its_password(host):
    result = _psql(host, "SELECT current_user || ' ' || current_database()")
    assert result.rc == 0, result.stderr
    assert result.stdout.strip() == f"{USER} {DATABASE}"


def test_password_is_stored_as_scram(host):
    verifier = _as_postgres(host, f"SELECT rolpassword FROM pg_authid WHERE rolname = '{USER}'", "postgres")
    assert verifier.startswith("SCRAM-SHA-256$")


def test_wrong_password_is_refused(host):
    result = _psql(host, "SELECT 1", password="not-the-password")
    assert result.rc != 0
    assert "password authentication failed" in result.stderr


def test_allowed_address_connects_over_tls_only(host):
    tls = _psql(
        host, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", _address(host), sslmode="require"
    )
    assert tls.rc == 0, tls.stderr
    assert tls.stdout.strip() == "t"
    plain = _psql(host, "SELECT 1", _address(host), sslmode="disable")
    assert plain.rc != 0
    assert "no pg_hba.conf entry" in plain.stderr


def test_other_roles_and_databases_are_refused_over_tcp(host):
    superuser = _psql(host, "SELECT 1", user="postgres", database="postgres")
    assert superuser.rc != 0
    assert "no pg_hba.conf entry" in superuser.stderr
    other_db = _psql(host, "SELECT 1", database="postgres")
    assert other_db.rc != 0
    assert "no pg_hba.conf entry" in other_db.stderr


def test_another_host_is_refused_by_the_firewall(host):
    assert_refused_by_table(host, _address(host), PORT, "llm_onprem_postgresql")


def test_backup_timer_enabled(host):
    timer = host.service("llm-postgresql-backup.timer")
    assert timer.is_enabled
    assert timer.is_running
    assert (
        "OnCalendar=*-*-* 02:30:00"
        in host.file("/etc/systemd/system/llm-postgresql-backup.timer").content_string
    )


def _backups(host) -> list[str]:
    return sorted(host.check_output("ls -1 %s", BACKUPS).split())


def _backup(host) -> str:
    before = set(_backups(host))
    host.check_output("systemctl start llm-postgresql-backup.service")
    new = sorted(set(_backups(host)) - before)
    assert new, "the backup service wrote no dump"
    return f"{BACKUPS}/{new[-1]}"


def test_backup_writes_private_dumps_and_keeps_the_newest(host):
    written = []
    for _ in range(KEEP + 1):
        written.append(_backup(host))
        time.sleep(1.1)  # dump names have a one-second resolution
    dump = host.file(written[-1])
    assert dump.user == "postgres"
    assert dump.mode == 0o600
    assert host.file(BACKUPS).mode == 0o700
    assert _backups(host) == sorted(path.rsplit("/", 1)[1] for path in written[-KEEP:])
    assert not any(name.endswith(".partial") for name in _backups(host))


def test_restore_in_place_and_into_a_new_database(host):
    _psql(
        host,
        "DROP TABLE IF EXISTS restore_probe; CREATE TABLE restore_probe (v text); "
        "INSERT INTO restore_probe VALUES ('before')",
    )
    dump = _backup(host)
    _psql(host, "UPDATE restore_probe SET v = 'after'")

    refused = host.run("llm-postgresql-restore %s", dump)
    assert refused.rc == 1
    assert "pass --replace" in refused.stdout + refused.stderr

    not_a_dump = host.run("llm-postgresql-restore --replace /etc/hostname")
    assert not_a_dump.rc == 2
    assert _psql(host, "SELECT v FROM restore_probe").stdout.strip() == "after"

    replaced = host.run("llm-postgresql-restore --replace %s", dump)
    assert replaced.rc == 0, replaced.stderr
    assert _psql(host, "SELECT v FROM restore_probe").stdout.strip() == "before"
    # The owner still owns what was restored (it can write to it) and can log in as before.
    assert _psql(host, "INSERT INTO restore_probe VALUES ('owned')").rc == 0

    fresh = host.run("llm-postgresql-restore %s litellm_copy", dump)
    assert fresh.rc == 0, fresh.stderr
    assert _as_postgres(host, "SELECT v FROM restore_probe", "litellm_copy") == "before"
    host.check_output("runuser -u postgres -- dropdb litellm_copy")
    _psql(host, "DROP TABLE restore_probe")
