"""llm_redis alone: the server listens on loopback and its private address, answers only with the
password (never on a command line), refuses other hosts at the firewall, caps its memory, and keeps
nothing across a restart with persistence off."""

from tests.support.firewall import assert_refused_by_table

PASSWORD = "MoleculeOnlyRedisPassword0123456789"  # converge.yml
PORT = 6379
CONFIG = "/etc/redis/redis.conf"


def _address(host) -> str:
    return host.interface("eth0").addresses[0]


def _cli(host, *args, address="127.0.0.1", password=PASSWORD):
    """redis-cli with the password in REDISCLI_AUTH (what the role does), or none."""
    env = f"REDISCLI_AUTH={password} " if password else ""
    quoted = " ".join(f"'{a}'" for a in args)
    return host.run(f"{env}redis-cli --no-auth-warning -h {address} -p {PORT} {quoted}")


def test_server_running_and_enabled(host):
    service = host.service("redis-server")
    assert service.is_running
    assert service.is_enabled


def test_listens_on_loopback_and_the_private_address_only(host):
    bound = {s for s in host.socket.get_listening_sockets() if s.endswith(f":{PORT}")}
    assert bound == {f"tcp://127.0.0.1:{PORT}", f"tcp://{_address(host)}:{PORT}"}


def test_answers_with_the_password_only(host):
    assert _cli(host, "ping").stdout.strip() == "PONG"
    anonymous = _cli(host, "get", "x", password="")
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr
    wrong = _cli(host, "ping", password="WrongPassword0123456789")
    assert "PONG" not in wrong.stdout
    # Redis 7+: WRONGPASS; 6.0 (Ubuntu 22.04): the CLI warns that AUTH failed and the command gets NOAUTH.
    assert "WRONGPASS" in wrong.stdout + wrong.stderr or "AUTH failed" in wrong.stderr


def test_allowed_address_reads_and_writes(host):
    written = _cli(host, "set", "llm-onprem-test", "1", "EX", "60", address=_address(host))
    assert written.stdout.strip() == "OK"
    assert _cli(host, "get", "llm-onprem-test").stdout.strip() == "1"


def test_another_host_is_refused_by_the_firewall(host):
    assert_refused_by_table(host, _address(host), PORT, "llm_onprem_redis")


def test_password_is_in_a_private_file_and_never_in_the_process_list(host):
    config = host.file(CONFIG)
    assert (config.user, config.group, config.mode) == ("root", "redis", 0o640)
    assert PASSWORD in host.check_output(f"cat {CONFIG}")
    assert PASSWORD not in host.check_output("ps -eo args")


def test_memory_is_capped_with_ttl_eviction(host):
    assert _cli(host, "config", "get", "maxmemory").stdout.split() == ["maxmemory", str(256 * 1024 * 1024)]
    policy = _cli(host, "config", "get", "maxmemory-policy").stdout.split()
    assert policy == ["maxmemory-policy", "volatile-lru"]


def test_nothing_survives_a_restart_without_persistence(host):
    assert _cli(host, "config", "get", "appendonly").stdout.split() == ["appendonly", "no"]
    assert _cli(host, "set", "llm-onprem-restart", "1").stdout.strip() == "OK"
    host.run_expect([0], "systemctl restart redis-server")
    for _ in range(30):
        if _cli(host, "ping").stdout.strip() == "PONG":
            break
        host.run("sleep 1")
    assert _cli(host, "exists", "llm-onprem-restart").stdout.strip() == "0"
    assert not host.file("/var/lib/redis/dump.rdb").exists
