"""The embedded demo's data: businesses, staff logins, API keys and a queue of requests.

At the top of the layers, so it may import every app and seed what each one adds. Used by
``manage.py seed_demo`` and so by ``make run``; it refuses to run unless DEBUG is on (its
passwords are public).
"""
