"""Sentiment page texts chosen or explained by the numbers: the held-out metric states its target in words
(the 85 % is explained in its help), every kind of held-out sentence has a row, in both languages."""

import pytest

from lessons import sentiment as S
from ui.i18n import translate


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_target_is_explained_and_every_kind_has_a_row(run_app, assert_app_ok, app_text, lang):
    at = run_app(page="sentiment", lang=lang, timeout=180)
    assert_app_ok(at)
    held = next(m for m in at.metric if m.label == translate(lang, "sentiment.train.acc_test"))
    trainer = at.session_state["sentiment_trainer"]
    score = trainer.scores()["test"]
    target = f"{S.TARGET:.0%}"
    assert held.proto.delta == translate(lang, "sentiment.train.vs_target", delta=f"{score - S.TARGET:+.1%}",
                                         target=target)
    assert held.proto.delta.startswith(("+", "-"))  # the arrow's direction comes from the sign
    assert held.proto.help == translate(lang, "sentiment.train.target_help", target=target)
    rows = set(at.table[0].value.index)
    for kind in sorted({r[2] for r in trainer.data.test}):
        assert translate(lang, f"sentiment.kind.{kind}") in rows
    assert "long" in {r[2] for r in trainer.data.test}  # the held-out-only structure is held out
