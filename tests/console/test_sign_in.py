"""Production sign-in: OpenID Connect with PKCE, and WeChat's in-app browsers (网页授权).

A real API (production settings, trusting the local identity provider's JWKS), the local OpenID
provider, the local WeChat Work and Official Account servers the WeChat tests use, and Chromium.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, expect

from api.main import create_app
from shenpi.auth_tokens import mint_token
from shenpi.settings import Settings
from tests.console.conftest import serious_violations
from tests.console.identity_provider import CLIENT_ID, IdentityProvider, identity_provider
from tests.helpers import REPO_ROOT
from tests.wechat import mp_server, work_server

SECRET = "console-sign-in-tests-secret-long-enough"
WECHAT_WORK_UA = "Mozilla/5.0 (Linux; Android 14) Mobile wxwork/4.1.30 MicroMessenger/7.0.1"
WECHAT_UA = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile MicroMessenger/8.0.50 NetType/WIFI"
TASK_PATH = "/ui/instances/purchase-approval:PO-7/tasks/Task_ManagerApproval-1"


@dataclass(frozen=True)
class Production:
    url: str
    provider: IdentityProvider
    work: work_server.WorkServer
    mp: mp_server.MpServer


@contextmanager
def serve_in_thread(app: Any, sock: socket.socket) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    with (
        identity_provider() as provider,
        work_server.work_server() as work,
        mp_server.mp_server() as mp,
    ):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))  # bound first: WeChat's redirect URI needs the public URL
        port = sock.getsockname()[1]
        settings = Settings(
            env="production",
            data_dir=tmp_path_factory.mktemp("production"),
            jwt_secret=SECRET,  # signs the tokens of WeChat sign-ins
            jwt_jwks_url=provider.jwks_url,  # trusts the identity provider's ID tokens
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            temporal_address="127.0.0.1:1",  # lazy: these stories never reach Temporal
            payload_encryption=False,  # ... nor any payload
            directory_file=REPO_ROOT / "processes" / "directory.yaml",
            public_url=f"http://127.0.0.1:{port}",
            wechat_oauth_authorize_url=f"{provider.issuer}/wechat/authorize",
            wechat_work_corp_id=work_server.CORP_ID,
            wechat_work_secret=work_server.SECRET,
            wechat_work_agent_id=work_server.AGENT_ID,
            wechat_work_api_base=work.url,
            wechat_mp_app_id=mp_server.APP_ID,
            wechat_mp_secret=mp_server.SECRET,
            wechat_mp_api_base=mp.url,
        )
        codes = {"code-bob": "bob", "code-outsider": ""}
        work.routes[("GET", "auth/getuserinfo")] = lambda q, _: (
            work.token_error(q)
            or ({"errcode": 0, "userid": codes[q["code"]]} if codes.get(q["code"]) else
                {"errcode": 0, "openid": "o-not-a-member"})
        )  # fmt: skip
        openids = {"code-follower": "oFOLLOWER", "code-stranger": "oSTRANGER"}
        mp.routes[("GET", "/sns/oauth2/access_token")] = lambda q, _: (
            {"errcode": 40029, "errmsg": "invalid code"}
            if q.get("secret") != mp_server.SECRET or q["code"] not in openids
            else {"access_token": "web-token", "openid": openids[q["code"]], "scope": "snsapi_base"}
        )
        app = create_app(settings)
        with serve_in_thread(app, sock) as url:
            admin = mint_token("ops", ["admin"], secret=SECRET)
            bound = httpx.put(
                f"{url}/api/v1/wechat/bindings/mp:oFOLLOWER",
                json={"user": "erin"},
                headers={"Authorization": f"Bearer {admin}"},
            )
            assert bound.status_code == 201, bound.text
            yield Production(url, provider, work, mp)


def test_single_sign_on_with_pkce_returns_to_the_page_asked_for(
    browser: Browser, production: Production
) -> None:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{production.url}/ui/definitions")
    assert serious_violations(page) == []
    page.get_by_test_id("sign-in-sso").click()
    expect(page.get_by_test_id("signed-in-user")).to_have_text("grace")
    expect(page).to_have_url(f"{production.url}/ui/definitions")
    # The API trusts the provider's RS256 ID token: the page's API calls succeed.
    expect(page.get_by_test_id("definitions")).to_be_visible()
    expect(page.get_by_test_id("error-message")).to_have_count(0)
    assert (production.provider.tokens_issued, production.provider.refusals) == (1, [])
    token = page.evaluate("() => sessionStorage.getItem('shenpi.token')")
    assert token.count(".") == 2 and "code=" not in page.url
    context.close()


def test_a_card_link_in_wechat_work_signs_the_approver_in_and_opens_the_task(
    browser: Browser, production: Production
) -> None:
    production.provider.wechat_code = "code-bob"
    context = browser.new_context(
        locale="zh-CN", user_agent=WECHAT_WORK_UA, viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.goto(f"{production.url}{TASK_PATH}")
    expect(page.get_by_test_id("signed-in-user")).to_have_text("bob")
    expect(page).to_have_url(f"{production.url}{TASK_PATH}")
    assert production.work.calls_to("auth/getuserinfo")
    context.close()


def test_a_bound_official_account_follower_is_signed_in_and_a_stranger_is_told_why(
    browser: Browser, production: Production
) -> None:
    context = browser.new_context(locale="en-US", user_agent=WECHAT_UA)
    page = context.new_page()
    production.provider.wechat_code = "code-follower"
    page.goto(f"{production.url}/ui/requests")
    expect(page.get_by_test_id("signed-in-user")).to_have_text("erin")
    expect(page).to_have_url(f"{production.url}/ui/requests")
    context.close()

    context = browser.new_context(locale="en-US", user_agent=WECHAT_UA)
    page = context.new_page()
    production.provider.wechat_code = "code-stranger"
    page.goto(f"{production.url}/ui/requests")
    expect(page.get_by_test_id("sign-in-failure")).to_contain_text("not linked")
    expect(page.get_by_test_id("signed-in-user")).to_have_count(0)
    context.close()


def test_a_wechat_answer_for_another_tab_is_refused(production: Production) -> None:
    """The API hands the token back only with the state it was given; the console checks it."""
    production.provider.wechat_code = "code-bob"
    answer = httpx.get(
        f"{production.url}/wechat/oauth/work", params={"code": "code-bob", "state": "abc123"}
    )
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith("/ui/#token=") and location.endswith("&state=abc123")
    no_state = httpx.get(f"{production.url}/wechat/oauth/work", params={"code": "code-bob"})
    assert no_state.headers["location"] == "/ui/#error=wechat_refused"
    outsider = httpx.get(
        f"{production.url}/wechat/oauth/work", params={"code": "code-outsider", "state": "s1"}
    )
    assert outsider.headers["location"] == "/ui/#error=wechat_refused&state=s1"


def test_dev_sign_in_is_not_offered_in_production(production: Production) -> None:
    config = httpx.get(f"{production.url}/api/v1/console/config").json()
    assert config["dev_sign_in"] is False
    assert config["oidc"] == {
        "issuer": production.provider.issuer,
        "client_id": CLIENT_ID,
        "scopes": "openid profile",
    }
    assert config["wechat_work_oauth"].startswith(
        f"{production.provider.issuer}/wechat/authorize?appid="
    )
    refused = httpx.post(f"{production.url}/api/v1/console/dev-token", json={"user": "alice"})
    assert refused.status_code == 403
