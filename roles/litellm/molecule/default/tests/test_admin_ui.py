"""litellm role's admin UI (litellm_ui_enabled, converge.yml), in a real headless browser: Debian's
chromium driven by Playwright from the controller, through the ingress (HTTPS on the container's
address). The master key does not sign in; the generated admin password does, and the declared keys
are listed.

The UI is off in the sandbox (the e2e tier runs this directory against it; tests/e2e/test_sandbox.py
asserts that nobody can sign in there), so these tests run in the role's scenario only.
"""

import os
import shutil
from pathlib import Path

import pytest

EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.skipif(
        not EPHEMERAL,
        reason="the admin UI is enabled in the litellm scenario only (off in the sandbox of the e2e tier)",
    ),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (apt install chromium; CI does)",
    ),
]

SECRETS = Path(EPHEMERAL) / "inventory" / ".secrets"


@pytest.fixture(scope="module")
def page(host):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        # The gateway's certificate is signed by the scenario's generated CA, which the browser's
        # own store does not hold (the CA itself is tested in test_default.py).
        context = browser.new_context(ignore_https_errors=True)
        yield context.new_page()
        browser.close()


def _login(page, host, password):
    address = host.interface("eth0").addresses[0]
    page.goto(f"https://{address}/ui/", timeout=60_000)
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Login", exact=True).click()


def test_the_master_key_does_not_sign_in(page, host):
    master_key = "sk-" + (SECRETS / "litellm_master_key").read_text().strip()
    _login(page, host, master_key)
    page.get_by_text("Invalid credentials").first.wait_for(timeout=30_000)
    assert "/ui/login" in page.url


def test_the_generated_password_signs_in_and_the_declared_keys_are_listed(page, host):
    password_file = SECRETS / "litellm_ui_password"
    assert password_file.stat().st_mode & 0o077 == 0
    _login(page, host, password_file.read_text().strip())
    page.get_by_text("Virtual Keys", exact=True).first.click(timeout=60_000)
    for alias in ("app", "budget-tiny", "rpm-one"):
        page.get_by_text(alias, exact=True).first.wait_for(timeout=60_000)
    assert "/ui/" in page.url


_SIGN_IN_FROM_THE_HOST = """
import ssl, sys, urllib.error, urllib.parse, urllib.request
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None
context = ssl.create_default_context(cafile="/etc/haproxy/tls/ca.crt")
opener = urllib.request.build_opener(Stay, urllib.request.HTTPSHandler(context=context))
body = urllib.parse.urlencode({"username": "admin", "password": sys.argv[1]}).encode()
try:
    print(opener.open("https://127.0.0.1/login", data=body, timeout=60).status)
except urllib.error.HTTPError as err:
    print(err.code)
"""


def test_failed_sign_ins_block_that_client_only(host):
    """Ten failed sign-ins from the controller (through the ingress, which forwards its address)
    block the controller's sign-ins; another client (the host itself, also through the ingress)
    still signs in. Without litellm_trusted_proxy_ranges every client would have the ingress's
    address and be blocked together. Runs last: the controller stays blocked for 5 minutes."""
    import httpx

    address = host.interface("eth0").addresses[0]
    statuses = []
    with httpx.Client(verify=False, timeout=60) as client:
        for _ in range(12):
            wrong = {"username": "admin", "password": "wrong"}
            response = client.post(f"https://{address}/login", data=wrong)
            statuses.append(response.status_code)
            if response.status_code == 429:
                break
    assert statuses[0] == 401, statuses
    assert statuses[-1] == 429, statuses
    password = (SECRETS / "litellm_ui_password").read_text().strip()
    assert host.check_output("python3 -c %s %s", _SIGN_IN_FROM_THE_HOST, password) == "303"
