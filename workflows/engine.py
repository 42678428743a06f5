"""Token stepping: one ``match`` over node kinds, a short ``_run_<kind>`` per kind.

``advance`` moves every ready token until each one waits (task, timer, activity, join) or ends.
It is plain synchronous code over data, so a workflow task stays small and replays exactly.
A future semantic change goes inside the ``_run_<kind>`` it concerns, behind ``workflow.patched``.
"""

from __future__ import annotations

from typing import Any, assert_never

from shenpi_core.contracts import AiAdvice, ServiceTaskInput
from shenpi_core.expressions import ExpressionError, evaluate, evaluate_bool
from shenpi_core.process_plan import (
    BoundaryCatch,
    BoundaryEvent,
    BoundaryTimer,
    BusinessRuleTask,
    CallActivity,
    EndEvent,
    EventCatch,
    EventGateway,
    ExclusiveGateway,
    InclusiveGateway,
    Node,
    ParallelGateway,
    ParameterMapping,
    PassThrough,
    ScriptTask,
    SequenceFlow,
    ServiceTask,
    StartEvent,
    SubProcess,
    ThrowEvent,
    TimerCatch,
    UserTask,
)
from workflows import (
    business_rules,
    calls,
    compensation,
    completions,
    events,
    listeners,
    loops,
    multi,
    scopes,
    steps,
    throws,
)
from workflows.ai import start as ai
from workflows.machine import BOUNDARY, TIMER, TokenMachine
from workflows.notify_rules import END_REACHED
from workflows.timers import TimerError, first_occurrence
from workflows.tokens import BoundaryWait, Token

# A model whose conditions loop forever without waiting would otherwise spin inside one
# workflow task until the SDK's deadlock detector kills it; park it as an incident instead.
STEP_LIMIT = 5_000


class Engine(TokenMachine):
    def begin(self, start_event: str | None = None) -> None:
        """Start at the none start, or at the message, signal or timer start that started it."""
        start = self.index.node(start_event or self.index.plan.start_node)
        # The initiator is always a variable (`initiator`, or the name the start event gives it),
        # so `${manager(initiator)}` works in any process. Set, not defaulted: a requester must not
        # choose whose manager approves by sending a variable of that name.
        declared = start.initiator_variable if isinstance(start, StartEvent) else None
        self.variables[declared or "initiator"] = self.state.initiator
        chosen = {"priority": self.state.priority} if self.state.priority else {}
        self.record("started", actor=self.state.initiator, details=chosen)
        self.spawn(start.id)
        scopes.open_listeners(self, None, None)

    def rearm(self) -> None:
        """After continue-as-new: re-open the waits of the snapshot, without new timeline events."""
        for token in list(self.tokens):
            if token.state == "listen" and token.due_at is not None:
                self.waits.start_timer(token.id, TIMER, token.due_at)
            if token.state != "wait":
                continue
            node = self.index.node(token.node_id)
            if token.multi is not None:  # a body held back its instances for this new run
                multi.resume(self, token)
            elif isinstance(node, ServiceTask):
                self._start_service(token, node)
            if token.due_at is not None:
                self.waits.start_timer(token.id, TIMER, token.due_at)
            self.arm(token, dict(token.boundaries))  # a timer due meanwhile fires right here

    def advance(self) -> None:
        steps = 0
        while not self.finished:
            token = next((t for t in self.tokens if t.state in ("enter", "leave")), None)
            if token is None:
                if scopes.settle(self):  # a subprocess completed or an inclusive join fired
                    continue
                if events.conditions(self):  # a condition became true
                    continue
                break
            steps += 1
            if steps > STEP_LIMIT:
                self.incident(token, "loop_limit", f"over {STEP_LIMIT} steps without waiting")
                continue
            self._step(token)
        if not self.active(None) and not self.finished:
            scopes.close_listeners(self, None)
            self.finish()

    def _step(self, token: Token) -> None:
        node = self.index.node(token.node_id)
        try:
            if token.state == "leave":
                if listeners.after(self, token, node):  # its end listeners run first
                    return
                if multi.leaving(self, token, node):  # one instance done; the body goes on
                    return
                if not loops.leaving(self, token, node):
                    compensation.completed(self, token, node)
                    self._leave(token, node)
                return
            held = completions.take(token)  # a retried incident of its completion
            if held is not None:
                if isinstance(node, CallActivity):
                    calls.finish(self, token, node, **held)
                return
            if listeners.before(self, token, node):  # its start listeners run first
                return
            if not loops.entering(self, token, node) or multi.entering(self, token, node):
                return
            match node:
                case StartEvent() if node.trigger is not None and node.parent is not None:
                    # Entered, not triggered (that leaves it): a retried incident of its
                    # subscription, e.g. a correlation key that failed. It listens again.
                    self.relisten(token)
                    events.subscribe(self, token, [node.id])
                case (
                    StartEvent()
                    | PassThrough()
                    | BoundaryTimer()
                    | BoundaryEvent()
                    | BoundaryCatch()
                ):
                    self.passed(token)
                case EndEvent():
                    self._run_end(token, node)
                case ExclusiveGateway():
                    self._run_exclusive(token, node)
                case ParallelGateway():
                    self._run_parallel(token, node)
                case InclusiveGateway():
                    self._run_inclusive(token, node)
                case EventGateway():
                    self._run_event_gateway(token, node)
                case SubProcess():
                    scopes.enter(self, token, node)
                case ThrowEvent():
                    self._run_throw(token, node)
                case CallActivity():
                    calls.enter(self, token, node)
                case ScriptTask():
                    self._run_script(token, node)
                case BusinessRuleTask():
                    business_rules.enter(self, token, node)
                case UserTask():
                    self._run_user_task(token, node)
                case ServiceTask():
                    self._run_service_task(token, node)
                case TimerCatch():
                    self._run_timer(token, node)
                case EventCatch():
                    self._run_catch(token, node)
                case _:
                    assert_never(node)
        except ExpressionError as err:
            self.incident(token, "expression_error", err.message)
        except TimerError as err:
            self.incident(token, "timer_error", str(err))

    def _run_end(self, token: Token, node: EndEvent) -> None:
        if node.throws == "compensation" and compensation.throw(self, token, node):
            return  # the token ends once the handlers ran (compensation.step)
        if node.throws == "error":  # caught: the catching scope ends this token too
            throws.error(self, token, node.code, f"error end event {node.id}")
            return
        if node.throws == "escalation":
            throws.escalation(self, token, node.code)
            if token not in self.tokens or token.state != "enter":
                return  # an interrupting catch ended the scope, this token with it
        if node.throws == "signal":
            events.throw_signal(self, token, node.code or "")
        self.remove(token)
        if node.notify:  # whom its <shenpi:notify> tells of the outcome (notify_rules.py)
            key = END_REACHED + node.id
            self.state.counters[key] = self.state.counters.get(key, 0) + 1
        if node.terminate and token.scope is not None:  # ends its subprocess only
            scope = self.token(token.scope)
            if scope is not None:
                for inner in reversed(self.inside(scope)):
                    self.end_token(inner, "terminated")
        elif node.terminate:
            self.terminated = True
            self.end_all("terminated")

    def _run_script(self, token: Token, node: ScriptTask) -> None:
        value = evaluate(node.expression.ast, self.view(token))
        if node.result_variable:
            self.assign(token, {node.result_variable: value})
        self.passed(token)

    def _run_throw(self, token: Token, node: ThrowEvent) -> None:
        if node.throws == "compensation":
            if not compensation.throw(self, token, node):
                self.passed(token)
            return
        if node.throws == "signal":
            events.throw_signal(self, token, node.code or "")
            self.passed(token)
            return
        throws.escalation(self, token, node.code)
        if token in self.tokens and token.state == "enter":  # not interrupted by its catch
            self.passed(token)

    def _run_exclusive(self, token: Token, node: ExclusiveGateway) -> None:
        if ai.routes(node):  # the AI picks the flow; its fallback is the conditions below
            ai.route(self, token, node)
            return
        self.route_by_conditions(token, node)

    def route_by_conditions(self, token: Token, node: ExclusiveGateway) -> None:
        flows = self.index.outgoing(node)
        for flow in flows:
            if flow.id != node.default_flow and self._holds(flow, token):
                self.move(token, flow)
                return
        if node.default_flow is not None:
            self.move(token, self.index.flows[node.default_flow])
            return
        self.incident(token, "no_matching_flow", f"no condition of {node.id} holds, no default")

    def _run_parallel(self, token: Token, node: ParallelGateway) -> None:
        if len(node.incoming) <= 1:
            self.passed(token)
            return
        self.join(token)  # fire once one token waits on every incoming flow
        arrivals: list[Token] = []
        for flow_id in node.incoming:
            arrived = next(
                (
                    t
                    for t in self.tokens
                    if t.node_id == node.id
                    and t.state == "join"
                    and t.via == flow_id
                    and t.scope == token.scope
                ),
                None,
            )
            if arrived is None:
                return
            arrivals.append(arrived)
        for arrived in arrivals:
            self.remove(arrived)
        self.spawn(node.id, state="leave", scope=token.scope)

    def _run_inclusive(self, token: Token, node: InclusiveGateway) -> None:
        if len(node.incoming) <= 1:
            self.passed(token)
            return
        self.join(token)  # fires in settle(), once no other token can still arrive

    def inclusive_ready(self, gateway: InclusiveGateway, scope: str | None) -> bool:
        """Fire an inclusive join of ``scope`` whose every empty incoming flow can no longer be
        reached by a token of that scope (Zeebe's and Camunda's upstream-token rule)."""
        waiting = [
            t
            for t in self.tokens
            if t.node_id == gateway.id and t.state == "join" and t.scope == scope
        ]
        if not waiting:
            return False
        others = [t for t in self.active(scope) if t.node_id != gateway.id]
        if any(self.index.reaches(t.node_id, gateway.id) for t in others):
            return False
        arrivals: list[Token] = []
        for flow_id in gateway.incoming:  # one token per flow: a second one waits its turn
            first = next((t for t in waiting if t.via == flow_id), None)
            if first is not None:
                arrivals.append(first)
        if not arrivals:  # only tokens that came by no flow (an admin's jump): one fires it
            arrivals = waiting[:1]
        for arrived in arrivals:
            self.remove(arrived)
        self.spawn(gateway.id, state="leave", scope=scope)
        return True

    def _run_event_gateway(self, token: Token, node: EventGateway) -> None:
        targets = [self.index.flows[f].target for f in node.outgoing]
        arms = tuple(t for t in targets if isinstance(self.index.node(t), TimerCatch))
        scheduled = self.schedule_boundaries(token, arms)
        # Armed soonest first: of several timers already due, the earliest wins (as Zeebe).
        boundaries = dict(sorted(scheduled.items(), key=lambda item: item[1].due_at))
        self.wait(token)
        self.arm(token, boundaries)  # the first timer to fire moves the token to its event

    def _run_user_task(self, token: Token, node: UserTask) -> None:
        self.assign(token, self.mapped(node.inputs, self.view(token)))
        boundaries = self.schedule_boundaries(token, node.boundary_timers)
        if ai.reviews(node):  # the task opens (or the AI decides it) once the review is in
            ai.review_task(self, token, node)
            self.arm(token, boundaries)
            return
        self.set_boundaries(token, boundaries)
        self.open_user_task(token, node)
        if token.state == "wait":  # not passed (all skipped) or parked at once
            self.arm(token, boundaries)

    def open_user_task(self, token: Token, node: UserTask, advice: AiAdvice | None = None) -> None:
        """Open the task(s) of ``node`` for people; ``token.boundaries`` are known already."""
        if node.approval is not None:  # an approval step: one task per approver (steps.py)
            steps.enter(self, token, node, advice)
            return
        index = self.index
        due = [w.due_at for b, w in token.boundaries.items() if index.interrupts(index.boundary(b))]
        task = self.book.open(node, self.view(token), self.now(), min(due) if due else None)
        self.book.advise(task, advice)
        self.wait(token, task_id=task.task_id)
        self.record("task_opened", node.id, task_id=task.task_id, details={"ref": task.ref})

    def _run_service_task(self, token: Token, node: ServiceTask) -> None:
        boundaries = self.schedule_boundaries(token, node.boundary_timers)
        self._start_service(token, node)
        self.arm(token, boundaries)

    def _start_service(self, token: Token, node: ServiceTask) -> None:
        scope = self.view(token)
        inputs = self.mapped(node.inputs, scope)
        variables = multi.sent_variables(self, token, {**scope, **inputs})
        if ai.is_ai_service(node):  # reviewed with the node's AiSpec, not a ServiceTaskInput
            ai.review_service(self, token, node, variables)
            return
        if inputs:  # the task's local variables: what its output mappings also see
            self.hold_locals(token, inputs)
        arg = ServiceTaskInput(
            instance_id=self.workflow_id,
            node_id=node.id,
            process_id=self.index.plan.process_id,
            config=dict(node.config),
            variables=variables,
        )
        self.wait(token)
        self.waits.start_service(token.id, node, arg)

    def _run_timer(self, token: Token, node: TimerCatch) -> None:
        due_at = first_occurrence(node.timer, self.now(), self.view(token)).due_at
        self.wait(token, due_at=due_at)
        self.waits.start_timer(token.id, TIMER, due_at)

    def _run_catch(self, token: Token, node: EventCatch) -> None:
        """Wait for the message, signal or condition (a receive task's boundary timers too)."""
        boundaries = self.schedule_boundaries(token, node.boundary_timers)
        self.wait(token)
        self.arm(token, boundaries)

    def arm(self, token: Token, boundaries: dict[str, BoundaryWait]) -> None:
        """Boundary timers, then the messages, signals and conditions the wait listens for."""
        super().arm(token, boundaries)
        if token.state == "wait":
            events.subscribe(self, token, events.catching(self, token))

    def start_event_subprocess(self, sub: SubProcess, scope: str | None) -> None:
        scopes.trigger(self, sub, scope)

    def _leave(self, token: Token, node: Node) -> None:
        flows = self.index.outgoing(node)
        match node:
            case ParallelGateway():  # conditions on a parallel split are ignored, as BPMN says
                taken = flows
            case InclusiveGateway():  # every flow that holds; the default only when none does
                taken = [f for f in flows if f.id != node.default_flow and self._holds(f, token)]
                if not taken and node.default_flow is not None:
                    taken = [self.index.flows[node.default_flow]]
            case _:
                taken = [f for f in flows if self._holds(f, token)]
        if flows and not taken:
            self.incident(token, "no_matching_flow", f"no outgoing condition of {node.id} holds")
            return
        if not taken:  # no outgoing flow: an implicit end
            self.remove(token)
            return
        for extra in taken[1:]:  # an implicit (or parallel) split: one token per flow
            self.spawn(extra.target, via=extra.id, scope=token.scope)
        self.move(token, taken[0])

    def move(self, token: Token, flow: SequenceFlow) -> None:
        self.go_to(token, flow.target, via=flow.id)

    def _holds(self, flow: SequenceFlow, token: Token) -> bool:
        return flow.condition is None or evaluate_bool(flow.condition.ast, self.view(token))

    @staticmethod
    def mapped(mappings: tuple[ParameterMapping, ...], scope: dict[str, Any]) -> dict[str, Any]:
        """Evaluate every mapping before applying any, so a failing one changes nothing."""
        return {m.target: evaluate(m.source.ast, scope) for m in mappings}

    # --- events from the outside: timers and activities ---------------------------------------

    def timer_fired(self, token_id: str, key: str) -> None:
        token = self.token(token_id)
        if token is not None and token.state == "listen":
            scopes.timer_start(self, token)
            return
        if token is None or token.state != "wait":
            return
        if key.startswith(BOUNDARY):
            self.boundary_fired(token, key[len(BOUNDARY) :])
            return
        self.record("timer_fired", token.node_id)
        self.passed(token)

    def service_completed(self, token_id: str, result: dict[str, Any]) -> None:
        token = self.token(token_id)
        if token is None or token.state != "wait":
            return
        if listeners.running(token):  # a listener of the node, not the node's own activity
            self.resolve_incidents(token.node_id, "waiting_for_worker")
            listeners.completed(self, token, result)
            return
        node = self.index.node(token.node_id)
        assert isinstance(node, ServiceTask)
        self.resolve_incidents(node.id, "waiting_for_worker")
        try:
            if node.outputs:  # over the task's local scope: its inputs, then its result
                local = {**self.view(token), **(token.locals or {}), **result}
                self.assign(token, self.mapped(node.outputs, local))
            elif node.result_variable:
                self.assign(token, {node.result_variable: result})
            else:
                self.assign(token, result)
        except ExpressionError as err:
            self.incident(token, "expression_error", err.message)
            return
        self.record("service_completed", node.id, details={"type": node.task_type})
        self.leave_activity(token)

    def service_error(self, token_id: str, code: str, message: str) -> None:
        """The activity raised a BPMN error (docs/interpreter.md "Errors and escalations")."""
        token = self.token(token_id)
        if token is None or token.state != "wait":
            return
        self.resolve_incidents(token.node_id, "waiting_for_worker")
        throws.error(self, token, code, message)

    def service_failed(self, token_id: str, message: str) -> None:
        token = self.token(token_id)
        if token is None or token.state != "wait":
            return
        self.resolve_incidents(token.node_id, "waiting_for_worker")
        self.record("service_failed", token.node_id, details={"message": message})
        self.incident(token, "activity_failed", message)

    def directory_resolved(self, token_id: str, key: str, values: list[str]) -> None:
        """The directory answered for a step still resolving its approvers."""
        token = self.token(token_id)
        if token is None or token.step is None or token.step.phase != "resolving":
            return
        try:
            steps.resolved(self, token, key, values)
        except ExpressionError as err:
            self.incident(token, "expression_error", err.message)

    def directory_failed(self, token_id: str, message: str) -> None:
        token = self.token(token_id)
        if token is not None and token.state == "wait":
            self.incident(token, "directory_failed", message)

    def service_unserved(self, token_id: str, message: str) -> None:
        """No worker took the activity in time; it is rescheduled, the incident shows it."""
        token = self.token(token_id)
        if token is not None and not self.open_incident(token.node_id, "waiting_for_worker"):
            self.raise_incident(token.node_id, "waiting_for_worker", message)
