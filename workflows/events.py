"""Messages, signals and conditions: the events a token waits for from outside its instance.

A waiting token *subscribes* at each catching event it waits on: the catch event or receive task
itself, the message/signal/conditional boundary events of its activity, the catch events an
event-based gateway arms, an event subprocess's start (a ``listen`` token). The subscription is
kept on the token (``Token.subscriptions``), so it survives continue-as-new, and closes with the
wait. A message subscription is also registered at the mailbox of its (name, correlation key)
by an activity; the mailbox sends each message to one subscription per process and keeps what
nobody took for its time to live (docs/interpreter.md "Messages, signals and conditions").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shenpi_core import search_attributes as sa
from shenpi_core.expressions import ExpressionError, evaluate, evaluate_bool
from shenpi_core.messaging import (
    BpmnSignal,
    BroadcastInput,
    DirectMessage,
    MessageDelivery,
    MessageSubscription,
    ReturnedMessage,
    SubscribeResult,
)
from shenpi_core.process_plan import (
    BoundaryCatch,
    EventCatch,
    EventGateway,
    StartEvent,
    SubProcess,
    Trigger,
)
from workflows.tokens import Subscription, Token

if TYPE_CHECKING:
    from workflows.engine import Engine

RECEIVED = {
    "message": "message_received",
    "signal": "signal_received",
    "conditional": "condition_met",
}
# How many signal ids an instance remembers, so a broadcast delivered twice acts once.
SIGNALS_REMEMBERED = 64


def trigger_of(engine: Engine, node_id: str) -> Trigger:
    node = engine.index.node(node_id)
    trigger = getattr(node, "trigger", None)
    assert isinstance(trigger, Trigger), f"{node_id} catches nothing from outside"
    return trigger


def catching(engine: Engine, token: Token) -> list[str]:
    """The events a token waiting on its node listens at, document order."""
    node = engine.index.node(token.node_id)
    if token.state == "listen":
        return [node.id] if isinstance(node, StartEvent) and node.trigger is not None else []
    if token.multi is not None:  # a multi-instance body: its runs catch the event itself
        return list(engine.index.outside_boundaries.get(node.id, []))
    if token.instance is not None:
        return []  # an instance of a multi-instance activity waits for the run inside it
    if engine.instance_holder(token) is not None:  # one run: its body listens for the boundaries
        return [node.id] if isinstance(node, EventCatch) else []
    found: list[str] = [node.id] if isinstance(node, EventCatch) else []
    if isinstance(node, EventGateway):
        arms = [engine.index.flows[f].target for f in node.outgoing]
        found += [a for a in arms if isinstance(engine.index.node(a), EventCatch)]
    return found + engine.index.outside_boundaries.get(node.id, [])


def subscribe(engine: Engine, token: Token, node_ids: list[str], holds: bool = False) -> None:
    """Open a subscription at each of ``node_ids`` that ``token`` does not hold yet. ``holds``:
    a condition is known to hold already (a non-interrupting event that just fired)."""
    for node_id in node_ids:
        if token.subscriptions is not None and node_id in token.subscriptions:
            continue  # re-armed after continue-as-new: the mailbox still holds it
        trigger = trigger_of(engine, node_id)
        subscription = Subscription(event=trigger.event, name=trigger.name, holds=holds)
        if trigger.event == "message":
            try:
                subscription.correlation_key = _correlation_key(engine, token, trigger)
            except ExpressionError as err:
                # Here, not in the node's step: an event subprocess's start subscribes when its
                # scope opens, outside any step; the token parks as an incident either way.
                engine.incident(token, "expression_error", err.message)
                return
            number = engine.count("subscription")
            # Unique in the instance (mailboxes key it with the instance id); never the workflow
            # id itself, so a replay under another id makes the same choices.
            subscription.sub_id = f"{token.id}/{node_id}/{number}"
            subscription.opening = True
        engine.listen_for(token, node_id, subscription)
        if subscription.sub_id is not None:
            engine.waits.subscribe(
                token.id,
                node_id,
                MessageSubscription(
                    sub_id=subscription.sub_id,
                    instance_id=engine.workflow_id,
                    process_id=engine.index.plan.process_id,
                    name=subscription.name or "",
                    correlation_key=subscription.correlation_key,
                ),
            )


def _correlation_key(engine: Engine, token: Token, trigger: Trigger) -> str:
    """Evaluated when the subscription opens, as Zeebe does; without an expression, the
    business key (Camunda 7's and Flowable's correlation)."""
    if trigger.correlation_key is None:
        return engine.state.business_key or ""
    value = evaluate(trigger.correlation_key.ast, engine.view(token))
    if value is None or isinstance(value, bool | dict | list):
        raise ExpressionError(
            f"correlation key {trigger.correlation_key.source!r} of message {trigger.name!r}"
            f" is {value!r}; it must be a string or a number"
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def subscribed(engine: Engine, token_id: str, node_id: str, result: SubscribeResult) -> None:
    """The mailbox has the subscription; it may have answered with a message it kept."""
    token = engine.token(token_id)
    subscription = (token.subscriptions or {}).get(node_id) if token is not None else None
    delivery = result.delivery
    if subscription is None or token is None:
        if delivery is not None:  # closed meanwhile: the message goes back, for someone else
            _return(engine, delivery)
        return
    subscription.opening = False
    if delivery is not None:
        fire(engine, token, node_id, delivery.variables)


def message_arrived(engine: Engine, delivery: MessageDelivery) -> None:
    for token in engine.tokens:
        for node_id, subscription in (token.subscriptions or {}).items():
            if subscription.sub_id == delivery.sub_id:
                subscription.opening = False
                fire(engine, token, node_id, delivery.variables)
                return
    _return(engine, delivery)  # the subscription closed while the message was on its way


def _return(engine: Engine, delivery: MessageDelivery) -> None:
    engine.waits.return_message(
        ReturnedMessage(
            delivery=delivery,
            instance_id=engine.workflow_id,
            process_id=engine.index.plan.process_id,
        )
    )


def direct_target(engine: Engine, name: str) -> tuple[Token, str] | None:
    """The first open subscription for message ``name``, whatever its key (a delivery to this
    instance by id: ``POST /instances/{id}/messages/{name}``)."""
    for token in engine.tokens:
        for node_id, subscription in (token.subscriptions or {}).items():
            if subscription.event == "message" and subscription.name == name:
                return token, node_id
    return None


def deliver_direct(engine: Engine, message: DirectMessage) -> str:
    found = direct_target(engine, message.name)
    assert found is not None, "the validator checked a subscription waits"
    token, node_id = found
    subscription = (token.subscriptions or {})[node_id]
    engine.unsubscribe(subscription)  # the mailbox forgets it: it is taken
    fire(engine, token, node_id, message.variables)
    return node_id


def signal_arrived(engine: Engine, signal: BpmnSignal) -> None:
    """Every subscription to the signal fires, once per signal id."""
    seen = engine.state.signals
    if signal.signal_id in seen:
        return
    seen.append(signal.signal_id)
    del seen[:-SIGNALS_REMEMBERED]
    hits = [
        (token, node_id)
        for token in engine.tokens
        for node_id, subscription in (token.subscriptions or {}).items()
        if subscription.event == "signal" and subscription.name == signal.name
    ]
    for token, node_id in hits:
        if token in engine.tokens and node_id in (token.subscriptions or {}):
            fire(engine, token, node_id, signal.variables)


def conditions(engine: Engine) -> bool:
    """Evaluate every conditional subscription over its token's variables; fire the first one
    that turned true (True: something fired, advance again)."""
    for token in list(engine.tokens):
        for node_id, subscription in list((token.subscriptions or {}).items()):
            if subscription.event != "conditional":
                continue
            condition = trigger_of(engine, node_id).condition
            assert condition is not None
            try:
                holds = evaluate_bool(condition.ast, engine.view(token))
            except ExpressionError as err:
                engine.incident(token, "expression_error", err.message)
                return True
            if holds and not subscription.holds:
                fire(engine, token, node_id, {})
                return True
            subscription.holds = holds
    return False


def waiting_for(engine: Engine) -> list[str]:
    """The signals the instance waits for, as ``ShenpiWaitingFor`` lists them."""
    names = {
        sa.waiting_for_signal(s.name or "")
        for token in engine.tokens
        for s in (token.subscriptions or {}).values()
        if s.event == "signal"
    }
    return sorted(names)


def throw_signal(engine: Engine, token: Token, name: str) -> None:
    """A signal throw (intermediate or end) broadcasts, without waiting for the delivery."""
    number = engine.count("signal")
    signal = BpmnSignal(name=name, signal_id=f"{engine.workflow_id}/{token.node_id}/{number}")
    engine.record("signal_thrown", token.node_id, details={"name": name})
    engine.waits.broadcast(BroadcastInput(signal=signal, start_as=engine.state.initiator))


def fire(engine: Engine, token: Token, node_id: str, variables: dict[str, Any]) -> None:
    """The event at ``node_id`` happened for ``token``: move on as its kind says."""
    node = engine.index.node(node_id)
    trigger = trigger_of(engine, node_id)
    values = _merged(engine, token, node_id, variables)
    if values is None:
        return  # an output mapping failed: an incident
    subscriptions = token.subscriptions or {}
    subscriptions.pop(node_id, None)
    interrupting = not isinstance(node, BoundaryCatch | StartEvent) or node.interrupting
    details: dict[str, Any] = {"interrupting": interrupting}
    if trigger.name is not None:
        details["name"] = trigger.name
    engine.record(RECEIVED[trigger.event], node_id, details=details)  # type: ignore[arg-type]
    match node:
        case StartEvent():  # an event subprocess starts
            engine.assign(token, values)
            sub = engine.index.node(node.parent or "")
            assert isinstance(sub, SubProcess)
            if interrupting:
                engine.remove(token)
            else:
                subscribe(engine, token, [node_id], holds=True)
            engine.start_event_subprocess(sub, token.scope)
        case BoundaryCatch() if interrupting:
            engine.interrupt(token, trigger.event)
            engine.assign(token, values)
            engine.go_to(token, node_id, state="leave")
        case BoundaryCatch():
            branch = engine.spawn(node_id, state="leave", scope=token.scope)
            engine.assign(branch, values)
            subscribe(engine, token, [node_id], holds=True)
        case EventCatch() if token.node_id == node_id:
            engine.assign(token, values)
            engine.leave_activity(token)
        case _:  # an arm of the event-based gateway the token waits at
            engine.interrupt(token, trigger.event)
            engine.assign(token, values)
            engine.go_to(token, node_id, state="leave")


def _merged(
    engine: Engine, token: Token, node_id: str, variables: dict[str, Any]
) -> dict[str, Any] | None:
    """The variables the event sets: its output mappings over the message's variables, or all
    of them (Zeebe merges a message's variables into the instance unless mapped)."""
    outputs = getattr(engine.index.node(node_id), "outputs", ())
    if not outputs:
        return dict(variables)
    try:
        return {
            m.target: evaluate(m.source.ast, {**engine.view(token), **variables}) for m in outputs
        }
    except ExpressionError as err:
        engine.incident(token, "expression_error", err.message)
        return None
