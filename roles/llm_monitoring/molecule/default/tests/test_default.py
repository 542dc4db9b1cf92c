"""llm_monitoring alone: Prometheus and Alertmanager on loopback with the rules loaded, the node
exporter scraped on the private address and refused to other hosts, the probe's metrics served."""

import time

from tests.support.firewall import assert_refused_by_table
from tests.support.http_in_host import get, get_json, prometheus_query


def _address(host) -> str:
    return host.interface("eth0").addresses[0]


def test_services_running_and_enabled(host):
    for name in ("prometheus", "prometheus-alertmanager", "prometheus-node-exporter", "llm-probe"):
        service = host.service(name)
        assert service.is_running, name
        assert service.is_enabled, name


def test_prometheus_alertmanager_and_probe_listen_on_loopback_only(host):
    listening = {s for s in host.socket.get_listening_sockets()}
    for port in (9090, 9093, 9109):
        bound = {s for s in listening if s.endswith(f":{port}")}
        assert bound == {f"tcp://127.0.0.1:{port}"}, (port, bound)
    # No Alertmanager cluster port.
    assert not {s for s in listening if s.endswith(":9094")}


def test_every_rule_is_loaded(host):
    groups = get_json(host, "http://127.0.0.1:9090/api/v1/rules")["data"]["groups"]
    names = {rule["name"] for group in groups for rule in group["rules"]}
    assert {
        "LlmBackendDown",
        "LlmProbeFailing",
        "LlmGatewayErrorRatio",
        "LlmCertificateExpiring",
        "LlmKeyBudgetNearlySpent",
        "LlmTargetMissing",
        "LlmGpuTemperatureHigh",
    } <= names


def test_own_node_exporter_is_scraped_and_up(host):
    deadline = time.monotonic() + 60
    while True:
        result = prometheus_query(host, f'up{{job="node", instance="{host.backend.get_hostname()}"}}')
        if result and result[0]["value"][1] == "1":
            break
        targets = get_json(host, "http://127.0.0.1:9090/api/v1/targets")["data"]["activeTargets"]
        assert time.monotonic() < deadline, [(t["labels"], t["health"], t["lastError"]) for t in targets]
        time.sleep(2)


def test_node_exporter_on_the_private_address_refused_to_other_hosts(host):
    bound = {s for s in host.socket.get_listening_sockets() if s.endswith(":9100")}
    assert bound == {f"tcp://{_address(host)}:9100"}
    assert_refused_by_table(host, _address(host), 9100, "llm_onprem_exporters")


def test_probe_serves_its_metrics(host):
    status, text = get(host, "http://127.0.0.1:9109/metrics")
    assert status == 200
    assert "# TYPE llm_probe_success gauge" in text
    assert get(host, "http://127.0.0.1:9109/other")[0] == 404


def test_alertmanager_ready_with_its_configuration(host):
    assert get(host, "http://127.0.0.1:9093/-/ready")[0] == 200
    status = get_json(host, "http://127.0.0.1:9093/api/v2/status")
    assert "receiver: llm-onprem" in status["config"]["original"]
