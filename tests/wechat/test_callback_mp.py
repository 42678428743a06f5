"""/wechat/mp: the Official Account callback, plain (signature) and safe (AES) mode."""

from __future__ import annotations

import time
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.api import flows
from tests.api.bpmn import single_approval
from tests.api.conftest import Stack, running_stack, unique
from tests.wechat.callbacks import (
    MP_AES_KEY,
    MP_TOKEN,
    MpCallbacks,
    quiet_history_length,
    signature,
    wechat_settings,
)
from tests.wechat.work_server import WorkServer


async def _bob_task(stack: Stack) -> tuple[str, dict[str, object]]:
    process_id = unique("wx_mp")
    await flows.deploy(stack, single_approval(process_id))
    async with stack.http("alice") as http:
        instance_id = await flows.start(http, process_id, variables={"manager": "bob"})
    async with stack.http("bob") as http:
        task = await flows.task_of(http, instance_id)
    async with stack.http("ops", ["admin"]) as admin:
        bound = await admin.put("/api/v1/wechat/bindings/mp:o-bob", json={"user": "bob"})
    assert bound.status_code == 201, bound.text
    return instance_id, task


async def test_plain_mode_verifies_and_a_bound_follower_approves(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with running_stack(temporal_env, settings) as stack:
        instance_id, task = await _bob_task(stack)
        mp = MpCallbacks(stack)
        ts, nonce = str(int(time.time())), "mp-verify"
        params = {"signature": signature(MP_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
        async with stack.http() as http:
            echo = await http.get("/wechat/mp", params={**params, "echostr": "e-42"})
            forged = await http.get(
                "/wechat/mp", params={**params, "signature": "0" * 40, "echostr": "e"}
            )

        stranger = await mp.say("o-stranger", f"approve {task['ref']}")
        approved = await mp.say("o-bob", f"approve {task['ref']} looks right")

        assert (echo.status_code, echo.text, forged.status_code) == (200, "e-42", 403)
        assert "not linked" in stranger
        assert approved.startswith("Approved"), approved
        async with stack.http("alice") as http:
            body = await flows.ended(http, instance_id)
        assert ("approved", "bob") in flows.events(body)


async def test_plain_mode_refuses_a_replayed_nonce(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with running_stack(temporal_env, settings) as stack:
        instance_id, task = await _bob_task(stack)
        mp = MpCallbacks(stack)
        before = await quiet_history_length(stack, instance_id)

        first = await mp.post(mp.text("o-bob", "hello"), nonce="mp-once")
        replayed = await mp.post(mp.text("o-bob", f"approve {task['ref']}"), nonce="mp-once")

        assert (first.status_code, replayed.status_code) == (200, 403)
        assert await quiet_history_length(stack, instance_id) == before


async def test_plain_mode_refuses_a_post_under_a_url_verifications_signature_and_nonce(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    # In plain mode the signature covers the token, timestamp and nonce, not the body: whoever
    # saw a verification's query could post any message under it within the clock skew.
    settings = wechat_settings(tmp_path, wechat_work_server.url)
    async with running_stack(temporal_env, settings) as stack:
        instance_id, task = await _bob_task(stack)
        mp = MpCallbacks(stack)
        before = await quiet_history_length(stack, instance_id)
        ts, nonce = str(int(time.time())), "mp-verify-then-post"
        params = {"signature": signature(MP_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
        message = mp.text("o-bob", f"approve {task['ref']}").encode()
        async with stack.http() as http:
            verified = await http.get("/wechat/mp", params={**params, "echostr": "e-7"})
            again = await http.get("/wechat/mp", params={**params, "echostr": "e-7"})
            posted = await http.post("/wechat/mp", params=params, content=message)

        assert (verified.status_code, verified.text) == (200, "e-7")
        assert (again.status_code, again.text) == (200, "e-7")  # WeChat retrying its check
        assert posted.status_code == 403, posted.text
        assert posted.json()["error"]["message"] == "replayed nonce"
        assert await quiet_history_length(stack, instance_id) == before


async def test_safe_mode_decrypts_and_encrypts_and_refuses_plain_messages(
    temporal_env: WorkflowEnvironment, tmp_path: Path, wechat_work_server: WorkServer
) -> None:
    settings = wechat_settings(tmp_path, wechat_work_server.url, wechat_mp_aes_key=MP_AES_KEY)
    async with running_stack(temporal_env, settings) as stack:
        instance_id, task = await _bob_task(stack)
        before = await quiet_history_length(stack, instance_id)
        plain = await MpCallbacks(stack).post(MpCallbacks(stack).text("o-bob", "驳回 x 理由"))
        assert plain.status_code == 403
        assert await quiet_history_length(stack, instance_id) == before
        mp = MpCallbacks(stack, aes_key=MP_AES_KEY)

        rejected = await mp.say("o-bob", f"驳回 {task['ref']} 超预算")

        assert rejected == f"已驳回：Manager approval（{task['ref']}）。"
        async with stack.http("alice") as http:
            body = await flows.ended(http, instance_id)
        assert body["outcome"] == "rejected"
