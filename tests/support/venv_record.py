"""What llm_service's venv.yml leaves in a virtualenv: the record of the requirement files it holds."""

from __future__ import annotations

RECORD = ".llm-onprem-requirements"


def assert_installed_from_its_requirements(host, venv: str) -> None:
    """The venv records the sha1 of each requirement file copied beside it (`<venv>-*.txt`): the record
    a later converge compares those files against before it runs pip (Molecule's idempotence step is
    the run that skips pip)."""
    record = host.file(f"{venv}/{RECORD}")
    assert record.is_file
    assert (record.user, record.mode) == ("root", 0o644)
    words = record.content_string.split()
    assert words[0] == "sha1"
    assert "no_deps" in words
    recorded = words[1 : words.index("no_deps")]
    copies = host.check_output("sha1sum %s-*.txt", venv).splitlines()
    assert sorted(recorded) == sorted(line.split()[0] for line in copies), (recorded, copies)
