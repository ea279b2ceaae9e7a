"""中文 in one voice: every zh catalog uses one term per idea, full-width punctuation around Chinese text and no
English words outside code spans (apart from a short list of names). ``scripts/zh_fix.py`` applies the
mechanical part (punctuation, direction term); the rest is fixed by hand in the catalogs."""

from __future__ import annotations

import json
import re
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
    "PackedSequence", "Hochreiter", "Schmidhuber", "Jozefowicz", "True", "False", "Language", "max", "min",
    "sin", "vs", "pt", "pth", "bin", "bfloat", "Linear", "logits", "argmax", "MSE", "NUL", "Home", "End", "unk",
    "Karpathy", "LSTMVis",
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
IDS = [f"{f}:{k}" for f, k, _ in STRINGS]


@pytest.mark.parametrize("name,key,value", STRINGS, ids=IDS)
def test_direction_terms(name, key, value):
    text = prose(value)
    assert "后向" not in text, "后向 → 反向"
    assert not re.search(r"前向(?!传播|计算|调用|过程|运行)", text), "前向 is the forward pass; the direction is 正向"


@pytest.mark.parametrize("name,key,value", STRINGS, ids=IDS)
def test_full_width_punctuation(name, key, value):
    text = prose(value)
    # P(正面) is a probability: its parentheses stay ASCII
    bad = re.search(rf"{CJK}\s*[,:;!?]|[,;!?]\s*{CJK}|(?<!\bP)\((?=[^()]*{CJK})[^()]*\)", text)
    assert not bad, f"ASCII punctuation in Chinese text: …{text[max(bad.start() - 8, 0):bad.end() + 8]}…"


@pytest.mark.parametrize("name,key,value", STRINGS, ids=IDS)
def test_no_english_words(name, key, value):
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
    assert not words, f"English words left in zh: {sorted(words)}"


def test_one_set_of_terms():
    everything = "\n".join(prose(v) for _, _, v in STRINGS)
    for wrong, right in (("批量大小", "批大小"), ("批次大小", "批大小"), ("批量", "批次"), ("钳制", "钳住"),
                         ("单步演示", "逐步运行"), ("无批次维", "不带批次维")):
        assert wrong not in everything, f"{wrong} → {right}"


def test_page_names_agree_with_the_menu():
    titles = {k.split(".")[0]: v for _, k, v in STRINGS if k.endswith(".page_title")}
    mentioned = {m for _, _, v in STRINGS for m in re.findall(r"「([^」]+)」", v)}
    page_like = {m for m in mentioned if m.endswith(("页", "页面")) or m in titles.values()}
    assert page_like <= set(titles.values()), sorted(page_like - set(titles.values()))
