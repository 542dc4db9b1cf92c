"""Statistics of `llm-onprem bench`: percentiles, per-request timings, rates, ratios and scaling."""

import math

import pytest

from llm_onprem.bench import LevelResult, Workload
from llm_onprem.bench_report import ratios, scaling, to_markdown
from llm_onprem.bench_stats import Sample, percentile, summarize


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 95, 3.85),
        ([1, 2, 3, 4], 0, 1),
        ([1, 2, 3, 4], 100, 4),
        ([4, 1, 3, 2], 25, 1.75),  # order does not matter
        ([7], 99, 7),
        (list(range(1, 101)), 99, 99.01),
    ],
)
def test_percentile_interpolates_linearly(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_edges():
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="outside"):
        percentile([1], 101)


def test_sample_timings():
    s = Sample(start=10.0, end=12.0, first_token=10.5, output_tokens=16)
    assert s.latency == pytest.approx(2.0)
    assert s.ttft == pytest.approx(0.5)
    assert s.inter_token == pytest.approx(1.5 / 15)
    assert Sample(0, 1, 0.5, 1).inter_token is None  # one token: no gap to measure
    assert Sample(0, 1, None, 0, "HTTP 500").ttft is None


def test_summary_rates_use_wall_time_and_skip_errors():
    samples = [
        Sample(0.0, 1.0, 0.2, 10),
        Sample(0.0, 2.0, 0.4, 20),
        Sample(1.0, 4.0, 1.5, 30),
        Sample(0.5, 0.6, None, 0, "HTTP 429"),
    ]
    s = summarize(samples)
    assert (s.requests, s.errors) == (4, 1)
    assert s.duration == pytest.approx(4.0)
    assert s.requests_per_s == pytest.approx(3 / 4)
    assert s.output_tokens_per_s == pytest.approx(60 / 4)
    assert s.latency.p50 == pytest.approx(2.0)
    assert s.ttft.p50 == pytest.approx(0.4)
    assert s.latency.mean == pytest.approx(2.0)


def _level(c, gateway_latency, direct_latency, tokens_per_request=32):
    def samples(latency):
        return [
            Sample(i * latency, (i + 1) * latency, i * latency + 0.1, tokens_per_request) for i in range(4)
        ]

    return LevelResult(c, {"gateway": samples(gateway_latency), "direct": samples(direct_latency)})


def test_ratios_and_scaling():
    levels = [_level(1, 1.02, 1.0), _level(4, 0.26, 0.25)]
    r = ratios(levels, "gateway", "direct")
    assert r[0]["latency_p50"] == pytest.approx(1.02)
    assert r[1]["output_tokens_per_s"] == pytest.approx(0.25 / 0.26)
    sc = scaling(levels, "direct")
    assert sc[0]["output_tokens_per_s"] == pytest.approx(1.0)
    assert sc[1]["output_tokens_per_s"] == pytest.approx(4.0)
    text = to_markdown(
        levels,
        Workload("m"),
        {"gateway": "g", "direct": "d"},
    )
    assert "| 1 | 1.020 |" in text
    assert "4.00x" in text


def test_failures_are_named_in_the_markdown():
    level = LevelResult(1, {"gateway": [Sample(0, 1, 0.1, 4), Sample(1, 2, None, 0, "HTTP 401")]})
    text = to_markdown([level], Workload("m"), {"gateway": "g"})
    assert "| 1 | gateway | 2 | 1 |" in text
    assert "1 failed, first: `HTTP 401`" in text


def test_reports_round_trip(tmp_path):
    from llm_onprem import bench_report

    levels = [_level(1, 1.02, 1.0), _level(4, 0.26, 0.25)]
    urls = {"gateway": "http://g", "direct": "http://d"}
    paths = bench_report.write(tmp_path, "run", levels, Workload("m", max_tokens=8), urls)
    assert [p.name for p in paths] == ["run.json", "run.md", "run.png"]
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = bench_report.load(paths[0])
    assert bench_report.to_markdown(*again) == paths[1].read_text()


def test_a_second_key_on_the_gateway_gets_its_ratio_and_its_delta_over_the_first():
    """--key-target: gateway (master key), app (a virtual key) and direct; app's p50 is 4 ms over the
    master key's at 1 client and 10 ms at 4."""
    from llm_onprem import bench_report

    def samples(latency):
        return [Sample(i * latency, (i + 1) * latency, i * latency + 0.1, 32) for i in range(4)]

    levels = [
        LevelResult(1, {"gateway": samples(1.0), "app": samples(1.004), "direct": samples(0.99)}),
        LevelResult(4, {"gateway": samples(0.25), "app": samples(0.26), "direct": samples(0.24)}),
    ]
    urls = {"gateway": "g", "app": "g", "direct": "d"}
    data = bench_report.to_dict(levels, Workload("m"), urls)
    assert set(data["ratios"]) == {"gateway/direct", "app/direct"}
    deltas = data["deltas_ms"]["app-gateway"]
    assert deltas[0]["latency_p50"] == pytest.approx(4.0)
    assert deltas[1]["latency_p50"] == pytest.approx(10.0)
    text = to_markdown(levels, Workload("m"), urls)
    assert "| clients | app minus gateway: latency p50 (ms) | TTFT p50 (ms) |" in text
    assert "| 1 | +4.0 | +0.0 |" in text
    assert "| 4 | +10.0 | +0.0 |" in text


def test_key_target_needs_a_new_name(tmp_path, capsys):
    from llm_onprem import bench

    key = tmp_path / "key"
    key.write_text("abc")
    parser = __import__("argparse").ArgumentParser()
    bench.add_arguments(parser)
    for spec in ("gateway=" + str(key), "direct=" + str(key), "nofile", "app="):
        args = parser.parse_args(["--url", "u", "--key-file", str(key), "--model", "m", "--key-target", spec])
        assert bench.main_with(args) == 2
        assert "--key-target" in capsys.readouterr().err


def test_a_level_goes_on_until_its_requests_its_deadline_or_its_stop_file(tmp_path):
    import time

    from llm_onprem.bench import go_on

    result = LevelResult(4, {"gateway": [Sample(0, 1, 0.5, 1)] * 3, "direct": [Sample(0, 1, 0.5, 1)] * 5})
    later = time.perf_counter() + 60
    stop = tmp_path / "stop"
    assert go_on(result, 4, later, stop)  # the gateway still has a request to run
    assert not go_on(result, 3, later, stop)  # every target has its requests
    assert not go_on(result, 4, time.perf_counter() - 1, stop)  # past the deadline
    stop.touch()
    assert not go_on(result, 4, later, stop)  # stopped from outside
    assert go_on(result, 4, later, None)
