"""The parsed BPMN model: what ``parse`` produces and ``check`` and ``plan`` read.

Text stays raw here (conditions, timers, assignments as written): parsing them is the job of
``expressions`` and ``timers``, called by the check rules (to report) and by ``plan`` (to build).
Dicts keep insertion order, which is document order, so every later pass is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bpmn_compiler.diagnostics import Diagnostic
from shenpi_core.task_forms import TaskForm

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
FLOWABLE_NS = "http://flowable.org/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
SHENPI_NS = "http://shenpi.dev/schema/bpmn/1.0"

# The plan node kinds, plus "unsupported": kept in the graph so flows to it are not dangling.
NodeKind = Literal[
    "start",
    "end",
    "pass",
    "user_task",
    "service_task",
    "exclusive",
    "parallel",
    "timer",
    "boundary_timer",
    "boundary_event",
    "throw",
    "inclusive",
    "event_gateway",
    "subprocess",
    "call_activity",
    "script",
    "catch",
    "boundary_catch",
    "business_rule",
    "unsupported",
]
# What a start, end, boundary or throw event catches or throws (its event definition).
EventKind = Literal[
    "none",
    "timer",
    "error",
    "escalation",
    "link",
    "compensation",
    "message",
    "signal",
    "conditional",
]

SHIPPED_TASK_TYPES = ("notify", "http", "ai-review", "ocr")


def whole_number(text: str) -> int | None:
    """``text`` as a count (retries, repetitions, reminders), or None.

    ASCII digits only and at most 9 of them: ``"²".isdigit()`` holds but ``int()`` refuses it, and
    Python refuses ``int()`` of more than 4300 digits; no count here needs more than 9.
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None
    return int(text)


@dataclass(slots=True)
class RawText:
    """A piece of text from the file (expression, timer, literal) and where it was written."""

    text: str
    line: int | None = None
    language: str | None = None  # the BPMN `language` attribute, if any


@dataclass(slots=True)
class RawTimer:
    kind: Literal["duration", "date", "cycle"]
    text: RawText


@dataclass(slots=True)
class RawMapping:
    target: str
    source: RawText | None  # None: the value is null (an empty Camunda parameter)
    is_list: bool = False  # camunda:list: ``source`` is unused, ``items`` hold the values
    items: list[RawText] = field(default_factory=list)


@dataclass(slots=True)
class RawVariable:
    """A variable a user task's decision may write, as declared (``bpmn_compiler.forms``)."""

    name: str
    type: str  # as written for <shenpi:variable>; mapped from the form's field type otherwise
    source: str  # shenpi, camunda-form, flowable-form, zeebe-form
    line: int | None = None


@dataclass(slots=True)
class RawListener:
    """An engine listener as written: when it runs and the activity type it names."""

    event: Literal["start", "end"]
    task_type: str
    line: int | None


@dataclass(slots=True, init=False)
class Extensions:
    """What the dialect readers found on one element (docs/architecture.md §4).

    Every element gets an empty one for the readers to fill: ``__init__`` takes no arguments
    and sets each field to its default (the generated one weighed each of nineteen optional
    arguments, a fortieth of a compile).
    """

    assignee: RawText | None = None
    candidate_users: RawText | None = None
    candidate_groups: RawText | None = None
    task_type: str | None = None
    task_queue: str | None = None
    max_attempts: int | None = None
    timeout: RawText | None = None  # ISO duration for start-to-close
    result_variable: str | None = None
    config: dict[str, str] = field(default_factory=dict)
    inputs: list[RawMapping] = field(default_factory=list)
    outputs: list[RawMapping] = field(default_factory=list)
    initiator_variable: str | None = None  # camunda:/flowable:initiator on a start event
    refused_implementation: bool = False  # a connector, a vendor task type...: already reported
    variables: list[RawVariable] = field(default_factory=list)  # user tasks: what decisions write
    form_link: str | None = None  # a form the file links to but does not contain
    form: TaskForm | None = None  # user tasks: the form they show (task_form_xml)
    # camunda:expression="${true}": a service task that calls nothing, so it only moves on.
    computes_nothing: bool = False
    from_delegate: bool = False  # the task type is a Java delegate's name (already warned of)
    listeners: list[RawListener] = field(default_factory=list)  # start ones first, then end

    def __init__(self) -> None:
        self.assignee = self.candidate_users = self.candidate_groups = None
        self.task_type = self.task_queue = self.result_variable = None
        self.max_attempts = None
        self.timeout = None
        self.config = {}
        self.inputs = []
        self.outputs = []
        self.initiator_variable = self.form_link = None
        self.refused_implementation = self.computes_nothing = self.from_delegate = False
        self.variables = []
        self.form = None
        self.listeners = []


@dataclass(slots=True)
class RawApproval:
    """A ``<shenpi:approval>`` element: its attributes as written, checked by ``approvals``."""

    attributes: dict[str, RawText]  # attribute name -> value, document order
    line: int | None


@dataclass(slots=True)
class RawAiExample:
    """A ``<shenpi:example>`` inside ``<shenpi:ai>``: a labelled precedent."""

    decision: str | None  # as written; checked by ``ai_spec``
    text: str  # stripped
    line: int | None


@dataclass(slots=True)
class RawAi:
    """A ``<shenpi:ai>`` element as written: checked and built by ``ai_spec``."""

    attributes: dict[str, RawText]  # attribute name -> value, document order
    line: int | None
    prompts: list[RawText] = field(default_factory=list)  # <shenpi:prompt> children, dedented
    templates: list[RawText] = field(default_factory=list)  # <shenpi:template> children
    examples: list[RawAiExample] = field(default_factory=list)
    unknown_children: list[RawText] = field(default_factory=list)  # tag names, for a warning


@dataclass(slots=True)
class RawNotify:
    """A ``<shenpi:notify>`` element as written: checked and built by ``rules_notify``."""

    attributes: dict[str, RawText]  # attribute name -> value, document order
    line: int | None


@dataclass(slots=True)
class RawMultiInstance:
    """A ``multiInstanceLoopCharacteristics``, in any dialect."""

    sequential: bool
    line: int | None
    collection: RawText | None = None  # camunda:/flowable:collection, zeebe inputCollection
    element_variable: str | None = None  # camunda:/flowable:elementVariable, zeebe inputElement
    completion_condition: RawText | None = None
    cardinality: RawText | None = None  # loopCardinality (a user task needs a collection)
    output_collection: str | None = None  # zeebe outputCollection (a user task: warned about)
    output_element: RawText | None = None  # zeebe outputElement
    zeebe: bool = False  # drawn with zeebe:loopCharacteristics: loopCounter counts from 1
    max_in_flight: RawText | None = None  # shenpi:maxInFlight


@dataclass(slots=True)
class RawStandardLoop:
    """A ``standardLoopCharacteristics`` as written."""

    line: int | None
    test_before: bool = False
    maximum: str | None = None
    condition: RawText | None = None


@dataclass(slots=True)
class RawTrigger:
    """A message, signal or conditional event definition as written (``events_xml``)."""

    event: Literal["message", "signal", "conditional"]
    line: int | None
    name: str | None = None  # the message's or signal's name
    correlation_key: RawText | None = None  # zeebe:subscription / shenpi:correlationKey
    condition: RawText | None = None


@dataclass(slots=True)
class RawCall:
    """A call activity's target and variable passing, as written (``bpmn_compiler.calls``)."""

    called: RawText | None  # the called process id
    line: int | None
    binding: str = "latest"  # latest, deployment, version, version_tag, unknown
    binding_as_written: str | None = None
    version: str | None = None
    version_tag: str | None = None
    inputs: list[RawMapping] = field(default_factory=list)  # child variable <- parent expression
    outputs: list[RawMapping] = field(default_factory=list)  # parent variable <- child expression
    all_in: bool = False  # every parent variable goes in
    all_out: bool = False  # every child variable comes out


@dataclass(slots=True)
class RawDecisionRef:
    """The decision a business rule task evaluates, as written (``bpmn_compiler.decision_refs``)."""

    decision_id: RawText | None
    dialect: Literal["zeebe", "camunda", "flowable"]
    line: int | None
    binding: str = "latest"  # latest, deployment, version; anything else is refused
    binding_as_written: str | None = None
    version: str | None = None
    result_variable: str | None = None
    map_result: str | None = None  # camunda:mapDecisionResult as written


@dataclass(slots=True)
class FlowNode:
    id: str
    tag: str  # the BPMN local name, e.g. "userTask"
    kind: NodeKind
    line: int | None
    name: str | None = None
    terminate: bool = False
    timer: RawTimer | None = None
    attached_to: str | None = None
    interrupting: bool = True
    default_flow: str | None = None
    ext: Extensions = field(default_factory=Extensions)
    approvals: list[RawApproval] = field(default_factory=list)  # more than one is an error
    multi_instance: RawMultiInstance | None = None
    ai: list[RawAi] = field(default_factory=list)  # more than one is an error
    human_required: RawText | None = None  # shenpi:humanRequired as written
    notify: list[RawNotify] = field(default_factory=list)  # <shenpi:notify>, several allowed
    incoming: list[str] = field(default_factory=list)  # filled from the flows, document order
    outgoing: list[str] = field(default_factory=list)
    parent: str | None = None  # the subprocess it is drawn in; None: the process
    event: EventKind = "none"  # its event definition (start, end, boundary, throw, catch)
    code: str | None = None  # the error / escalation code; a link's name
    triggered_by_event: bool = False  # an event subprocess
    call: RawCall | None = None  # a call activity
    script: RawText | None = None  # a script task's expression (FEEL or JUEL)
    trigger: RawTrigger | None = None  # a message, signal or conditional event
    decision: RawDecisionRef | None = None  # a business rule task's decision
    standard_loop: RawStandardLoop | None = None
    for_compensation: bool = False  # isForCompensation: runs only when compensation calls it
    wait_for_completion: bool = True  # a compensation throw waits for the handlers


@dataclass(slots=True)
class Flow:
    id: str
    source: str
    target: str
    line: int | None
    name: str | None = None
    condition: RawText | None = None
    documentation: str | None = None  # <documentation> text, stripped; None when empty


@dataclass(slots=True)
class BpmnModel:
    source: str
    process_id: str
    process_name: str | None
    process_line: int | None
    nodes: dict[str, FlowNode] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    notify: list[RawNotify] = field(default_factory=list)  # <shenpi:notify> on the process
    priority: list[RawText] = field(default_factory=list)  # <shenpi:priority>: one at most
    version_tag: str | None = None  # camunda:versionTag / zeebe:versionTag of the process
    # <association sourceRef targetRef>: what ties a compensation boundary to its handler.
    associations: list[tuple[str, str]] = field(default_factory=list)
    # Found while parsing (unsupported elements, duplicate ids, ...): reported with the rules'.
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # Each scope's nodes by parent (None: the process), document order: set by ``parse`` once
    # every node is read, so the dozen questions of check and plan about a scope's nodes do not
    # each walk all nodes (docs/benchmarks.md "Compiling the real-world corpus").
    scopes: dict[str | None, list[FlowNode]] | None = field(default=None, repr=False, compare=False)
    # The nodes of each kind, document order, set with ``scopes``: most rules look at a few kinds
    # only, and a file has none of several (calls, scripts, decisions...); each rule walking all
    # nodes to pick them was a tenth of the checks.
    kinds: dict[str, list[FlowNode]] | None = field(default=None, repr=False, compare=False)

    def index_scopes(self) -> None:
        scopes: dict[str | None, list[FlowNode]] = {}
        kinds: dict[str, list[FlowNode]] = {}
        for node in self.nodes.values():
            scopes.setdefault(node.parent, []).append(node)
            kinds.setdefault(node.kind, []).append(node)
        self.scopes = scopes
        self.kinds = kinds

    def of_kind(self, *kinds: NodeKind) -> list[FlowNode]:
        """The nodes of these kinds, in document order (do not change the list)."""
        if self.kinds is None:  # a model built by hand, not by ``parse``
            return [n for n in self.nodes.values() if n.kind in kinds]
        present = self.kinds.keys() & kinds
        if len(present) == 1:
            return self.kinds[present.pop()]
        if not present:
            return []
        return [n for n in self.nodes.values() if n.kind in kinds]

    def boundaries_of(self, node_id: str) -> list[FlowNode]:
        return [n for n in self.nodes.values() if n.attached_to == node_id]

    def handler_of(self, boundary_id: str) -> FlowNode | None:
        """The compensation handler a compensation boundary event is associated with."""
        targets = [t for s, t in self.associations if s == boundary_id and t in self.nodes]
        return self.nodes[targets[0]] if len(targets) == 1 else None

    def children_of(self, parent: str | None) -> list[FlowNode]:
        """The nodes drawn directly in ``parent`` (None: the process), document order (the
        model's own list, asked for a dozen times per compile: do not change it)."""
        if self.scopes is not None:
            return self.scopes.get(parent, [])
        return [n for n in self.nodes.values() if n.parent == parent]

    def none_start_of(self, parent: str | None) -> FlowNode | None:
        for node in self.children_of(parent):
            if node.kind == "start" and node.event == "none":
                return node
        return None
