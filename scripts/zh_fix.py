#!/usr/bin/env python3
"""Mechanical fixes for every zh catalog: full-width punctuation around Chinese text, 正向/反向 for directions.

    python scripts/zh_fix.py            # rewrite assets/locales/zh/*.json in place (only changed lines)
    python scripts/zh_fix.py --check    # list what would change, exit 1 if anything would

Safe to re-run (idempotent) and safe next to other people's edits: a file is edited line by line — only the
line of a key whose value changes is rewritten, order and formatting stay. Code spans (`...`), math ($...$),
URLs and {placeholders} keep their ASCII. tests/test_zh_voice.py checks the result (and what needs a human).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ZH_DIR = Path(__file__).resolve().parent.parent / "assets" / "locales" / "zh"
CJK = r"[\u3400-\u9fff]"
CJK_OR_CLOSE = r"[\u3400-\u9fff」』）】”]"
PROTECTED = re.compile(r"`[^`]*`|\$[^$]*\$|https?://[^\s）)」]+|\{[^{}]*\}")
FULL = {",": "，", ";": "；", "!": "！", "?": "？", ":": "："}


def _mask(value: str) -> tuple[str, list[str]]:
    """Protected spans -> private-use markers (neutral: neither Chinese nor punctuation)."""
    spans: list[str] = []

    def keep(m: re.Match) -> str:
        spans.append(m.group(0))
        return chr(0xE000 + len(spans) - 1)

    return PROTECTED.sub(keep, value), spans


def fix(value: str) -> str:
    """`_fix_once` until nothing changes (a new ） can make the next mark convertible): idempotent."""
    for _ in range(10):
        new = _fix_once(value)
        if new == value:
            break
        value = new
    return value


def _fix_once(value: str) -> str:
    text, spans = _mask(value)
    # punctuation after Chinese text (or before it, for , ; ! ?)
    text = re.sub(rf"(?<={CJK_OR_CLOSE})\s*([,;!?:])\s*", lambda m: FULL[m.group(1)], text)
    text = re.sub(rf"\s*([,;!?])\s*(?={CJK})", lambda m: FULL[m.group(1)], text)
    text = re.sub(rf"(?<={CJK})\.(?=\s|$)\s*", "。", text)
    if re.search(CJK, text):  # between code spans, bold and brackets inside a Chinese sentence
        text = re.sub(rf"(?<=[\ue000-\uf8ff*）])\s*([,:;])\s*(?=[\ue000-\uf8ff*（]|{CJK})",
                      lambda m: FULL[m.group(1)], text)
    # parentheses holding Chinese text (innermost first)
    while True:
        new = re.sub(rf"(?<!\bP)\s*\(([^()]*{CJK}[^()]*)\)\s*", r"（\1）", text)  # P(正面) stays
        if new == text:
            break
        text = new
    # directions: 前向 is the forward pass; a direction is 正向, and 后向 is 反向
    text = text.replace("后向", "反向")
    text = re.sub(r"前向(?!传播|计算|调用|过程|运行)", "正向", text)
    # no ASCII space between a full-width mark and its neighbours
    text = re.sub(r" *([，。：；！？（）]) *", r"\1", text)
    return re.sub("[\ue000-\uf8ff]", lambda m: spans[ord(m.group(0)) - 0xE000], text)


def fix_file(path: Path, write: bool = True) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    changed = []
    for n, line in enumerate(lines):
        m = re.match(r'^(\s*)("(?:[^"\\]|\\.)*")(\s*:\s*)("(?:[^"\\]|\\.)*")(,?)(\s*)$', line)
        if not m:
            continue
        value = json.loads(m.group(4))
        new = fix(value)
        if new != value:
            encoded = json.dumps(new, ensure_ascii=False)
            lines[n] = f"{m.group(1)}{m.group(2)}{m.group(3)}{encoded}{m.group(5)}{m.group(6)}"
            changed.append(json.loads(m.group(2)))
    text = "\n".join(lines)
    json.loads(text)  # still valid JSON
    if write and changed:
        path.write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    total = 0
    for path in sorted(ZH_DIR.glob("*.json")):
        keys = fix_file(path, write=not check)
        total += len(keys)
        for key in keys:
            print(f"{path.name}: {key}")
    print(f"{total} string(s) {'would change' if check else 'changed'}")
    return 1 if check and total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
