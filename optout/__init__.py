"""Opt-out of sale/sharing, limit, opt-in, consent state, GPC (§7025–§7028). Filled by the opt-out issue; may import requests_app, never the reverse."""
