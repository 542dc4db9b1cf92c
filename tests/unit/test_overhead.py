from llm_onprem.overhead import Series, ratio


def test_median_and_ratio():
    direct = Series("direct", [0.100, 0.300, 0.200])
    gateway = Series("gateway", [0.250, 0.210, 0.900, 0.220])
    assert direct.median_ms == 200.0
    assert round(gateway.median_ms, 6) == 235.0
    assert round(ratio(gateway, direct), 6) == 1.175
