"""The bottom layer every app may import, and which imports no app of the project.

It holds what the whole platform needs and no business owns: the clock, the business-day
calendar, the refusal every write path raises and the API error format it maps to, encrypted
file storage, one-time tokens, and the fast-insert helper of the hot write paths. It has no
models of its own (abstract ones only). import-linter's layers contract keeps it at the bottom.
"""
