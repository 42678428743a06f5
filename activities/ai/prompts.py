"""Prompts: a sandboxed Jinja template over the instance variables and document text.

The template is either the node's full template (``AiSpec.prompt``) or the default of its kind,
which shows the node's policy (``AiSpec.policy``), the request, its documents and the examples;
which one rendered a prompt is ``template_version`` ("default-review@2", "custom:<sha8>"), and
``prompt_hash`` is the sha256 of the rendered text (both go into the timeline; the prompt itself
never does).

The context's ``request`` is :func:`activities.ai.request_text.request_text`: the node's
``request`` template, or every request variable as ``name: value`` lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from activities.ai.request_text import request_text
from activities.ai.sandbox import render_sandboxed
from shenpi.blobs import BlobNotFound, BlobStore
from shenpi_core.contracts import AiReviewInput
from shenpi_core.process_plan import AiExample

DOCUMENT_CHARS = 8_000  # per document: enough for an invoice or a contract's first pages
DOCUMENTS_CHARS = 24_000  # all documents of one prompt together
DOCUMENT_DEPTH = 3  # how deep in nested variables a text reference is looked for

REVIEW_INSTRUCTIONS = """\
Answer with JSON only: "decision" (approve, reject, or abstain when you cannot tell), \
"confidence" (0 to 1), "advice" (one or two sentences for the approver: why), "extracted" (fields \
you read from the request and documents, as name/value pairs) and "risk_flags" (short snake_case \
labels such as amount_exceeds_limit or missing_receipt; empty when none)."""

_REVIEW_BODY = """\
Request:
{{ request }}
{% for doc in documents %}
Document "{{ doc.variable }}" ({{ doc.kind }}):
{{ doc.text }}
{% endfor %}{% if examples %}
Earlier decisions on similar requests:
{% for ex in examples %}- {{ ex.decision }}: {{ ex.text }}
{% endfor %}{% endif %}
"""

_ROUTE_PATHS = (
    "Pick the path a request of process {{ process_id }} should take at "
    '"{{ node.name or node.id }}".\n\nRequest:\n{{ request }}\n'
    '{% for doc in documents %}\nDocument "{{ doc.variable }}" ({{ doc.kind }}):\n'
    "{{ doc.text }}\n{% endfor %}\nPaths:\n"
    "{% for o in options %}- {{ o.flow_id }}: {{ o.name or '' }}"
    "{% if o.documentation %} ({{ o.documentation }}){% endif %}\n{% endfor %}"
)
_ROUTE_ANSWER = (
    'Answer with JSON only: "decision" (the id of the path, or abstain when none fits), '
    '"confidence" (0 to 1), "advice" (why), "extracted" (name/value pairs you read) and '
    '"risk_flags" (short snake_case labels, empty when none).'
)
# A route's examples: requests people sent down each path (``<shenpi:example decision="<flow
# id>">``); shown only by versions 3 and 4, so a node without them renders as before.
_ROUTE_EXAMPLES = """
Requests routed before:
{% for ex in examples %}- {{ ex.decision }}: {{ ex.text }}
{% endfor %}"""

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "user_task": (
        "default-review@1",
        "You review an approval request of process {{ process_id }} before the task "
        '"{{ node.name or node.id }}" goes to its approvers. '
        "Recommend approving or rejecting it.\n\n" + _REVIEW_BODY + "\n" + REVIEW_INSTRUCTIONS,
    ),
    "service_task": (
        "default-service-review@1",
        "You check a request of process {{ process_id }} in the automated step "
        '"{{ node.name or node.id }}". '
        "Approve it when it is in order, reject it when it is not.\n\n"
        + _REVIEW_BODY
        + "\n"
        + REVIEW_INSTRUCTIONS,
    ),
    "exclusive": ("default-route@1", _ROUTE_PATHS + "\n" + _ROUTE_ANSWER),
}


# With a policy (the node's ``prompt``) the default templates gain a policy section: version 2.
# Without one a node keeps version 1, so plans compiled before policies render as they did.
_POLICY = """\
The policy to apply:
{{ policy }}

"""
POLICY_TEMPLATES: dict[str, tuple[str, str]] = {
    "user_task": (
        "default-review@2",
        "You review an approval request of process {{ process_id }} before the task "
        '"{{ node.name or node.id }}" goes to its approvers. '
        "Recommend approving or rejecting it by the policy below; abstain when the policy and "
        "the request do not settle it.\n\n" + _POLICY + _REVIEW_BODY + "\n" + REVIEW_INSTRUCTIONS,
    ),
    "service_task": (
        "default-service-review@2",
        "You check a request of process {{ process_id }} in the automated step "
        '"{{ node.name or node.id }}". '
        "Approve it when the policy below allows it, reject it when it does not.\n\n"
        + _POLICY
        + _REVIEW_BODY
        + "\n"
        + REVIEW_INSTRUCTIONS,
    ),
    "exclusive": (
        "default-route@2",
        _POLICY.replace("The policy to apply", "How to route") + DEFAULT_TEMPLATES["exclusive"][1],
    ),
}
ROUTE_EXAMPLE_TEMPLATES: dict[bool, tuple[str, str]] = {  # by: has a policy
    False: ("default-route@3", _ROUTE_PATHS + _ROUTE_EXAMPLES + "\n" + _ROUTE_ANSWER),
    True: (
        "default-route@4",
        _POLICY.replace("The policy to apply", "How to route")
        + _ROUTE_PATHS
        + _ROUTE_EXAMPLES
        + "\n"
        + _ROUTE_ANSWER,
    ),
}


@dataclass(frozen=True)
class Document:
    """A document's text in the template context: ``{{ doc }}`` is its text, ``{{ doc.kind }}``
    and ``{{ doc.variable }}`` say what it is."""

    variable: str
    kind: str
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class RenderedPrompt:
    text: str
    template_version: str
    prompt_hash: str
    request: str  # request_text(variables): the request as the prompt shows it


def template_for(input: AiReviewInput) -> tuple[str, str]:
    """``(template_version, template)`` for this node: its own full template, or its kind's
    default (version 2, with a policy section, when the node has a policy)."""
    if input.spec.prompt:
        digest = hashlib.sha256(input.spec.prompt.encode()).hexdigest()
        return f"custom:{digest[:8]}", input.spec.prompt
    kind = "exclusive" if input.purpose == "route" else input.node_kind
    if kind == "exclusive" and routed_examples(input):
        return ROUTE_EXAMPLE_TEMPLATES[bool(input.spec.policy)]
    return (POLICY_TEMPLATES if input.spec.policy else DEFAULT_TEMPLATES)[kind]


def routed_examples(input: AiReviewInput) -> list[AiExample]:
    """A route's examples that name one of its flows (plans compiled before routes took
    examples may carry approve/reject ones, which a route never read)."""
    flows = {o.flow_id for o in input.options}
    return [e for e in input.spec.examples if e.decision in flows]


def render(input: AiReviewInput, documents: list[Document]) -> RenderedPrompt:
    """Render the node's template in the sandbox; a non-retryable ``AiPromptError`` if it cannot."""
    version, template = template_for(input)
    request = request_text(input.variables, input.spec.request)
    context: dict[str, Any] = {
        **{k: v for k, v in input.variables.items() if isinstance(k, str)},
        "variables": input.variables,
        "request": request,
        "documents": documents,
        "node": {"id": input.node_id, "name": input.node_name, "kind": input.node_kind},
        "process_id": input.process_id,
        "options": [o.model_dump() for o in input.options],
        "examples": [
            e.model_dump()
            for e in (routed_examples(input) if input.purpose == "route" else input.spec.examples)
        ],
    }
    # The policy is a template too ("under {{ limit }} CNY"), over the same context.
    policy = input.spec.policy
    context["policy"] = render_sandboxed(policy, context, what="prompt").strip() if policy else ""
    text = render_sandboxed(template, context, what="prompt")
    return RenderedPrompt(text, version, hashlib.sha256(text.encode()).hexdigest(), request)


async def load_documents(
    open_store: Callable[[], BlobStore], variables: dict[str, Any]
) -> list[Document]:
    """The text of every value with a ``text_ref`` (OCR output), truncated to bounds: found in
    the variables and in objects nested in them (``receipt_ocr.ocr``), up to ``DOCUMENT_DEPTH``.

    The store is opened only when a variable refers to a text: most reviews have none."""
    documents: list[Document] = []
    budget = DOCUMENTS_CHARS
    for name, value in text_refs(variables):
        if budget <= 0:
            break
        store = open_store()
        try:
            data = await store.get(value["text_ref"])
        except BlobNotFound:
            text = ""  # a dangling reference: review the rest rather than fail every attempt
        else:
            text = data.decode("utf-8", errors="replace")[: min(DOCUMENT_CHARS, budget)]
        budget -= len(text)
        documents.append(Document(name, str(value.get("kind", "document")), text))
    return documents


def text_refs(
    values: dict[str, Any], *, prefix: str = "", depth: int = DOCUMENT_DEPTH
) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(dotted name, object)`` of each object with a ``text_ref``, in sorted key order,
    depth first; a result variable often holds its OCR output one or two levels down."""
    for name in sorted(k for k in values if isinstance(k, str)):
        value = values[name]
        if not isinstance(value, dict):
            continue
        if isinstance(value.get("text_ref"), str):
            yield f"{prefix}{name}", value
        elif depth > 1:
            yield from text_refs(value, prefix=f"{prefix}{name}.", depth=depth - 1)
