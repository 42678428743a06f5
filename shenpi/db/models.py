"""Tables of the app database. Alembic revisions under ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite (which stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: store timezone-aware UTC times")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Definition(Base):
    """One deployed version of a BPMN process: the XML as uploaded and the compiled plan."""

    __tablename__ = "definitions"
    __table_args__ = (
        UniqueConstraint("process_id", "version", name="uq_definitions_process_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_id: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))  # ProcessPlan.hash (sha256 of the plan)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Large columns load only when asked for (listings never need them).
    bpmn_xml: Mapped[bytes] = deferred(mapped_column(LargeBinary))  # bytes: keeps the encoding
    plan_json: Mapped[str] = deferred(mapped_column(Text))
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    deployed_by: Mapped[str] = mapped_column(String(255))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Stored with the version (one transaction); never loaded with it.
    event_starts: Mapped[list[EventStart]] = relationship(lazy="noload", cascade="all")


class EventStart(Base):
    """A message or signal start event of a deployed version: which processes a published
    message or signal starts is one indexed lookup, not a read of every plan (docs/api.md
    "Messages and signals")."""

    __tablename__ = "event_starts"
    __table_args__ = (Index("ix_event_starts_event_name", "event", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    node_id: Mapped[str] = mapped_column(String(255))
    event: Mapped[str] = mapped_column(String(16))  # message, signal
    name: Mapped[str] = mapped_column(String(255))


class DecisionDefinition(Base):
    """One deployed version of a DMN file (its decision requirements graph): the XML as uploaded,
    the compiled ``DecisionPlan`` and the ids of the decisions it holds (docs/dmn.md)."""

    __tablename__ = "decision_definitions"
    __table_args__ = (
        UniqueConstraint(
            "decision_requirements_id", "version", name="uq_decision_definitions_drg_version"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The DMN <definitions> id: versions count per file, as they count per process for BPMN.
    decision_requirements_id: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))  # DecisionPlan.hash
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    decision_ids: Mapped[list[str]] = mapped_column(JSON)
    dmn_xml: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    plan_json: Mapped[str] = deferred(mapped_column(Text))
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    deployed_by: Mapped[str] = mapped_column(String(255))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FormDefinition(Base):
    """One deployed version of a Camunda Form (a ``.form`` file), linked from user tasks by
    ``form_id`` (docs/compiler.md "Forms")."""

    __tablename__ = "form_definitions"
    __table_args__ = (
        UniqueConstraint("form_id", "version", name="uq_form_definitions_form_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    form_id: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))  # FormPlan.hash
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    fields: Mapped[list[str]] = mapped_column(JSON)  # the variables it writes
    form_json: Mapped[str] = deferred(mapped_column(Text))  # the form as uploaded
    deployed_by: Mapped[str] = mapped_column(String(255))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ArchivedInstance(Base):
    """The final state of an ended instance (timeline included): the audit trail that outlives
    Temporal's retention. Written once per instance by the ``shenpi-archive`` activity."""

    __tablename__ = "instance_archive"

    instance_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    process_id: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(64), nullable=True)
    initiator: Mapped[str] = mapped_column(String(255), index=True)
    business_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    state: Mapped[dict[str, Any]] = deferred(mapped_column(JSON))  # InstanceState as JSON
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ArchivedDecision(Base):
    """One human decision from an archived timeline, kept queryable as a precedent (later AI
    advice looks up how people decided similar requests)."""

    __tablename__ = "archived_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(String(255), index=True)
    process_id: Mapped[str] = mapped_column(String(255), index=True)
    node_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))  # the timeline event: approved, rejected, ...
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The instance's final variables (the request decided on) and the entry's own details.
    variables: Mapped[dict[str, Any]] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AiResult(Base):
    """One AI review, keyed by the content of the request (the result cache, ``ai-review``).

    The row outlives the instance: the inbox reads the advice and risk flags from it (they are
    request content, kept out of Temporal's memo), and the raw model output stays here, never in
    workflow history. ``result`` is null while a callback provider has not answered yet.
    """

    __tablename__ = "ai_results"

    result_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(String(16))
    process_id: Mapped[str] = mapped_column(String(255), index=True)
    node_id: Mapped[str] = mapped_column(String(255))
    template_version: Mapped[str] = mapped_column(String(64))
    prompt_hash: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(255), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    advice: Mapped[str | None] = mapped_column(Text, nullable=True)
    risk_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # AiReviewResult
    transcript: Mapped[str | None] = deferred(mapped_column(Text, nullable=True))
    # The callback job the row waits for (null once answered) and when it was submitted.
    job_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    job_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WeChatBinding(Base):
    """A WeChat identity bound to a Shenpi user: a WeChat Work userid, or ``mp:<openid>`` for a
    follower of the Official Account. Written by admins (source ``api``) or filled from the
    directory's ``wechat_work_userid`` (source ``directory``)."""

    __tablename__ = "wechat_bindings"

    wechat_userid: Mapped[str] = mapped_column(String(255), primary_key=True)
    user: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str] = mapped_column(String(16))
    updated_by: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WeChatNonce(Base):
    """A callback nonce already seen, per channel (``work`` / ``mp``): replay protection that
    holds across API replicas. Rows older than the clock-skew window are pruned."""

    __tablename__ = "wechat_nonces"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # sha256 of what the nonce was seen with (method and body): an exact redelivery matches it,
    # a replay of the nonce with another body does not. Null on rows older than the column.
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)


class WeChatMessage(Base):
    """Where a WeChat message's decision went (``wechat-work:<MsgId>`` → instance, task), so a
    redelivery, which can no longer find a decided task by its ref, reaches the same update."""

    __tablename__ = "wechat_messages"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(255))
    task_id: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))  # accepted / pending / already
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # The decided task's name, so a redelivery answers with the first delivery's very words.
    task_name: Mapped[str | None] = mapped_column(String(255), nullable=True)


class DocumentUpload(Base):
    """Who uploaded a document (one row per uploader: the same bytes may come from several
    people, and each may read what they uploaded), under the name they gave it."""

    __tablename__ = "document_uploads"

    document_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    uploader: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DocumentReference(Base):
    """An instance whose variables refer to a document (recorded where variables enter: a start,
    a decision), so the instance's readers may read the document (docs/documents.md)."""

    __tablename__ = "document_references"

    document_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class IdempotencyKey(Base):
    """The request an ``Idempotency-Key`` was first used for, per instance and user: Temporal
    answers a repeated update id with the first result whatever the arguments, so a key reused
    for another request must be caught here (docs/api.md)."""

    __tablename__ = "idempotency_keys"

    instance_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    principal: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical request
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
