"""The beat schedule runs the deadline sweep, the outbox relay, the opt-in expiry, the consent
cache repair, the verification sweep, the daily retention purge and the system task reminders, and the tasks exist."""

from privacyportal.celery import app


def test_beat_runs_the_deadline_sweep_and_the_outbox_relay(settings):
    app.loader.import_default_modules()
    schedule = {entry["task"]: entry["schedule"] for entry in app.conf.beat_schedule.values()}
    assert set(schedule) == {
        "requests_app.tasks.sweep_deadlines",
        "outbox.relay",
        "optout.tasks.opt_in_expire",
        "optout.tasks.consent_cache_repair",
        "verification.tasks.verification_sweep",
        "verification.tasks.webhook_match_catch_up",
        "recordkeeping.tasks.retention_purge_all",
        "fulfilment.tasks.system_task_reminder_sweep",
    }
    for task_name in schedule:
        assert task_name in app.tasks
    assert schedule["requests_app.tasks.sweep_deadlines"] == settings.DEADLINE_SWEEP_INTERVAL
    assert schedule["outbox.relay"] == settings.OUTBOX_RELAY_INTERVAL
    assert schedule["optout.tasks.opt_in_expire"] == settings.DEADLINE_SWEEP_INTERVAL
    assert schedule["optout.tasks.consent_cache_repair"] == settings.CONSENT_CACHE_REPAIR_INTERVAL
    assert schedule["verification.tasks.verification_sweep"] == settings.DEADLINE_SWEEP_INTERVAL
    assert schedule["verification.tasks.webhook_match_catch_up"] == settings.OUTBOX_RELAY_INTERVAL
    assert schedule["recordkeeping.tasks.retention_purge_all"] == settings.RETENTION_PURGE_INTERVAL
    assert settings.RETENTION_PURGE_INTERVAL == 86400  # daily
    # Reminders of the data systems' tasks: with the deadline sweep (once a day each, by claim).
    assert (
        schedule["fulfilment.tasks.system_task_reminder_sweep"] == settings.DEADLINE_SWEEP_INTERVAL
    )
