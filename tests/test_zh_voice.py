"""中文 in one voice: every zh catalog uses one term per idea (正向/反向 for the directions, 前向传播 for the
forward pass, 批次/批大小/不带批次维, 固定 (a clamped gate), 时间在前, 细胞状态通路, the menu's page names),
full-width punctuation in Chinese sentences —
also next to code spans, placeholders and bold —, no spaces between Chinese characters, no English words outside
code spans (apart from a short list of names), bold that CommonMark can open and close, and tables that stand
on their own paragraph as in English. ``scripts/zh_fix.py`` applies the mechanical part (punctuation, direction
term); the rest is fixed by hand in the catalogs."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ZH = sorted((ROOT / "assets" / "locales" / "zh").glob("*.json"))
CJK = r"[\u3400-\u9fff]"
# spans that keep ASCII: `code`, $math$, URLs, {placeholders}
PROTECTED = re.compile(r"`[^`]*`|\$[^$]*\$|https?://[^\s）)」]+|\{[^{}]*\}")
ALLOWED_WORDS = {
    "LSTM", "GRU", "RNN", "BiLSTM", "PyTorch", "Python", "CSV", "NPZ", "PNG", "URL", "UTF", "CPU", "MB", "NaN",
    "Inf", "BPTT", "cuDNN", "Adam", "torch", "numpy", "tanh", "sigmoid", "softmax", "safetensors", "autograd",
    "PackedSequence", "Hochreiter", "Schmidhuber", "Jozefowicz", "True", "False", "Language", "Jupyter", "Colab",
    "sin", "vs", "pt", "pth", "bin", "bfloat", "Linear", "logits", "argmax", "MSE", "NUL", "Home", "End", "unk",
    "Karpathy", "LSTMVis", "IMDB",
    # nn.LSTM's own argument and output names (the sidebar shows them verbatim)
    "bias", "dropout", "bidirectional", "output", "input", "state",
}


def zh_strings():
    for path in ZH:
        for key, value in json.loads(path.read_text(encoding="utf-8")).items():
            yield path.name, key, value


def prose(value: str) -> str:
    """The text outside protected spans (each span replaced by a neutral marker)."""
    return PROTECTED.sub("\u2063", value)


STRINGS = list(zh_strings())
CATALOGS = [path.name for path in ZH]


def offenders(catalog: str, problem) -> list[str]:
    """Every string of one zh catalog that breaks a rule, as ``key: what is wrong`` (``problem(value)`` returns
    a description or nothing): one test per rule and catalog, each failure lists all its strings."""
    found = []
    for name, key, value in STRINGS:
        if name == catalog and (what := problem(value)):
            found.append(f"{key}: {what}")
    return found


def check(catalog: str, problem, advice: str) -> None:
    bad = offenders(catalog, problem)
    assert not bad, f"{catalog}: {len(bad)} string(s) — {advice}\n" + "\n".join(bad)


def wrong_direction_term(value: str) -> str | None:
    text = prose(value)
    for wrong in ("后向", "逆向", "顺向", "正方向"):
        if wrong in text:
            return f"{wrong}: the two directions are 正向 and 反向"
    if re.search(r"前向(?!传播|计算|调用|过程|运行)", text):
        return "前向 is the forward pass; the direction is 正向"
    # and the other way round: the results of the forward pass are not "正向值" (the forward direction's values)
    if re.search(r"正向(?:值|结果|传播|计算|调用|过程)", text):
        return "the forward pass is 前向计算/前向传播"
    return None


@pytest.mark.parametrize("catalog", CATALOGS)
def test_direction_terms(catalog):
    check(catalog, wrong_direction_term, "one term per direction and for the forward pass")


def sentence(value: str) -> str:
    """The prose as a reader sees its punctuation: protected spans and filled placeholders are words, ``**``
    (bold) is invisible."""
    return re.sub(r"\{[^{}]*\}", "\u2063", prose(value)).replace("**", "")


# ASCII punctuation in a Chinese sentence, wherever a placeholder, a code span or bold sits next to it:
# "层(X)钳住", "`(T, B, I)`,torch", "`proj_size`:h", "**教程原文**(X):". P(正面) is a probability: its
# parentheses stay ASCII; shapes and calls such as (B, T, I) or tanh(c) keep theirs.
HALF_WIDTH = re.compile(
    rf"{CJK}\s*[,:;!?]"                    # 中文, 中文:
    rf"|[,:;!?]\s*{CJK}"                   # ,中文 :中文
    r"|[,:;!?](?=[A-Za-z\u2063“”‘’])"      # `x`,torch  X,t = …  `x`:“…”
    r"|[,:;](?=[ \t]*(?:\n|$))"             # … (X):  at the end of a sentence or a line
    rf"|(?<!\bP)\((?=[^()]*{CJK})[^()]*\)"  # (中文)
    rf"|{CJK}\(|\){CJK}"                   # 层(X)  (X)钳住
)


def half_width_punctuation(value: str) -> str | None:
    text = sentence(value)
    if not re.search(CJK, text):
        return None  # a symbol or a name only (h_n, LSTM): nothing Chinese to punctuate
    bad = HALF_WIDTH.search(text.replace("P(正面)", "P\u2063"))
    return bad and f"…{text[max(bad.start() - 8, 0):bad.end() + 8]}…"


@pytest.mark.parametrize("catalog", CATALOGS)
def test_full_width_punctuation(catalog):
    check(catalog, half_width_punctuation, "ASCII punctuation in Chinese text (use ，：；！？（）)")


def space_inside_chinese(value: str) -> str | None:
    bad = re.search(rf"{CJK} +{CJK}", prose(value))
    return bad and f"…{value[max(bad.start() - 8, 0):bad.end() + 8]}…"


@pytest.mark.parametrize("catalog", CATALOGS)
def test_no_space_inside_chinese_words(catalog):
    """Chinese has no spaces between characters: "另一个 批大小" is a leftover of a mechanical replacement."""
    check(catalog, space_inside_chinese, "space between Chinese characters")


def english_words(value: str) -> set[str]:
    """Words of `value` outside code spans that are neither symbols, identifiers nor allowed names (also used
    on the figures' hover texts and titles, tests/figures/test_zh_text.py)."""
    text = prose(value)
    words = set()
    text = re.sub(r"\([^()]*,[^()]*\)", " ", text)  # shape notation: (batch, seq, feature)
    for token in re.findall(r"[A-Za-z][A-Za-z0-9_.\-·ₜ₀-₉²]*(?:\([^()]*\))?", text):
        if re.search(r"[_\d.(·ₜ₀-₉²]", token):  # identifiers, calls, shapes: code-like, kept as written
            continue
        if re.fullmatch(r"[A-Za-z]", token) or re.fullmatch(r"[A-Z][a-z]?|[a-z]{1,2}", token):
            continue  # symbols: x, h, c, H, D, ih, hh ...
        if token not in ALLOWED_WORDS:
            words.add(token)
    return words


@pytest.mark.parametrize("catalog", CATALOGS)
def test_no_english_words(catalog):
    check(catalog, lambda value: english_words(value) and str(sorted(english_words(value))),
          "English words left in zh (translate, put in a code span, or add a name to ALLOWED_WORDS)")


def test_one_set_of_terms():
    everything = "\n".join(prose(v) for _, _, v in STRINGS)
    for wrong, right in (("批量大小", "批大小"), ("批次大小", "批大小"), ("批量", "批次"), ("钳制", "固定"),
                         ("钳位", "固定"), ("夹住", "固定"), ("钳住", "固定"), ("时间优先", "时间在前"),
                         ("细胞通路", "细胞状态通路"), ("亲手写出", "手工编写"), ("现场证据", "现场运行的结果"),
                         ("批维度", "批次维"), ("批次维度", "批次维"),
                         ("单步演示", "逐步运行"), ("无批次维", "不带批次维")):
        assert wrong not in everything, f"{wrong} → {right}"


def test_page_names_agree_with_the_menu():
    titles = {k.split(".")[0]: v for _, k, v in STRINGS if k.endswith(".page_title")}
    mentioned = {m for _, _, v in STRINGS for m in re.findall(r"「([^」]+)」", v)}
    page_like = {m for m in mentioned if m.endswith(("页", "页面")) or m in titles.values()}
    assert page_like <= set(titles.values()), sorted(page_like - set(titles.values()))


# ---- bold that renders ------------------------------------------------------------------------------------
# CommonMark (Streamlit's markdown) opens ``**`` only where it is left-flanking and closes it only where it is
# right-flanking. Full-width punctuation is punctuation: "**为什么会遗忘。**随机" ends the bold after "。" and
# before a letter, which is not right-flanking, and the page shows the asterisks.


def _space(ch: str | None) -> bool:
    return ch is None or ch.isspace()


def _punct(ch: str | None) -> bool:  # CommonMark 0.31: Unicode punctuation and symbols (P*, S*)
    return ch is not None and unicodedata.category(ch)[0] in "PS"


def broken_bold(value: str) -> list[str]:
    """The ``**`` runs of `value` that cannot open or close where they stand (each as a short excerpt)."""
    text = re.sub(r"\{[^{}]*\}", "0", value)  # a placeholder is filled with a number or a word
    text = re.sub(r"`[^`]*`", "`x`", text)    # inside a code span ``**`` is literal
    text = re.sub(r"\$[^$]+\$", "$x$", text)
    problems, open_at = [], None
    for run in re.finditer(r"\*+", text):
        if len(run.group()) != 2:
            continue
        before = text[run.start() - 1] if run.start() else None
        after = text[run.end()] if run.end() < len(text) else None
        left = not _space(after) and (not _punct(after) or _space(before) or _punct(before))
        right = not _space(before) and (not _punct(before) or _space(after) or _punct(after))
        excerpt = text[max(run.start() - 12, 0):run.end() + 12]
        if open_at is None:
            if not left:
                problems.append(f"cannot open: …{excerpt}…")
            open_at = run.start()
        else:
            if not right:
                problems.append(f"cannot close: …{excerpt}…")
            open_at = None
    if open_at is not None:
        problems.append(f"never closed: …{text[open_at:open_at + 24]}…")
    return problems


def test_broken_bold_is_recognised():
    assert broken_bold("**为什么未训练的 LSTM 也会遗忘。**随机权重下")  # the asterisks show
    assert broken_bold("见**（括号里）**")                                  # cannot open before （
    assert not broken_bold("**为什么未训练的 LSTM 也会遗忘**。随机权重下")
    assert not broken_bold("决定：**遗忘**多少记忆（f）、**写入**多少")      # seen bold in Chromium
    assert not broken_bold("**LSTM**（4 个门块）")
    assert not broken_bold("在**最后一步**，梯度")


@pytest.mark.parametrize("catalog", CATALOGS)
def test_bold_renders(catalog):
    check(catalog, lambda value: "; ".join(broken_bold(value)),
          "bold that shows its asterisks: move the punctuation outside the ** (e.g. **标题**。)")


def test_tables_and_blocks_stand_alone_as_in_english():
    """A placeholder that fills a whole paragraph in English (a markdown table: ``…:\\n\\n{rows_table}``) must
    stand alone in Chinese too: glued to the sentence before it, the table shows as one line of pipes."""
    en = {k: v for path in sorted((ROOT / "assets" / "locales" / "en").glob("*.json"))
          for k, v in json.loads(path.read_text(encoding="utf-8")).items()}
    alone = re.compile(r"(?:^|\n\n)(\{[^{}]+\})(?=\n\n|$)")
    glued = []
    for name, key, value in STRINGS:
        for field in alone.findall(en.get(key, "")):
            if field not in alone.findall(value):
                glued.append(f"{name}:{key} {field}")
    assert not glued, glued
