"""The tensors of an nn.LSTM call drawn as stacks of blocks (pure: ShapeReport in, go.Figure out).

A 3-D tensor ``(A, B, C)`` is drawn as ``A`` slabs stacked in depth, each a grid of ``B`` rows × ``C``
columns; a 2-D tensor is one slab. So a time-major input shows one slab per time step (rows = batch), a
batch-first input one slab per sequence (rows = time), and ``h_n`` one slab per layer × direction, coloured
by direction. Feature columns of ``output`` are split into the forward and backward halves.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

LAYOUT = (("input", 1, 1), ("h_0", 1, 2), ("c_0", 1, 3), ("output", 2, 1), ("h_n", 2, 2), ("c_n", 2, 3))
FORWARD, BACKWARD, PLAIN = "#4C78A8", "#F58518", "#9DA9B5"
MAX_SLABS = 6  # slabs drawn per tensor; the rest are summarised by a "…" label
GRID_CELLS = 600  # draw cell lines on the front slab when it has at most this many cells


def _rect(x0, y0, w, h):
    return [x0, x0 + w, x0 + w, x0, x0], [y0, y0, y0 + h, y0 + h, y0]


def slab_indices(count: int, limit: int = MAX_SLABS) -> list[int]:
    """Which slabs are drawn: all when few, else the first limit-1 and the last."""
    return list(range(count)) if count <= limit else [*range(limit - 1), count - 1]


def _segments(tensor: str, dims, num_directions: int, h_out: int, slab: int) -> list[tuple[int, int, str, str]]:
    """Column ranges of one slab as (start, width, colour, direction-key)."""
    width = dims[-1].size
    if tensor == "output" and num_directions == 2:
        return [(0, h_out, FORWARD, "forward"), (h_out, h_out, BACKWARD, "backward")]
    if tensor in ("h_0", "c_0", "h_n", "c_n") and len(dims) >= 2:
        if num_directions == 2:
            return [(0, width, FORWARD if slab % 2 == 0 else BACKWARD, "forward" if slab % 2 == 0 else "backward")]
        return [(0, width, FORWARD, "forward")]
    if tensor == "output":
        return [(0, width, FORWARD, "forward")]
    return [(0, width, PLAIN, "")]


def tensor_blocks(rep, labels: dict[str, str], height: int = 620) -> go.Figure:
    """Blocks for input, h_0, c_0, output, h_n, c_n of `rep` (a lstm_core ShapeReport).

    `labels` holds the translated words: ``"role.<role>"`` for every axis role in `rep`, ``"forward"``,
    ``"backward"``, ``"slab"`` (format ``{index}``), ``"more"`` (format ``{count}``) and ``"layer_dir"``
    (format ``{layer}`` and ``{direction}``).
    """
    cfg = rep.config
    num_dirs, h_out = cfg.num_directions, cfg.h_out
    titles = [f"<b>{name}</b> {rep.tensors[name].shape}" for name, _, _ in LAYOUT]
    fig = make_subplots(rows=2, cols=3, subplot_titles=titles, horizontal_spacing=0.06, vertical_spacing=0.14)
    shown_legend: set[str] = set()
    # Collected, then added in one call each: plotly re-validates every earlier trace/annotation on each
    # add_trace/add_annotation (quadratic: ~1 s per run of the Shapes page on 2 cores, measured)
    traces, at_rows, at_cols, notes = [], [], [], []

    for index, (name, row, col) in enumerate(LAYOUT):
        dims = rep.tensors[name].dims
        if len(dims) == 1:  # a vector (unbatched state of one layer×direction): one row
            depth, rows, cols = 1, 1, dims[0].size
        elif len(dims) == 2:
            depth, rows, cols = 1, dims[0].size, dims[1].size
        else:
            depth, rows, cols = dims[0].size, dims[1].size, dims[2].size
        drawn = slab_indices(depth)
        step = max(0.6, 0.12 * max(rows, cols))
        for position, slab in reversed(list(enumerate(drawn))):  # back to front
            x0, y0 = position * step, position * step
            for start, width, colour, direction in _segments(name, dims, num_dirs, h_out, slab):
                xs, ys = _rect(x0 + start, y0, width, rows)
                hover = _hover(name, dims, slab, labels, num_dirs, direction)
                legend = direction and direction not in shown_legend
                if legend:
                    shown_legend.add(direction)
                traces.append(dict(
                    type="scatter", x=xs, y=ys, mode="lines", fill="toself", fillcolor=colour, opacity=0.85,
                    line=dict(color="#2b2b2b", width=1), hoverinfo="text", hovertext=hover,
                    name=labels[direction] if direction else name, legendgroup=direction or name,
                    showlegend=bool(legend), legendrank=2 if direction == "backward" else 1,
                    meta={"tensor": name, "slab": slab},
                ))
                at_rows.append(row)
                at_cols.append(col)
        if rows * cols <= GRID_CELLS and (rows > 1 or cols > 1):
            traces.append(_grid(rows, cols))
            at_rows.append(row)
            at_cols.append(col)
        notes += _axis_labels(index + 1, dims, depth, rows, cols, step, len(drawn), labels)
        axis = "" if index == 0 else str(index + 1)
        fig.update_xaxes(visible=False, row=row, col=col)
        fig.update_yaxes(visible=False, scaleanchor=f"x{axis}", scaleratio=1, row=row, col=col)

    fig.add_traces(traces, rows=at_rows, cols=at_cols)
    fig.update_layout(
        annotations=[*fig.layout.annotations, *notes],
        height=height, margin=dict(l=10, r=10, t=40, b=10), plot_bgcolor="rgba(0,0,0,0)",
        legend=dict(orientation="h", yanchor="bottom", y=-0.06, x=0), hovermode="closest",
    )
    return fig


def _grid(rows: int, cols: int) -> dict:
    xs, ys = [], []
    for c in range(1, cols):
        xs += [c, c, None]
        ys += [0, rows, None]
    for r in range(1, rows):
        xs += [0, cols, None]
        ys += [r, r, None]
    return dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color="rgba(255,255,255,0.7)", width=1),
                hoverinfo="skip", showlegend=False)


def _hover(name, dims, slab, labels, num_dirs, direction) -> str:
    parts = [f"{d.size} {d.symbol}: {labels['role.' + d.role]}" for d in dims]
    head = name if len(dims) < 3 else f"{name}[{slab}]"
    if name in ("h_0", "c_0", "h_n", "c_n") and len(dims) >= 2:
        layer, d = divmod(slab, num_dirs)
        head += " — " + labels["layer_dir"].format(layer=layer, direction=labels["forward" if d == 0 else "backward"])
    elif direction and name == "output":
        head += " — " + labels[direction]
    return "<br>".join([f"<b>{head}</b>", *parts])


def _axis_labels(index, dims, depth, rows, cols, step, drawn, labels) -> list[dict]:
    """The annotations naming a block's axes (sizes and symbols), for subplot `index`."""
    ref = "" if index == 1 else str(index)
    xref, yref = f"x{ref}", f"y{ref}"
    font = dict(size=11, color="#444")
    notes = []

    def note(x, y, text, **kw):
        notes.append(dict(x=x, y=y, xref=xref, yref=yref, text=text, showarrow=False, font=font, **kw))

    col_dim, row_dim = dims[-1], dims[-2] if len(dims) >= 2 else None
    note(cols / 2, -0.4, f"{col_dim.symbol} = {col_dim.size}", yanchor="top")
    if row_dim is not None:
        note(-0.4, rows / 2, f"{row_dim.symbol} = {row_dim.size}", xanchor="right", textangle=-90)
    if len(dims) == 3:
        top = (drawn - 1) * step
        text = f"{dims[0].symbol} = {depth}"
        if depth > drawn:
            text += " " + labels["more"].format(count=depth - drawn)
        note(cols + top + 0.3, rows + top + 0.2, text, xanchor="left", yanchor="bottom")
    return notes
