"""The labelled sets through the OpenAI-compatible path: the real ``openai`` client against the
local test server, whose model answers by reading the prompt it is sent. It proves the wiring:
each prompt carries the node's policy, the request and the examples; each structured answer is
parsed into the decision the report counts. (What a real model would decide is not measured here.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from activities.ai.evaluate import UNCLEAR, evaluate
from activities.ai.openai_provider import OpenAiProvider
from activities.ai.request_text import request_text
from tests.ai.conftest import openai_settings
from tests.ai.fake_openai import FakeOpenAi, Reply, answer
from tests.ai.labelled import SETS, LabelledSet, labelled_set, routing_set

READER = "prompt-reader"


def _reader(labelled: LabelledSet, seen: list[str]) -> Any:
    """A model that finds the request in the prompt and answers what people decided on it
    (abstain on the unclear ones), in the structured-output shape."""
    labels = {request_text(c.variables, labelled.spec.request): c.label for c in labelled.cases}

    def read(body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        seen.append(prompt)
        found = re.search(r"Request:\n(.*?)\n(?:\nDocument|\nEarlier|\nPaths|\n\n|$)", prompt, re.S)
        label = labels.get(found.group(1).strip()) if found else None
        if label is None:
            return Reply(content=json.dumps({"decision": "nonsense"}))  # fails the schema
        if label == UNCLEAR:
            return answer("abstain", 0.3, "The policy does not settle it.")
        return answer(label, 0.9, "Read from the request.", risk_flags=[])

    return read


@pytest.mark.parametrize("name", [*sorted(SETS), "routing"])
async def test_each_set_goes_through_the_openai_path_with_what_the_prompt_must_carry(
    tmp_path: Path, fake_openai: FakeOpenAi, name: str
) -> None:
    labelled = routing_set("dev") if name == "routing" else labelled_set(name, "dev")
    seen: list[str] = []
    fake_openai.read_with(READER, _reader(labelled, seen))
    provider = OpenAiProvider(openai_settings(tmp_path, fake_openai, ai_model=READER))
    try:
        report = await evaluate(provider, labelled.node, labelled.spec, labelled.cases)
    finally:
        await provider.aclose()
    assert len(seen) == len(labelled.cases) == fake_openai.calls(READER)
    for case, prompt in zip(labelled.cases, seen, strict=True):
        assert request_text(case.variables, labelled.spec.request) in prompt
        if labelled.spec.policy:
            assert f"The policy to apply:\n{labelled.spec.policy.strip()}" in prompt
        for example in labelled.spec.examples:
            assert f"- {example.decision}: {example.text}" in prompt
        for option in labelled.node.options:
            assert f"- {option.flow_id}: {option.name}" in prompt
    row = report.at(labelled.spec.threshold)
    assert (row.coverage, row.precision, report.agreement) == (1.0, 1.0, 1.0)
    unclear = [a for a in report.answers if a.case.label == UNCLEAR]
    assert unclear and all(a.decision == "abstain" for a in unclear)
