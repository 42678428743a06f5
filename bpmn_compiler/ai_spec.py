"""The values of one ``<shenpi:ai>``: attributes, prompt and examples → ``AiSpec`` fields.

Reports every value that cannot run as written (``ai-attribute``, ``ai-prompt-syntax``) and warns
about what it does not read (``ignored-ai-attribute``). Where the element sits (placement, the
mode it allows, separation of duties, routes) is ``rules_ai``'s job.
"""

from __future__ import annotations

import math

from bpmn_compiler.diagnostics import Diagnostic
from bpmn_compiler.memo import current
from bpmn_compiler.model import FlowNode, RawAi, RawText, whole_number
from bpmn_compiler.rules_flow import diag
from bpmn_compiler.simple_templates import simple_names
from bpmn_compiler.timers import TimerSyntaxError, duration_seconds

MODES = ("advise", "decide", "route", "shadow")
FALLBACKS = ("manual", "approve", "reject")
DECISIONS = ("approve", "reject")
KNOWN_ATTRIBUTES = (
    "mode",
    "threshold",
    "fallback",
    "prompt",
    "template",
    "request",
    "model",
    "timeout",
    "retries",
)
KNOWN_CHILDREN = ("shenpi:prompt", "shenpi:template", "shenpi:example")


def _parsed(text: str) -> object:
    """Jinja's parse of ``text`` (its AST, or the error), once per compile: the check rules and
    ``plan`` both read every template."""
    memo = current()
    if memo is not None and text in memo.templates:
        return memo.templates[text]
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    result: object
    try:
        result = SandboxedEnvironment().parse(text)
    except (TemplateSyntaxError, RecursionError) as err:
        result = err
    if memo is not None:
        memo.templates[text] = result
    return result


def prompt_problem(node: FlowNode, raw: RawText) -> Diagnostic | None:
    """Jinja's own complaint about a template, at the file line it points to (parsing is pure)."""
    if simple_names(raw.text) is not None:
        return None  # it parses: no need to load Jinja
    from jinja2 import TemplateSyntaxError

    err = _parsed(raw.text)
    if isinstance(err, TemplateSyntaxError):
        line = raw.line + err.lineno - 1 if raw.line is not None else node.line
        return diag(
            "ai-prompt-syntax",
            f"the prompt template does not parse: {err.message} (template line {err.lineno})",
            node,
            line=line,
        )
    if isinstance(err, RecursionError):  # Jinja's parser recurses per nesting level
        return diag("ai-prompt-syntax", "the prompt template nests too deeply", node, line=raw.line)
    return None


# What a template may show that carries nothing of the request itself.
_NOT_REQUEST = frozenset({"node", "process_id", "options", "examples", "policy", "range", "loop"})


def shows_request(template: str) -> bool:
    """Whether a (parsing) template names anything of the request: ``request``, ``documents``,
    ``variables`` or any instance variable (a name the template does not define itself)."""
    simple = simple_names(template)
    if simple is not None:
        return bool(simple - _NOT_REQUEST)
    from jinja2 import meta, nodes

    parsed = _parsed(template)
    if not isinstance(parsed, nodes.Template):
        return True  # prompt_problem reports it: no second word about it
    return bool(meta.find_undeclared_variables(parsed) - _NOT_REQUEST)


class AiReader:
    """Reads one ``<shenpi:ai>``, collecting diagnostics instead of stopping at the first."""

    def __init__(self, node: FlowNode, raw: RawAi, routes: tuple[str, ...] | None = None) -> None:
        self.node, self.raw = node, raw
        self.routes = routes  # an AI-routed gateway's outgoing flows: what its examples name
        self.found: list[Diagnostic] = []
        self.spec: dict[str, object] = {}

    def problem(self, message: str, line: int | None, code: str = "ai-attribute") -> None:
        self.found.append(diag(code, message, self.node, line=line or self.raw.line))

    def read(self) -> None:
        attrs = self.raw.attributes
        for name, raw in attrs.items():
            if name not in KNOWN_ATTRIBUTES:
                self.ignored(f"attribute {name!r}", KNOWN_ATTRIBUTES, raw.line)
        for child in self.raw.unknown_children:
            self.ignored(f"child <{child.text}>", KNOWN_CHILDREN, child.line)
        for name, field, allowed in (("mode", "mode", MODES), ("fallback", "fallback", FALLBACKS)):
            if name in attrs:
                self.choice(name, field, attrs[name], allowed)
        if "threshold" in attrs:
            self.threshold(attrs["threshold"])
        if "timeout" in attrs:
            self.timeout(attrs["timeout"])
        if "retries" in attrs:
            self.retries(attrs["retries"])
        if "model" in attrs:
            if attrs["model"].text:
                self.spec["model"] = attrs["model"].text
            else:
                self.problem("model is empty (leave it out for the configured model)", None)
        self.prompt(attrs.get("prompt"))
        if "request" in attrs:
            self.request(attrs["request"])
        self.examples()

    def advise_fallback(self) -> None:
        """In ``advise`` mode people decide every time: a failing model must not decide instead.

        Called once the mode is known (a user task left without one advises).
        """
        fallback = self.spec.get("fallback")
        mode = self.spec.get("mode")
        if mode in ("advise", "shadow") and fallback in DECISIONS:
            self.problem(
                f'fallback="{fallback}" would decide this task without a person when the AI'
                f' fails, but mode="{mode}" leaves every decision to people; write'
                ' fallback="manual" (or mode="decide")',
                self.raw.attributes["fallback"].line,
            )

    def ignored(self, what: str, known: tuple[str, ...], line: int | None) -> None:
        self.found.append(
            diag(
                "ignored-ai-attribute",
                f"shenpi:ai {what} is ignored (known: {', '.join(known)})",
                self.node,
                line=line or self.raw.line,
                severity="warning",
            )
        )

    def choice(self, name: str, field: str, raw: RawText, allowed: tuple[str, ...]) -> None:
        if raw.text in allowed:
            self.spec[field] = raw.text
        else:
            self.problem(f"{name}={raw.text!r} is not one of {', '.join(allowed)}", raw.line)

    def threshold(self, raw: RawText) -> None:
        try:
            value = float(raw.text)
        except ValueError:
            value = math.nan
        if not 0 <= value <= 1:  # also false for nan
            self.problem(
                f"threshold={raw.text!r} must be a number from 0 to 1 (e.g. 0.8)", raw.line
            )
        else:
            self.spec["threshold"] = value

    def timeout(self, raw: RawText) -> None:
        try:
            self.spec["timeout_seconds"] = duration_seconds(raw.text)
        except TimerSyntaxError as err:
            self.problem(f"timeout: {err.message}", raw.line)

    def retries(self, raw: RawText) -> None:
        count = whole_number(raw.text)
        if count is None or count < 1:
            # Temporal reads 0 attempts as "retry forever": the fallback would never apply.
            self.problem(
                f"retries={raw.text!r} must be a whole number >= 1 (the attempts before the"
                " fallback applies; 9 digits at most)",
                raw.line,
            )
        else:
            self.spec["max_attempts"] = count

    def prompt(self, attribute: RawText | None) -> None:
        """The policy (``prompt``) goes into the default template; a ``template`` replaces it."""
        policy = self.template_of(attribute, self.raw.prompts, "prompt", "policy")
        if policy is not None:
            self.spec["policy"] = policy.text
        template = self.template_of(
            self.raw.attributes.get("template"), self.raw.templates, "template", "template"
        )
        if template is None:
            return
        self.spec["prompt"] = template.text
        if not shows_request(template.text):
            self.found.append(
                diag(
                    "ai-template-no-request",
                    "the template shows the model nothing of the request (no {{ request }},"
                    " {{ documents }}, {{ variables }} or request variable): every request gets"
                    ' the same answer; write the policy as prompt="..." to keep the default'
                    " template, or add {{ request }}",
                    self.node,
                    line=template.line or self.raw.line,
                    severity="warning",
                )
            )

    def template_of(
        self, attribute: RawText | None, children: list[RawText], name: str, what: str
    ) -> RawText | None:
        given = ([attribute] if attribute is not None else []) + children
        if len(given) > 1:
            first = f"a {name} attribute and" if attribute is not None else "more than one"
            self.problem(f"{first} <shenpi:{name}> child: write the {what} once", given[-1].line)
            return None
        if not given:
            return None
        if not given[0].text:
            self.problem(f"the {name} is empty (leave it out for the default template)", None)
            return None
        found = prompt_problem(self.node, given[0])
        if found is not None:
            self.found.append(found)
            return None
        return given[0]

    def request(self, raw: RawText) -> None:
        """The request text template: what precedents are compared with (``AiSpec.request``)."""
        if not raw.text:
            self.problem("request is empty (leave it out to compare all request variables)", None)
            return
        found = prompt_problem(self.node, raw)
        if found is not None:
            self.found.append(found)
        else:
            self.spec["request"] = raw.text

    def examples(self) -> None:
        examples = []
        for example in self.raw.examples:
            written = "no decision" if example.decision is None else repr(example.decision)
            if self.routes is not None and example.decision not in self.routes:
                self.problem(
                    f"shenpi:example has {written}; on an AI-routed gateway write the id of the"
                    f" flow such a request takes: {', '.join(self.routes)}",
                    example.line,
                )
            elif self.routes is None and example.decision not in DECISIONS:
                self.problem(
                    f'shenpi:example has {written}; write decision="approve" or decision="reject"',
                    example.line,
                )
            elif not example.text:
                self.problem(
                    "shenpi:example is empty: write the request it stands for", example.line
                )
            else:
                examples.append({"decision": example.decision, "text": example.text})
        if examples:
            self.spec["examples"] = tuple(examples)
