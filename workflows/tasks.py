"""User-task bookkeeping: the task book owns every task's lifecycle (open, reassign, close)
and knows who may act on a task; checking decisions is ``workflows/decisions.py``'s job."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from temporalio.exceptions import ApplicationError

from shenpi_core.contracts import AiAdvice, TaskView
from shenpi_core.expressions import ExpressionError, evaluate
from shenpi_core.limits import ID_RULE, MAX_STEP_APPROVERS, is_group_id, is_user_id
from shenpi_core.process_plan import ApprovalMode, Expression, UserTask
from shenpi_core.search_attributes import group_actor, user_actor


def task_ref(workflow_id: str, task_id: str) -> str:
    """A short reference people can type in a chat: stable, derived, no lookup table needed."""
    digest = hashlib.sha256((workflow_id + task_id).encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii")[:6].lower()


class TaskBook:
    """The tasks of one instance (open and closed), in the order they were opened."""

    def __init__(self, tasks: list[TaskView], counters: dict[str, int], workflow_id: str) -> None:
        self.tasks = tasks
        self._counters = counters
        self._workflow_id = workflow_id

    def open(
        self, node: UserTask, variables: Mapping[str, Any], now: datetime, due_at: datetime | None
    ) -> TaskView:
        """Resolve the actors (may raise ExpressionError) and open a task for ``node``."""
        assignees = resolve_actors(node.assignee, variables)
        if len(assignees) > 1:
            raise ExpressionError(f"assignee evaluated to {len(assignees)} users: {assignees}")
        candidate_users = resolve_actors(node.candidate_users, variables)
        candidate_groups = resolve_actors(node.candidate_groups, variables, groups=True)
        return self.add(
            node,
            now,
            due_at,
            assignee=assignees[0] if assignees else None,
            candidate_users=candidate_users,
            candidate_groups=candidate_groups,
        )

    def add(
        self, node: UserTask, now: datetime, due_at: datetime | None, **fields: Any
    ) -> TaskView:
        """Open a task of ``node`` with the given TaskView fields (actors, step, kind)."""
        key = f"task:{node.id}"
        self._counters[key] = self._counters.get(key, 0) + 1
        task_id = f"{node.id}-{self._counters[key]}"
        task = TaskView(
            task_id=task_id,
            ref=task_ref(self._workflow_id, task_id),
            node_id=node.id,
            name=node.name,
            created_at=now,
            due_at=due_at,
            **fields,
        )
        self.tasks.append(task)
        return task

    def of_step(self, step_id: str) -> list[TaskView]:
        return [t for t in self.tasks if t.step_id == step_id]

    def get(self, task_id: str) -> TaskView | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)

    def open_tasks(self) -> list[TaskView]:
        return [t for t in self.tasks if t.status == "open"]

    # --- the task lifecycle: every change of a task's state or holder goes through these -----

    @staticmethod
    def close(task: TaskView, status: str, outcome: str, now: datetime) -> None:
        task.status = "completed" if status == "completed" else "cancelled"
        task.outcome = outcome
        task.completed_at = now

    @staticmethod
    def claim(task: TaskView, user: str | None) -> None:
        """A candidate takes the task (``None``: gives it back to the candidates)."""
        task.claimed_by = user

    @staticmethod
    def reassign(task: TaskView, to: str) -> None:
        """``to`` alone holds the task now: a transfer (转办) or an escalation."""
        task.assignee, task.claimed_by, task.owner, task.delegated_to = to, None, None, None
        task.candidate_users, task.candidate_groups = [], []

    @classmethod
    def escalate(cls, task: TaskView, to: str) -> None:
        """Past due: the task goes to ``to`` (as a transfer does), marked escalated."""
        cls.reassign(task, to)
        task.escalated = True

    @staticmethod
    def reminded(task: TaskView) -> int:
        """One more reminder sent (催办 by the deadline); returns how many so far."""
        task.reminders_sent += 1
        return task.reminders_sent

    @staticmethod
    def advise(task: TaskView, advice: AiAdvice | None) -> None:
        """The AI's advice shown on the task."""
        task.ai = advice

    @staticmethod
    def delegate(task: TaskView, to: str, owner: str) -> None:
        """委派: ``to`` acts for ``owner``, to whom the task returns to confirm."""
        task.owner = owner
        task.assignee, task.claimed_by, task.delegated_to = to, None, to

    @staticmethod
    def end_delegation(task: TaskView) -> None:
        """The delegate answered (or the task lapsed): the owner holds the task again."""
        task.assignee, task.delegated_to = task.owner, None

    @staticmethod
    def set_due(task: TaskView, due: datetime | None) -> None:
        task.due_at = due

    @staticmethod
    def set_mode(task: TaskView, mode: ApprovalMode) -> None:
        """A single-approver step turned sequential by 加签."""
        task.mode = mode

    def pending_actors(self) -> list[str]:
        """Who the inbox shows the open tasks to, sorted so an unchanged set compares equal."""
        actors: set[str] = set()
        for task in self.open_tasks():
            if task.claimed_by:
                actors.add(user_actor(task.claimed_by))
                continue
            if task.assignee:
                actors.add(user_actor(task.assignee))
                continue
            actors.update(user_actor(u) for u in task.candidate_users)
            actors.update(group_actor(g) for g in task.candidate_groups)
        return sorted(actors)


def may_act(task: TaskView, actor: str, groups: list[str]) -> bool:
    """A claim narrows a task to the claimer; an assignee has it alone; else any candidate."""
    if task.claimed_by:
        return actor == task.claimed_by
    if task.assignee:
        return actor == task.assignee
    return actor in task.candidate_users or any(g in task.candidate_groups for g in groups)


def resolve_actors(
    expr: Expression | None, variables: Mapping[str, Any], *, groups: bool = False
) -> list[str]:
    """A user/group expression may yield a string, a comma-separated string or a list.

    Every id must be one the API would accept (docs/security.md): an id Temporal's visibility
    cannot hold, or hundreds of them, is an incident on the task, never a failed workflow task.
    """
    if expr is None:
        return []
    value = evaluate(expr.ast, variables)
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise ExpressionError(f"{expr.source!r} gave {value!r}, not a user id or list of ids")
    result = list(dict.fromkeys(i.strip() for i in items if i.strip()))
    if len(result) > MAX_STEP_APPROVERS:
        raise ExpressionError(f"{expr.source!r} gave {len(result)} ids, over {MAX_STEP_APPROVERS}")
    valid = is_group_id if groups else is_user_id
    for item in result:
        if not valid(item):
            raise ExpressionError(
                f"{expr.source!r} gave {item[:40]!r}, not a valid {'group' if groups else 'user'}"
                f" id ({ID_RULE})"
            )
    return result


def _refuse(error_type: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=error_type, non_retryable=True)
