"""Prompts: a sandboxed Jinja template over the instance variables and document text.

The template is either the node's ``prompt`` or the default of its kind; which one rendered a
prompt is ``template_version`` ("default-review@1", "custom:<sha8>"), and ``prompt_hash`` is the
sha256 of the rendered text (both go into the timeline; the prompt itself never does).

:func:`request_text` is "the request" as prompts show it; :func:`request_values` is what the
offline reviewer embeds, rendered the same way for new requests and for archived precedents, so
both sides are compared like for like.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2.sandbox import SandboxedEnvironment
from temporalio.exceptions import ApplicationError

from activities.ai.schema import PROMPT_ERROR
from shenpi.blobs import BlobNotFound, BlobStore, document_id_of
from workflows.contracts import AiReviewInput

# Variables the engine sets for itself: not part of what the requester asked.
ENGINE_KEYS = frozenset({"approved", "decision", "initiator", "outcome", "comment"})
ENGINE_PREFIXES = ("ai_",)
DOCUMENT_CHARS = 8_000  # per document: enough for an invoice or a contract's first pages
DOCUMENTS_CHARS = 24_000  # all documents of one prompt together
VALUE_CHARS = 2_000  # one variable in the request text

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
    "exclusive": (
        "default-route@1",
        "Pick the path a request of process {{ process_id }} should take at "
        '"{{ node.name or node.id }}".\n\nRequest:\n{{ request }}\n'
        '{% for doc in documents %}\nDocument "{{ doc.variable }}" ({{ doc.kind }}):\n'
        "{{ doc.text }}\n{% endfor %}\nPaths:\n"
        "{% for o in options %}- {{ o.flow_id }}: {{ o.name or '' }}"
        "{% if o.documentation %} ({{ o.documentation }}){% endif %}\n{% endfor %}\n"
        'Answer with JSON only: "decision" (the id of the path, or abstain when none fits), '
        '"confidence" (0 to 1), "advice" (why), "extracted" (name/value pairs you read) and '
        '"risk_flags" (short snake_case labels, empty when none).',
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
    request: str  # request_text(variables): what the offline reviewer compares


def template_for(input: AiReviewInput) -> tuple[str, str]:
    """``(template_version, template)`` for this node: its own prompt or its kind's default."""
    if input.spec.prompt:
        digest = hashlib.sha256(input.spec.prompt.encode()).hexdigest()
        return f"custom:{digest[:8]}", input.spec.prompt
    kind = "exclusive" if input.purpose == "route" else input.node_kind
    return DEFAULT_TEMPLATES[kind]


def render(input: AiReviewInput, documents: list[Document]) -> RenderedPrompt:
    """Render the node's template in the sandbox; a non-retryable ``AiPromptError`` if it cannot."""
    version, template = template_for(input)
    request = request_text(input.variables)
    context: dict[str, Any] = {
        **{k: v for k, v in input.variables.items() if isinstance(k, str)},
        "variables": input.variables,
        "request": request,
        "documents": documents,
        "node": {"id": input.node_id, "name": input.node_name, "kind": input.node_kind},
        "process_id": input.process_id,
        "options": [o.model_dump() for o in input.options],
        "examples": [e.model_dump() for e in input.spec.examples],
    }
    try:
        text = _environment().from_string(template).render(context)
    # Rendering is deterministic: whatever fails (syntax, a sandbox violation, a range over the
    # sandbox's bound, a division by zero) fails every attempt alike, so it is not retried.
    except Exception as err:
        raise ApplicationError(
            f"the prompt template cannot render: {type(err).__name__}: {err}",
            type=PROMPT_ERROR,
            non_retryable=True,
        ) from None
    return RenderedPrompt(text, version, hashlib.sha256(text.encode()).hexdigest(), request)


def _environment() -> SandboxedEnvironment:
    # No loader: a template cannot include files; autoescape off: this is text for a model, not
    # HTML; the default Undefined renders a missing variable as nothing.
    return SandboxedEnvironment(autoescape=False, loader=None, keep_trailing_newline=True)


def request_text(variables: dict[str, Any]) -> str:
    """The requester's variables as ``name: value`` lines, sorted, engine keys and documents out."""
    return "\n".join(f"{name}: {shown}" for name, shown in _request_items(variables))


def request_values(variables: dict[str, Any]) -> str:
    """The same variables as their values only, in the same order: the text the offline
    reviewer embeds. Without the names it reads like a sentence, so it compares well with
    free-text precedents (``<shenpi:example>``) and chat messages as well as with other requests."""
    return " ".join(shown for _, shown in _request_items(variables))


def _request_items(variables: dict[str, Any]) -> list[tuple[str, str]]:
    items = []
    for name in sorted(k for k in variables if isinstance(k, str)):
        value = variables[name]
        if name in ENGINE_KEYS or name.startswith(ENGINE_PREFIXES) or _is_document(value):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        items.append((name, shown[:VALUE_CHARS]))
    return items


def _is_document(value: Any) -> bool:
    return (isinstance(value, dict) and "text_ref" in value) or document_id_of(value) is not None


async def load_documents(
    open_store: Callable[[], BlobStore], variables: dict[str, Any]
) -> list[Document]:
    """The text of every variable value with a ``text_ref`` (OCR output), truncated to bounds.

    The store is opened only when a variable refers to a text: most reviews have none."""
    documents: list[Document] = []
    budget = DOCUMENTS_CHARS
    for name in sorted(k for k in variables if isinstance(k, str)):
        value = variables[name]
        if not (isinstance(value, dict) and isinstance(value.get("text_ref"), str)):
            continue
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
