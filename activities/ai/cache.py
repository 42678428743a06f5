"""The result cache key: the content of a review, so the same question is never paid twice.

Same provider, model, purpose, template version and rendered prompt (the prompt holds the
request, its documents and, for routes, the options) → the same key. A provider adds what it
reads besides the prompt (``Prepared.cache_salt``): the offline reviewer, the digest of its
precedent set (a new archived decision changes what it would answer) and of the request text it
compares and the amount it checks, which a custom prompt need not show.
"""

from __future__ import annotations

import hashlib
import json

from activities.ai.provider import ProviderCall


def cache_key(provider: str, call: ProviderCall, salt: str) -> str:
    """sha256 hex over everything that decides the answer (also the ``ai_results`` row id)."""
    material = [
        provider,
        call.model,
        call.input.purpose,
        call.prompt.template_version,
        call.prompt.text,
        call.decisions,
        salt,
    ]
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()
