"""AI review metrics through the activity's meter: they reach the worker's Prometheus endpoint.

Labels stay low-cardinality: provider, outcome, purpose, failure type; never ids or content.
"""

from __future__ import annotations

from temporalio.common import MetricMeter

from shenpi_core.contracts import AiReviewResult

_REVIEW_OUTCOMES = frozenset({"approve", "reject", "abstain"})


class AiMeter:
    def __init__(self, meter: MetricMeter) -> None:
        self._reviews = meter.create_counter(
            "shenpi_ai_reviews", "AI reviews by provider, purpose and outcome (cached or not)"
        )
        self._confidence = meter.create_histogram_float(
            "shenpi_ai_confidence", "Confidence of AI reviews"
        )
        self._tokens = meter.create_counter(
            "shenpi_ai_tokens", "Model tokens by provider and kind (prompt, completion)"
        )
        self._latency = meter.create_histogram_float(
            "shenpi_ai_provider_latency", "Time the provider took to answer", "seconds"
        )
        self._failures = meter.create_counter(
            "shenpi_ai_failures", "Failed AI review attempts by provider and failure type"
        )

    def reviewed(self, result: AiReviewResult, purpose: str) -> None:
        provider = result.metrics.provider
        # A route's decision is a flow id: counted as "routed" to keep the label set small.
        outcome = result.decision if result.decision in _REVIEW_OUTCOMES else "routed"
        self._reviews.add(
            1,
            {
                "provider": provider,
                "purpose": purpose,
                "outcome": outcome,
                "cached": "true" if result.cached else "false",
            },
        )
        self._confidence.record(result.confidence, {"provider": provider, "purpose": purpose})
        if result.cached:
            return
        for kind, count in (
            ("prompt", result.metrics.prompt_tokens),
            ("completion", result.metrics.completion_tokens),
        ):
            if count:
                self._tokens.add(count, {"provider": provider, "kind": kind})
        self._latency.record(result.metrics.latency_ms / 1000, {"provider": provider})

    def failed(self, provider: str, failure_type: str | None) -> None:
        self._failures.add(1, {"provider": provider, "type": failure_type or "unknown"})
