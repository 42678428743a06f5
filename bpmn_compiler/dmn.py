"""DMN 1.3+ XML → ``DecisionPlan``: parse (hardened XML), read the DRG, check it, hash it.

The decision requirement graph's rules (``dmn_graph``) and the boxed expressions' readers
(``dmn_logic``) collect every diagnostic; one ``CompileError`` carries them all, as for BPMN.
Deploy time only: the workflow evaluates the plan (``shenpi_core.decisions``), never this XML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from bpmn_compiler.diagnostics import CompileError, Diagnostic
from bpmn_compiler.dmn_graph import check_graph, href_id
from bpmn_compiler.dmn_logic import LOGIC_PARSERS, Context, child, children, local, read_logic
from bpmn_compiler.safe_xml import DEFAULT_MAX_BYTES, XmlRejected, line_of, load
from shenpi_core.decision_plan import Decision, DecisionPlan, InputData, Knowledge


@dataclass(frozen=True)
class DmnCompileResult:
    plan: DecisionPlan  # hashed
    warnings: list[Diagnostic] = field(default_factory=list)


def compile_dmn(
    xml: bytes, *, source: str = "<upload>", max_bytes: int = DEFAULT_MAX_BYTES
) -> DmnCompileResult:
    """Compile one DMN file; raises ``CompileError`` with every diagnostic when it has errors."""
    try:
        root = load(xml, max_bytes=max_bytes)
    except XmlRejected as err:
        message = err.diagnostic.message.replace("BPMN files", "DMN files")
        raise CompileError([err.diagnostic.model_copy(update={"message": message})]) from None
    namespace = etree.QName(root).namespace or ""
    if local(root) != "definitions" or "/spec/DMN/" not in namespace:
        raise CompileError(
            [
                Diagnostic(
                    code="dmn-not-dmn",
                    message=f"{source}: the root is not DMN <definitions> ({namespace!r})",
                    line=line_of(root),
                )
            ]
        )
    ctx = Context(names=_names(root), functions=_functions(root))
    decisions = [d for d in (_decision(el, ctx) for el in children(root, "decision")) if d]
    knowledge = [
        k for k in (_knowledge(el, ctx) for el in children(root, "businessKnowledgeModel")) if k
    ]
    inputs = [
        InputData(id=el.get("id") or "", name=el.get("name") or "", type_ref=_type_ref(el))
        for el in children(root, "inputData")
    ]
    for service in children(root, "decisionService"):
        ctx.problem(
            "dmn-unsupported",
            "decision services are ignored: invoke the decisions",
            service,
            warn=True,
        )
    for el in children(root, "import"):
        ctx.problem("dmn-unsupported", "imports of other models are not supported", el)
    if not children(root, "decision"):
        ctx.problem("dmn-no-decision", "the file has no decision", root)
    ctx.diagnostics.extend(check_graph(root))
    errors = sorted(ctx.diagnostics, key=lambda d: d.line or 0)
    if any(d.severity == "error" for d in errors):
        raise CompileError(errors)
    plan = DecisionPlan(
        id=root.get("id") or root.get("name") or source,
        name=root.get("name"),
        namespace=root.get("namespace"),
        decisions=tuple(decisions),
        inputs=tuple(inputs),
        knowledge=tuple(knowledge),
    )
    return DmnCompileResult(plan=plan.with_hash(), warnings=errors)


def _names(root: etree._Element) -> frozenset[str]:
    """Every name the file defines: FEEL names with spaces are read by knowing them."""
    found = {
        str(el.get("name")) for el in root.iter() if isinstance(el.tag, str) and el.get("name")
    }
    return frozenset(found)


def _functions(root: etree._Element) -> frozenset[str]:
    return frozenset(
        str(el.get("name")) for el in children(root, "businessKnowledgeModel") if el.get("name")
    )


def _type_ref(el: etree._Element) -> str | None:
    variable = child(el, "variable")
    return None if variable is None else variable.get("typeRef")


def _requirements(el: etree._Element, wrapper: str, kind: str) -> tuple[str, ...]:
    return tuple(
        href_id(str(req.get("href")))
        for requirement in children(el, wrapper)
        for req in children(requirement, kind)
        if req.get("href")
    )


def _decision(el: etree._Element, ctx: Context) -> Decision | None:
    if not any(local(c) in LOGIC_PARSERS for c in el):
        # A decision people take (DMN allows it): kept, so the graph stays whole; evaluating it
        # is an error.
        ctx.problem("dmn-no-logic", "the decision has no logic; evaluating it fails", el, warn=True)
        logic = None
    else:
        logic = read_logic(el, ctx)
        if logic is None:
            return None
    return Decision(
        id=el.get("id") or "",
        name=el.get("name") or "",
        logic=logic,
        requires_decisions=_requirements(el, "informationRequirement", "requiredDecision"),
        requires_inputs=_requirements(el, "informationRequirement", "requiredInput"),
        requires_knowledge=_requirements(el, "knowledgeRequirement", "requiredKnowledge"),
        type_ref=_type_ref(el),
    )


def _knowledge(el: etree._Element, ctx: Context) -> Knowledge | None:
    body = child(el, "encapsulatedLogic")
    if body is None:
        ctx.problem("dmn-no-logic", "a business knowledge model needs encapsulated logic", el)
        return None
    logic = read_logic(body, ctx)
    if logic is None:
        return None
    params = tuple(str(p.get("name")) for p in children(body, "formalParameter"))
    return Knowledge(
        id=el.get("id") or "",
        name=el.get("name") or "",
        params=params,
        logic=logic,
        requires_knowledge=_requirements(el, "knowledgeRequirement", "requiredKnowledge"),
    )
