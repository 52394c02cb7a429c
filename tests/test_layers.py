"""The layers point one way (socialcare/layers.py): the real tree has no forbidden arrow, and the
check does catch one."""

from __future__ import annotations

from socialcare import layers


def test_no_import_points_the_wrong_way():
    arrows, problems = layers.graph()
    assert problems == []
    assert ("store", "route") not in arrows
    assert ("desk", "app") not in arrows  # the desk does not import the CLI
    assert ("route", "store") in arrows  # the check sees real arrows


def test_the_check_catches_a_forbidden_arrow(tmp_path, monkeypatch):
    bad = tmp_path / "socialcare" / "store" / "sneaky.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("def f():\n    from route.casebook import CaseBook\n    return CaseBook\n")
    relative = tmp_path / "socialcare" / "stream" / "kafka.py"
    relative.parent.mkdir(parents=True)
    relative.write_text("from .worker import Worker\n")
    monkeypatch.setattr(layers, "ROOT", tmp_path)
    monkeypatch.setattr(
        layers,
        "_modules",
        lambda: {"socialcare.store.sneaky": bad, "socialcare.stream.kafka": relative},
    )
    _arrows, problems = layers.graph()
    assert any("store may not import route" in p for p in problems)
    assert any("may not import socialcare.stream.worker" in p for p in problems)
