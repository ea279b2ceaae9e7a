"""Shapes page through app.py: the table equals what torch.nn.LSTM produces, for many configurations."""

import ast
import json

import pytest
import torch
from torch import nn

from lstm_core import LSTMConfig, shapes
from ui.i18n import translate

PAGE = "shapes"


def torch_shapes(kw: dict, batch_size: int, seq_len: int) -> dict[str, tuple]:
    """Shapes from a real torch.nn.LSTM forward pass (independent of the app and of lstm_core)."""
    lstm = nn.LSTM(**kw)
    num = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    h_out = kw.get("proj_size", 0) or kw["hidden_size"]
    if kw.get("batch_first"):
        x = torch.randn(batch_size, seq_len, kw["input_size"])
    else:
        x = torch.randn(seq_len, batch_size, kw["input_size"])
    h0, c0 = torch.zeros(num, batch_size, h_out), torch.zeros(num, batch_size, kw["hidden_size"])
    with torch.no_grad():
        out, (h_n, c_n) = lstm(x, (h0, c0))
    return {name: tuple(v.shape) for name, v in
            dict(input=x, h_0=h0, c_0=c0, output=out, h_n=h_n, c_n=c_n).items()}


def table(at, index=0) -> dict[str, tuple]:
    """A tensor table as {tensor: shape}: st.table 0 = batched, UNBATCHED, PACKED (PARAMS is the parameters')."""
    df = at.table[index].value
    return {name: ast.literal_eval(row.iloc[0]) for name, row in df.iterrows()}


def verdicts(at, index) -> list[str]:
    return list(at.table[index].value.iloc[:, -1])


# st.table elements of the page, in order (0 is the batched tensor table)
PARAMS, UNBATCHED, PACKED = 1, 2, 3
# st.dataframe elements of the page, in order
SHARING, CHECKS, VALUES = 0, 1, 2


CONFIGS = [
    dict(input_size=4, hidden_size=6),
    dict(input_size=3, hidden_size=5, num_layers=2),
    dict(input_size=4, hidden_size=6, bidirectional=True),
    dict(input_size=2, hidden_size=7, num_layers=3, bidirectional=True, batch_first=True),
    dict(input_size=5, hidden_size=8, proj_size=3),
    dict(input_size=5, hidden_size=8, proj_size=3, num_layers=2, bidirectional=True),
    dict(input_size=1, hidden_size=1, bias=False),
    dict(input_size=6, hidden_size=4, num_layers=2, dropout=0.5, batch_first=True),
]


SIZES = [(2, 5), (3, 1), (1, 7), (4, 3)]  # (batch_size, seq_len), cycled over the configurations


@pytest.mark.parametrize("kw,batch_size,seq_len", [(kw, *SIZES[i % len(SIZES)]) for i, kw in enumerate(CONFIGS)],
                         ids=lambda v: ",".join(f"{k}={x}" for k, x in v.items()) if isinstance(v, dict) else None)
def test_table_equals_torch_shapes(run_app, assert_app_ok, kw, batch_size, seq_len):
    at = run_app(PAGE, query={**kw, "batch_size": batch_size, "seq_len": seq_len})
    assert_app_ok(at)
    assert table(at) == torch_shapes(kw, batch_size, seq_len)
    assert verdicts(at, 0) == ["✓"] * 6
    assert not at.error


def test_each_sidebar_widget_updates_the_table(run_app, assert_app_ok):
    at = run_app(PAGE)
    kw = dict(input_size=4, hidden_size=6)
    sizes = dict(batch_size=2, seq_len=5)
    assert table(at) == torch_shapes(kw, **sizes)
    steps = [("slider", "input_size", 3), ("slider", "hidden_size", 5), ("slider", "num_layers", 2),
             ("toggle", "bidirectional", True), ("toggle", "batch_first", True), ("toggle", "bias", False),
             ("slider", "dropout", 0.25), ("slider", "proj_size", 2), ("slider", "batch_size", 3),
             ("slider", "seq_len", 7)]
    for kind, key, value in steps:
        getattr(at, kind)(key=key).set_value(value).run()
        assert_app_ok(at)
        (sizes if key in sizes else kw)[key] = value
        assert table(at) == torch_shapes(kw, **sizes), key
        assert getattr(at, kind)(key=key).proto.query_param_key == key  # Streamlit keeps it in the URL


def test_seed_changes_the_numbers_not_the_shapes(run_app):
    at = run_app(PAGE)
    before_shapes, before_values = table(at), at.dataframe[VALUES].value.to_numpy().copy()
    at.number_input(key="seed").set_value(7).run()
    assert table(at) == before_shapes
    assert (at.dataframe[VALUES].value.to_numpy() != before_values).any()  # output/h_n values of another model


def test_invalid_combination_is_shown_and_not_applied(run_app, assert_app_ok):
    at = run_app(PAGE, query={"hidden_size": 6})
    before = table(at)
    at.slider(key="proj_size").set_value(6).run()  # proj_size must be smaller than hidden_size
    assert_app_ok(at)
    assert len(at.error) == 1 and "proj_size has to be smaller than hidden_size" in at.error[0].value
    assert table(at) == before  # the last valid configuration is still shown
    at.slider(key="hidden_size").set_value(8).run()  # now valid: applied
    assert not at.error
    assert table(at)["h_n"] == (1, 2, 6)


def test_too_big_for_the_limits_is_shown_and_not_applied(run_app, assert_app_ok):
    big = dict(input_size=64, hidden_size=64, num_layers=4, bidirectional=True, batch_size=16, seq_len=200)
    at = run_app(PAGE, query=big)  # valid for torch, but ~31 million traced numbers
    assert_app_ok(at)
    # per step and sequence the trace keeps x, pre/x_proj/i,f,g,o (12H), c, c_prev, h_full (3H), h, h_prev (2H):
    # layer 0 reads 64 inputs, layers 1-3 read 2·64; 2 directions, 200 steps, 16 sequences
    per_step = (64 + 17 * 64) + 3 * (128 + 17 * 64)
    assert len(at.error) == 1 and f"traced values = {per_step * 2 * 200 * 16:,}" in at.error[0].value
    assert table(at) == torch_shapes(dict(input_size=4, hidden_size=6), 2, 5)  # the default stays applied
    at.slider(key="seq_len").set_value(20).run()  # small enough now
    assert not at.error
    assert table(at)["output"] == (20, 16, 128)


def test_dropout_with_one_layer_is_explained(run_app):
    at = run_app(PAGE, query={"dropout": 0.2})
    assert any("num_layers = 1" in i.value for i in at.info)


def test_parameter_inventory_matches_torch_and_ignores_seq_len(run_app, assert_app_ok):
    kw = dict(input_size=3, hidden_size=4, num_layers=2, bidirectional=True, proj_size=2)
    at = run_app(PAGE, query=kw)
    assert_app_ok(at)
    params = at.table[PARAMS].value
    real = {n: tuple(p.shape) for n, p in nn.LSTM(**kw).named_parameters()}
    assert {row.iloc[0]: ast.literal_eval(row.iloc[1]) for _, row in params.iterrows()} == real
    assert list(params.iloc[:, 3]) == [int(torch.tensor(s).prod()) for s in real.values()]
    total = sum(int(torch.tensor(s).prod()) for s in real.values())
    assert at.metric[0].value == f"{total:,}"
    sharing = at.dataframe[SHARING].value
    assert set(sharing.iloc[:, 1]) == {total} and len(set(sharing.iloc[:, 2])) == len(sharing)
    at.slider(key="seq_len").set_value(40).run()
    assert at.metric[0].value == f"{total:,}"
    note = [i.value for i in at.info if i.value.startswith("seq_len 5 → 40")]
    out_old, out_new = 5 * 2 * 2 * 2, 40 * 2 * 2 * 2  # (T, B, 2 directions × proj_size 2)
    assert note == [f"seq_len 5 → 40: parameters {total:,} → {total:,}, numbers in output {out_old} → {out_new}."]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kw", [dict(proj_size=2, hidden_size=4), dict(hidden_size=6, bias=False, num_layers=2)])
def test_parameter_table_has_five_columns_and_a_legend_of_its_kinds(run_app, assert_app_ok, kw, lang):
    """Name, shape, symbols, count, torch check; what each kind of parameter is, once per kind torch has for the
    configuration (no bias rows with bias=False, weight_hr only with proj_size), in a list under the table."""
    at = run_app(PAGE, query=kw, lang=lang)
    assert_app_ok(at)
    params = at.table[PARAMS].value
    assert list(params.columns) == [translate(lang, f"shapes.col.{c}")
                                    for c in ("param", "shape", "symbolic", "count", "torch")]
    kinds = dict.fromkeys(n.split("_l")[0] for n, _ in nn.LSTM(input_size=4, **kw).named_parameters())
    legend = [m.value for m in at.markdown if m.value.startswith("- `")]
    assert legend == ["\n".join(f"- `{k}_l{{k}}`: {translate(lang, f'shapes.param.{k}')}" for k in kinds)]
    assert ("weight_hr" in kinds) == bool(kw.get("proj_size")) and ("bias_ih" in kinds) == kw.get("bias", True)


@pytest.mark.parametrize("kw", [dict(num_layers=2, bidirectional=True), dict(batch_first=True, proj_size=3),
                                dict(num_layers=3)])
def test_correspondences_hold_with_numbers(run_app, kw):
    at = run_app(PAGE, query=kw)
    checks = at.dataframe[CHECKS].value
    num_l, num_d = kw.get("num_layers", 1), 2 if kw.get("bidirectional") else 1
    assert len(checks) == 1 + (2 if num_d == 2 else 0) + num_l * num_d + 2
    assert list(checks.iloc[:, -1]) == ["✓"] * len(checks)
    diffs = [float(d) for d in checks.iloc[:, 1]]
    expected_equal = [e == "equal" for e in checks.iloc[:, 2]]
    assert all(d == 0.0 for d, eq in zip(diffs, expected_equal, strict=True) if eq)
    assert all(d > 1e-3 for d, eq in zip(diffs, expected_equal, strict=True) if not eq)
    assert any(s.value.startswith(f"All {len(checks)} claims hold") for s in at.success)
    values = at.dataframe[VALUES].value.to_numpy()
    assert (values[0] == values[1]).all()  # output's last step == top-layer forward h_n, printed


def test_unbatched_and_packed_forms(run_app):
    at = run_app(PAGE, query={"batch_size": 3, "seq_len": 4, "bidirectional": True})
    cfg = LSTMConfig(input_size=4, hidden_size=6, bidirectional=True)
    unbatched = table(at, UNBATCHED)
    packed = table(at, PACKED)
    predicted = shapes(cfg, 1, 4, form="unbatched").tensors
    assert unbatched == {name: ts.shape for name, ts in predicted.items()}
    assert unbatched["output"] == (4, 12) and unbatched["h_n"] == (2, 6)
    assert packed["input"] == (4 + 3 + 2, 4) and packed["h_n"] == (2, 3, 6)
    facts = [m.value for m in at.markdown if "batch_sizes" in m.value][0]
    assert "`[4, 3, 2]`" in facts and "`[3, 3, 2, 1]`" in facts
    assert "**0.00e+00**" in facts  # h_n at each sequence's own last step


def test_chinese(run_app, assert_app_ok):
    at = run_app(PAGE, lang="zh", query={"num_layers": 2})
    assert_app_ok(at)
    assert at.title[0].value == "张量形状"
    assert at.table[0].value.index.name == "张量"
    assert "层 × 方向" in at.table[0].value.loc["h_0", "每一维的含义"]  # the table's cells (arrow data, not text)


def test_input_from_the_input_panel_is_used(run_app, assert_app_ok):
    """get_input() returns st.session_state["input_batch"]: its B, T and lengths drive the page."""
    from lessons.sources import InputBatch

    data = torch.randn(3, 6, 4, generator=torch.Generator().manual_seed(1))
    at = run_app(PAGE, session={"input_batch": InputBatch(data=data, lengths=[6, 2, 4])})
    assert_app_ok(at)
    assert table(at)["output"] == (6, 3, 6)
    assert table(at, PACKED)["input"] == (6 + 2 + 4, 4)
    facts = [m.value for m in at.markdown if "batch_sizes" in m.value][0]
    assert "`[6, 2, 4]`" in facts and "**0.00e+00**" in facts


def figure_slabs(at) -> dict[str, set[int]]:
    """{tensor: slab indices drawn} from the block picture's Plotly spec."""
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    out: dict[str, set[int]] = {}
    for trace in spec["data"]:
        if trace.get("meta"):
            out.setdefault(trace["meta"]["tensor"], set()).add(trace["meta"]["slab"])
    return out


def test_block_picture_follows_the_sidebar(run_app):
    at = run_app(PAGE, query={"seq_len": 4, "batch_size": 3})
    slabs = figure_slabs(at)
    assert slabs["input"] == slabs["output"] == {0, 1, 2, 3}  # time-major: one slab per step
    assert slabs["h_n"] == {0}
    at.toggle(key="batch_first").set_value(True).run()
    slabs = figure_slabs(at)
    assert slabs["input"] == slabs["output"] == {0, 1, 2}  # batch-major: one slab per sequence
    assert slabs["h_n"] == {0}  # never batch-first
    at.slider(key="num_layers").set_value(2).run()
    at.toggle(key="bidirectional").set_value(True).run()
    assert figure_slabs(at)["h_n"] == figure_slabs(at)["c_n"] == {0, 1, 2, 3}  # layer·2 + direction


def test_a_class_on_the_same_configuration_shares_the_torch_runs(run_app, assert_app_ok):
    """Thirty learners on one configuration ask the same torch runs: the second session computes none of them
    and shows the same tables; another configuration is computed anew, its tables are its own."""
    from lessons import shapes as lesson

    lesson.SHARED.clear()
    query = {"hidden_size": 5, "num_layers": 2, "bidirectional": True}
    first = run_app(page=PAGE, query=query)
    assert_app_ok(first)
    computed = lesson.SHARED.misses
    assert computed >= 4  # real shapes, correspondences, the unbatched and the packed tab
    second = run_app(page=PAGE, query=query)
    assert_app_ok(second)
    assert lesson.SHARED.misses == computed and lesson.SHARED.hits >= 4
    for i in (0, UNBATCHED, PACKED):  # the tensor tables
        assert table(second, i) == table(first, i)
    other = run_app(page=PAGE, query={**query, "hidden_size": 6})
    assert lesson.SHARED.misses >= computed + 4
    assert table(other, 0)["h_n"][-1] == 6 and table(first, 0)["h_n"][-1] == 5  # (4, B, H): its own tables
