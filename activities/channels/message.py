"""What a notification says: one short Chinese + English text per event, with the task's ref.

Every message names the task, the process, the ref people type in a chat (``同意 <ref>``), the due
date, and a link to the instance. Texts carry ids and dates only, never request content (amounts,
descriptions): they travel through chat servers and mailboxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

# Events about a task the recipient may decide: sent as cards with approve/reject buttons.
TASK_EVENTS = ("task_opened", "task_reminder", "urge", "task_escalated")
OUTCOMES_ZH = {
    "approved": "已通过",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
    "cancelled": "已取消",
}
# An urgent request's messages say so first: a card title, an email subject, a chat line.
URGENT_ZH, URGENT_EN = "【加急】", "URGENT "


@dataclass(frozen=True)
class TaskSummary:
    task_id: str
    ref: str
    name: str
    due_at: str | None
    # "resubmit": the initiator's rework task after a reject; it is resubmitted with edited
    # variables on the web, so its message has no approve/reject buttons or commands.
    kind: str = "approval"

    @classmethod
    def from_variables(cls, raw: dict[str, Any]) -> TaskSummary:
        return cls(
            task_id=str(raw.get("task_id", "")),
            ref=str(raw.get("ref", "")),
            name=str(raw.get("name") or raw.get("node_id") or ""),
            due_at=str(raw["due_at"]) if raw.get("due_at") else None,
            kind=str(raw.get("kind") or "approval"),
        )

    @property
    def due_text(self) -> str:
        return self.due_at[:16].replace("T", " ") + " UTC" if self.due_at else "-"


@dataclass(frozen=True)
class Message:
    event: str
    instance_id: str
    process_id: str
    title: str  # one line: a card's title, an email's subject
    text: str  # the whole message, both languages, with the link
    link: str
    task: TaskSummary | None = None  # set for TASK_EVENTS: the card gets decision buttons
    comment: str | None = None  # the urger's words (催办留言), quoted on a card

    @property
    def headline(self) -> tuple[str, str]:
        """The title's Chinese and English halves (a card shows them on two lines)."""
        zh, _, en = self.title.partition(" · ")
        return zh, en

    @property
    def actionable(self) -> bool:
        return self.task is not None and self.event in TASK_EVENTS and self.task.kind == "approval"


def console_link(public_url: str, instance_id: str, task_id: str | None = None) -> str:
    """The web console's page for an instance, or for one of its tasks (docs/console.md)."""
    link = f"{public_url.rstrip('/')}/ui/instances/{quote(instance_id, safe=':')}"
    return f"{link}/tasks/{quote(task_id, safe='')}" if task_id else link


def render(
    event: str,
    instance_id: str,
    process_id: str,
    variables: dict[str, Any],
    public_url: str,
    *,
    message: str | None = None,
) -> list[Message]:
    """The messages for one notification: one per task for task events, else one."""
    link = console_link(public_url, instance_id)

    def task_link(task: TaskSummary) -> str:
        return console_link(public_url, instance_id, task.task_id)

    def make(title: str, text: str, task: TaskSummary | None = None) -> Message:
        comment = str(variables["comment"]) if variables.get("comment") else None
        url = task_link(task) if task else link
        if variables.get("priority") == "urgent":
            title = marked_urgent(title)
        return Message(event, instance_id, process_id, title, text, url, task, comment)

    if event in TASK_EVENTS:
        tasks = [TaskSummary.from_variables(t) for t in variables.get("tasks") or []]
        return [
            make(
                title=_task_title(event, t),
                text=_task_text(event, t, variables, process_id, task_link(t)),
                task=t,
            )
            for t in tasks
        ]
    if message is None and event in ("outcome", "withdrawn", "cancelled"):
        outcome = str(variables.get("outcome") or event)
        zh = OUTCOMES_ZH.get(outcome, outcome)
        title = f"【审批结果】{process_id}：{zh} · Outcome: {outcome}"
        text = f"您发起的 {process_id} 申请{zh}。\nYour {process_id} request was {outcome}.\n{link}"
        return [make(title, text)]
    body = message or f"{process_id}: {event}"
    return [make(f"【审批通知】{body} · Shenpi", f"{body}\n{link}")]


def marked_urgent(title: str) -> str:
    """Both halves of a "中文 · English" title marked urgent (a card shows them on two lines)."""
    zh, sep, en = title.partition(" · ")
    return f"{URGENT_ZH}{zh}{sep}{URGENT_EN}{en}" if sep else f"{URGENT_ZH}{title}"


def _task_title(event: str, task: TaskSummary) -> str:
    label = {
        "task_opened": "【待审批】",
        "task_reminder": "【提醒】",
        "urge": "【催办】",
        "task_escalated": "【已转交】",
    }[event]
    english = {
        "task_opened": "Approval needed",
        "task_reminder": "Reminder",
        "urge": "Urged",
        "task_escalated": "Escalated to you",
    }[event]
    return f"{label}{task.name} · {english}: {task.name}"


def _task_text(
    event: str, task: TaskSummary, variables: dict[str, Any], process_id: str, link: str
) -> str:
    why_zh, why_en = {
        "task_opened": ("有一项审批等待您处理", "A task waits for your decision"),
        "task_reminder": ("审批即将到期，请尽快处理", "A task is still waiting for you"),
        "urge": (
            f"{variables.get('initiator', '发起人')} 催办",
            "The initiator asks you to decide",
        ),
        "task_escalated": ("审批已超时转交给您", "An overdue task was escalated to you"),
    }[event]
    comment = variables.get("comment")
    if task.kind == "resubmit":
        how_zh = "申请被驳回，请在网页上修改后重新提交。"
        how_en = "Edit and resubmit it on the web."
    else:
        how_zh = f"回复「同意 {task.ref}」或「驳回 {task.ref} 理由」。"
        how_en = f'Reply "approve {task.ref}" or "reject {task.ref} <reason>".'
    lines = [
        f"{why_zh}：{task.name}（流程 {process_id}，编号 {task.ref}，截止 {task.due_text}）",
        how_zh,
        f"{why_en}: {task.name} ({process_id}, ref {task.ref}, due {task.due_text}).",
        how_en,
    ]
    if comment:
        lines.insert(1, f"留言 Comment: {comment}")
    return "\n".join([*lines, link])
