"""The Pitfalls cards' markdown tables in both languages (ui/pitfalls_view.display_values): a header such as
"最大 |Δ|" carries pipes of its own, which must not split a cell, and every table stands on its own paragraph
in the card's text (glued to the sentence before it, it shows as one line of pipes)."""

import functools
import re

import pytest
import torch

from lessons import pitfalls
from lstm_core import LSTMConfig
from ui.i18n import translate
from ui.pitfalls_view import display_values

CELL = re.compile(r"(?<!\\)\|")  # a cell boundary: a pipe that is not escaped


@pytest.fixture(scope="module")
def demos():
    cfg = LSTMConfig(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    model = cfg.build(seed=0)
    x = torch.randn(3, 5, 3, generator=torch.Generator().manual_seed(0))
    return {d.key: d for d in pitfalls.compute_all(cfg, model.state_dict(), x, lengths=[5, 3, 2])}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("key,table", [("layer_major", "rows_table"), ("claim_hn_rows", "rows_table"),
                                       ("padding", "per_seq_table")])
def test_tables_keep_their_columns(demos, lang, key, table):
    tr = functools.partial(translate, lang)
    values = display_values(demos[key], tr)
    lines = values[table].splitlines()
    assert len(lines) == 2 + (4 if table == "rows_table" else 3)  # header, rule, one row per h_n row / sequence
    assert all(len(CELL.findall(line)) == 5 for line in lines), lines  # four cells in every line
    assert "\\|Δ\\|" in lines[0] or "abs" in lines[0]  # the max |Δ| header, its pipes escaped
    evidence = translate(lang, f"pitfalls.{key}.evidence", **values)
    assert f"\n\n{values[table]}\n\n" in evidence


def test_wrong_pairs_read_in_each_language(demos):
    zh = display_values(demos["layer_major"], lambda k, **f: translate("zh", k, **f))["wrong_pairs"]
    en = display_values(demos["layer_major"], lambda k, **f: translate("en", k, **f))["wrong_pairs"]
    assert zh == "（0，反向）、（1，正向）" and en == "(0, backward), (1, forward)"
