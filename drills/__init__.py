"""Drills: the project's promises (no lost or duplicated request, no 5xx, tenant isolation...)
checked against a real server. ``python -m drills.run`` (``make drill``) runs them all."""


def summary(name: str, ok: bool, text: str) -> str:
    """The drill's one line, e.g. ``drill api_load: ok — 10,000 creates ...``."""
    return f"drill {name}: {'ok' if ok else 'FAILED'} — {text}"
