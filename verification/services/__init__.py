"""Verification's services, by concern: ``policies`` (the business's settings and keys),
``records`` (the verification record of a request: start, email links, evidence, outcome),
``matching`` (comparing what a consumer gives with what the business holds)."""
