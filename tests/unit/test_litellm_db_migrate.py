"""roles/litellm/files/litellm_db_migrate.py: which migrations it applies, in what order, when it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import load_file_module

mig = load_file_module("roles/litellm/files/litellm_db_migrate.py")


def _tree(tmp_path: Path, names: list[str]) -> Path:
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "migration.sql").write_text(f"-- {name}\nSELECT 1;\n")
    (tmp_path / "migration_lock.toml").write_text('provider = "postgresql"\n')
    return tmp_path


def test_migrations_are_read_in_name_order_with_spaces_in_names(tmp_path: Path) -> None:
    d = _tree(tmp_path, ["20250402_b", "20250326_baseline", "20250401_Add organization_id to spend logs"])
    (d / "20250501_empty").mkdir()  # no migration.sql: not a migration
    names = [m.name for m in mig.read_migrations(d)]
    assert names == ["20250326_baseline", "20250401_Add organization_id to spend logs", "20250402_b"]


def test_no_migrations_is_an_error_naming_the_directory(tmp_path: Path) -> None:
    with pytest.raises(mig.MigrationError, match=str(tmp_path / "missing")):
        mig.read_migrations(tmp_path / "missing")
    with pytest.raises(mig.MigrationError, match="holds no"):
        mig.read_migrations(tmp_path)


def test_plan_skips_finished_migrations_and_reapplies_rolled_back_ones(tmp_path: Path) -> None:
    ms = mig.read_migrations(_tree(tmp_path, ["1_a", "2_b", "3_c"]))
    records = [
        mig.Record("1_a", ms[0].checksum, finished=True, rolled_back=False),
        mig.Record("2_b", ms[1].checksum, finished=True, rolled_back=True),
    ]
    pending, warnings = mig.plan(ms, records)
    assert [m.name for m in pending] == ["2_b", "3_c"]
    assert warnings == []


def test_plan_refuses_after_a_failed_attempt_like_prisma_p3009(tmp_path: Path) -> None:
    ms = mig.read_migrations(_tree(tmp_path, ["1_a", "2_b"]))
    records = [mig.Record("2_b", ms[1].checksum, finished=False, rolled_back=False)]
    with pytest.raises(mig.MigrationError, match="migration 2_b failed in an earlier attempt"):
        mig.plan(ms, records)


def test_plan_warns_on_changed_and_unknown_applied_migrations(tmp_path: Path) -> None:
    ms = mig.read_migrations(_tree(tmp_path, ["1_a"]))
    records = [
        mig.Record("1_a", "0" * 64, finished=True, rolled_back=False),
        mig.Record("9_newer", "1" * 64, finished=True, rolled_back=False),
    ]
    pending, warnings = mig.plan(ms, records)
    assert pending == []
    assert len(warnings) == 2
    assert "1_a was modified after it was applied" in warnings[0]
    assert "9_newer is recorded in the database but not shipped" in warnings[1]


def test_checksum_is_the_sha256_of_the_file_as_prisma_records_it(tmp_path: Path) -> None:
    import hashlib

    (m,) = mig.read_migrations(_tree(tmp_path, ["1_a"]))
    assert m.checksum == hashlib.sha256((tmp_path / "1_a/migration.sql").read_bytes()).hexdigest()


def test_no_database_url_exits_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert mig.main([]) == 1
    assert "DATABASE_URL is not set" in capsys.readouterr().err


def test_env_file_gives_the_url_the_last_assignment_winning(tmp_path: Path) -> None:
    env = tmp_path / "litellm.env"
    env.write_text(
        "# comment\nLITELLM_MASTER_KEY=sk-x\nDATABASE_URL=postgresql://a:b@h/old\n"
        "DATABASE_URL=postgresql://u:p=w@h:5432/db?sslmode=require\n"
    )
    assert mig.env_file_value(env, "DATABASE_URL") == "postgresql://u:p=w@h:5432/db?sslmode=require"
    assert mig.env_file_value(env, "MISSING") == ""


def test_env_file_without_the_url_exits_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://ignored@h/db")
    env = tmp_path / "litellm.env"
    env.write_text("LITELLM_MASTER_KEY=sk-x\n")
    assert mig.main(["--env-file", str(env)]) == 1
    assert f"DATABASE_URL is not set in {env}" in capsys.readouterr().err
