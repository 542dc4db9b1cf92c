"""`make benchmarks`' page rewrite (src/llm_onprem/benchmarks.py): the generated section holds each
planned run's command and report, replaces the previous one, and leaves the rest of the page alone."""

from llm_onprem import benchmarks

PAGE = "# Benchmarks\n\nIntro.\n\nHow to read.\n\n## Kept for the record\n\nOld table.\n"


def _section(report: str) -> str:
    run = benchmarks.PLAN[0]
    return benchmarks.render([(run, "llm-onprem bench --x", report)], "2026-12-05", "2 cores", "v1")


def test_the_section_is_inserted_once_then_replaced_and_the_rest_kept():
    first = benchmarks.replace_section(PAGE, _section("| a | 1 |"))
    assert first.count(benchmarks.BEGIN) == 1
    assert first.startswith("# Benchmarks\n\nIntro.\n\n" + benchmarks.BEGIN)
    assert "## Kept for the record\n\nOld table." in first
    second = benchmarks.replace_section(first, _section("| a | 2 |"))
    assert second.count(benchmarks.BEGIN) == 1
    assert "| a | 2 |" in second
    assert "| a | 1 |" not in second
    assert second.replace("| a | 2 |", "| a | 1 |") == first


def test_each_run_shows_its_command_and_report():
    text = _section("| clients | target |")
    assert "$ llm-onprem bench --x" in text
    assert "| clients | target |" in text
    assert "2026-12-05" in text
    assert benchmarks.PLAN[0].title in text


def test_the_plan_measures_the_gateway_against_the_backend_streamed_and_not():
    args = [run.args for run in benchmarks.PLAN]
    assert any("--no-stream" in a for a in args)
    assert any("--no-stream" not in a for a in args)
    assert len({run.stem for run in benchmarks.PLAN}) == len(benchmarks.PLAN)


def test_a_command_is_shown_as_llm_onprem_with_paths_relative_to_the_repository(tmp_path):
    command = [str(tmp_path / ".venv/bin/llm-onprem"), "bench", "--ca-file", str(tmp_path / "inv/ca.crt")]
    assert benchmarks.shown(tmp_path, command) == "llm-onprem bench --ca-file inv/ca.crt"
