"""Which primary keys does an OpenPGP key file hold? (from `gpg --show-keys --with-colons`)

A repository key is trusted only when the file holds exactly one primary key and that key is the
pinned one: apt's Signed-By and rpm --import trust *every* key of the file, so a file with the real
key plus a second one would let the second sign the repository. Subkeys (`sub`/`ssb` records) belong
to their primary and are allowed.
"""

from __future__ import annotations

from typing import Any

PRIMARY_RECORDS = ("pub", "sec")


def openpgp_primary_fingerprints(colons: str) -> list[str]:
    """Fingerprints of the primary keys, in file order.

    In the colon listing a key block starts with a `pub` (or `sec`) record; the first `fpr` record
    after it is the primary's fingerprint (field 10); `fpr` records after `sub`/`ssb` are subkeys'.
    """
    fingerprints: list[str] = []
    awaiting_primary = False
    for line in colons.splitlines():
        fields = line.split(":")
        record = fields[0]
        if record in PRIMARY_RECORDS:
            awaiting_primary = True
        elif record in ("sub", "ssb"):
            awaiting_primary = False
        elif record == "fpr" and awaiting_primary and len(fields) > 9:
            fingerprints.append(fields[9].upper())
            awaiting_primary = False
    return fingerprints


def openpgp_key_problem(colons: str, pinned: str) -> str:
    """Empty when the listing is exactly one primary key, the pinned one; else what is wrong."""
    found = openpgp_primary_fingerprints(colons)
    if found == [pinned.upper()]:
        return ""
    if not found:
        return "holds no OpenPGP primary key"
    listed = ", ".join(found)
    return f"holds {len(found)} primary key(s), {listed}; it must hold exactly one, {pinned.upper()}"


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "openpgp_primary_fingerprints": openpgp_primary_fingerprints,
            "openpgp_key_problem": openpgp_key_problem,
        }
