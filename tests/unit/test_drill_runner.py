"""``drills/run.py`` finds every drill module by itself, so a drill added later runs too."""

from __future__ import annotations

import pytest

from drills import run


def test_every_drill_module_is_found_and_helpers_are_not():
    found = run.discover()
    assert {"api_load", "schemathesis_api", "tenant_isolation"} <= set(found)
    assert "run" not in found
    assert not [name for name in found if name.startswith("_")]


def test_an_unknown_drill_name_is_refused_with_the_list_of_drills(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run.main(["no_such_drill"])
    assert exit_info.value.code == 2
    assert "api_load" in capsys.readouterr().err


def test_one_failed_drill_fails_the_verdict_and_the_exit_status(monkeypatch, capsys):
    monkeypatch.setattr(run, "discover", lambda: ["fine", "broken"])
    monkeypatch.setattr(
        run,
        "run_one",
        lambda name: (name == "fine", f"drill {name}: {'ok' if name == 'fine' else 'FAILED'} — x"),
    )
    assert run.main([]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "drill fine: ok — x",
        "drill broken: FAILED — x",
        "drills: 1 passed, 1 failed (broken)",
    ]


def test_all_drills_passing_pass_the_verdict(monkeypatch, capsys):
    monkeypatch.setattr(run, "discover", lambda: ["fine"])
    monkeypatch.setattr(run, "run_one", lambda name: (True, f"drill {name}: ok — x"))
    assert run.main([]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "drills: 1 passed, 0 failed"
