"""Drills: the project's promises (no lost or duplicated request, no 5xx, tenant isolation...)
checked against a real server. ``python -m drills.run`` (``make drill``) runs them all."""
