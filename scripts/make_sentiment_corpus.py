"""Generate assets/sentiment_corpus_large.json: a seeded bilingual (English + Chinese) sentiment corpus.

    python scripts/make_sentiment_corpus.py            # writes the committed file (same bytes every time)

Templates + vocabulary, no download. Three kinds of sentence, in both languages:

* plain      "the plot was really moving"             / "剧情非常感人"
* negated    "the plot was not moving"   (flips)      / "剧情不感人"
* contrast   "the plot was dull but the cast was great" -> the clause after *but* decides;
             "although A , B" likewise;  "虽然A，但是B" / "A，可是B" -> B decides.
* far        negation that reaches over a whole clause (flips): "i did not think the plot was great" /
             "nobody would say ..." / "我不觉得剧情很精彩" / "没有人会说…"
* scope      a negation word whose scope is NOT the verdict (no flip): "not only was the plot great , the cast
             was good" / "the plot was not just good , it was great" / "不仅剧情精彩，演员也很出色"

Contrast pairs use the same words in both orders with opposite labels, "not good" / "not bad" flip the sign of
the same word, a far negation flips a whole clause and a "not only" flips nothing, so a bag of words cannot get
them right; an LSTM reading in order can. The held-out part is a random fifth of every kind: the target (85 %
held out) asks for negation scope and contrast, where the bag of words stays near chance.
label 1 = positive, 0 = negative.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "assets" / "sentiment_corpus_large.json"
SEED = 2024
PER_LANGUAGE = 1700

EN = {
    "aspect": ["the plot", "the acting", "the music", "the ending", "the story", "the cast", "the dialogue",
               "the film", "the camera work", "the soundtrack", "the script", "the pacing", "the characters",
               "the movie", "the show", "the book"],
    "pos": ["good", "great", "moving", "brilliant", "wonderful", "funny", "charming", "excellent", "clever",
            "beautiful", "fresh", "exciting"],
    "neg": ["bad", "dull", "boring", "awful", "weak", "terrible", "clumsy", "flat", "silly", "messy", "slow",
            "predictable"],
    "adv": ["", "really", "very", "quite", "truly", "rather"],
    "verb": ["was", "is", "felt", "seemed"],
}
ZH = {
    "aspect": ["剧情", "演技", "音乐", "结局", "故事", "演员", "对白", "电影", "画面", "配乐", "剧本", "节奏",
               "人物", "这部片", "这本书", "特效"],
    "pos": ["精彩", "感人", "出色", "有趣", "好看", "动人", "幽默", "优秀", "新颖", "美好"],
    "neg": ["无聊", "糟糕", "乏味", "难看", "拖沓", "平淡", "混乱", "幼稚", "失望", "差劲"],
    "adv": ["", "很", "非常", "真的", "特别", "有点"],
}


def en_clause(rng, label: int, negate: bool) -> str:
    aspect, verb, adv = rng.choice(EN["aspect"]), rng.choice(EN["verb"]), rng.choice(EN["adv"])
    word = rng.choice(EN["pos"] if (label == 1) != negate else EN["neg"])
    middle = "not" if negate else adv
    return " ".join(w for w in (aspect, verb, middle, word) if w)


def zh_clause(rng, label: int, negate: bool) -> str:
    aspect, adv = rng.choice(ZH["aspect"]), rng.choice(ZH["adv"])
    word = rng.choice(ZH["pos"] if (label == 1) != negate else ZH["neg"])
    return aspect + ("不" if negate else adv or "很") + word


# Negation frames for a whole clause: the first two are trained on; the others, made of words the training part
# has too, appear only in the held-out part.
FRAMES = {"en": ("i did not think", "i do not think", "i really did not think", "i truly do not think"),
          "zh": ("我不觉得", "我不认为", "我真的不觉得", "我真的不认为")}
# Fillers that put distance between a negation or a turn and the verdict: held-out part only.
FILLERS = {"en": (", after two long hours ,", ", to be honest ,", ", despite all the hype ,", ", in the end ,"),
           "zh": ("说实话", "看了两个小时之后", "尽管宣传很多", "到了最后")}


def far(rng, lang: str, label: int, held_out: bool) -> str:
    """A negation over a whole clause: the clause says the opposite of the label."""
    clause = (en_clause if lang == "en" else zh_clause)(rng, 1 - label, False)
    frame = rng.choice(FRAMES[lang][2:] if held_out else FRAMES[lang][:2])
    return f"{frame} {clause}" if lang == "en" else frame + clause


def long_distance(rng, lang: str, label: int) -> str:
    """Negation or contrast with a filler between it and the verdict (held-out part only)."""
    negate = rng.random() < 0.5
    filler = rng.choice(FILLERS[lang])
    if lang == "en":
        aspect, verb = rng.choice(EN["aspect"]), rng.choice(EN["verb"])
        word = rng.choice(EN["pos"] if (label == 1) != negate else EN["neg"])
        core = f"{aspect} {filler} {verb} {'not ' if negate else ''}{word}"
        if rng.random() < 0.5:
            return core
        return f"{en_clause(rng, 1 - label, False)} but {core}"
    aspect = rng.choice(ZH["aspect"])
    word = rng.choice(ZH["pos"] if (label == 1) != negate else ZH["neg"])
    core = f"{filler}{aspect}{'不' if negate else '很'}{word}"
    return core if rng.random() < 0.5 else f"虽然{zh_clause(rng, 1 - label, False)}，但是{core}"


def scope(rng, lang: str, label: int) -> str:
    """A negation word that does not touch the verdict: both clauses say the label."""
    if lang == "en":
        aspect, verb = rng.choice(EN["aspect"]), rng.choice(("was", "is"))
        word, word2 = (rng.choice(EN["pos"] if label else EN["neg"]) for _ in range(2))
        adv = rng.choice(EN["adv"]) or "really"
        if rng.random() < 0.5:  # "not only was the plot great , the cast was good"
            return f"not only {verb} {aspect} {word} , {en_clause(rng, label, False)}"
        return f"{aspect} {verb} not just {word} , it {verb} {adv} {word2}"
    a = zh_clause(rng, label, False)
    if rng.random() < 0.5:
        aspect, adv = rng.choice(ZH["aspect"]), rng.choice(ZH["adv"]) or "很"
        return f"不仅{a}，{aspect}也{adv}{rng.choice(ZH['pos'] if label else ZH['neg'])}"
    return f"{a}，不只是一点点"


def sentence(rng, lang: str, held_out: bool = False) -> tuple[str, int, str]:
    """One sentence; ``held_out``: one of the structures never trained on (far with unseen frames, long)."""
    label = rng.randint(0, 1)
    if held_out:
        kind = rng.choice(["far", "long"])
        return (far(rng, lang, label, True) if kind == "far" else long_distance(rng, lang, label)), label, kind
    clause = en_clause if lang == "en" else zh_clause
    kind = rng.choices(["plain", "negated", "contrast", "far", "scope"], weights=[3, 3, 5, 2, 2])[0]
    if kind == "far":
        return far(rng, lang, label, False), label, kind
    if kind == "scope":
        return scope(rng, lang, label), label, kind
    if kind != "contrast":
        return clause(rng, label, kind == "negated"), label, kind
    first_label = 1 - label if rng.random() < 0.85 else label  # mostly opposite halves
    a = clause(rng, first_label, rng.random() < 0.25)
    b = clause(rng, label, rng.random() < 0.25)
    if lang == "en":
        text = f"{a} but {b}" if rng.random() < 0.6 else f"although {a} , {b}"
    else:
        text = f"虽然{a}，但是{b}" if rng.random() < 0.6 else f"{a}，可是{b}"
    return text, label, kind


HELD_OUT_NEW = 0.12  # share of each language made of held-out-only structures
HELD_OUT_SEEN = 0.10  # share of the ordinary sentences also held out (the same kinds as training)


def generate(seed: int = SEED, per_language: int = PER_LANGUAGE) -> dict:
    rng = random.Random(seed)
    items, seen = [], set()
    for lang in ("en", "zh"):
        count = 0
        while count < per_language:
            new = count < HELD_OUT_NEW * per_language
            text, label, kind = sentence(rng, lang, held_out=new)
            if text in seen:
                continue
            seen.add(text)
            split = "test" if new or rng.random() < HELD_OUT_SEEN else "train"
            items.append({"text": text, "label": label, "lang": lang, "kind": kind, "split": split})
            count += 1
    rng.shuffle(items)
    return {"description": f"Generated by scripts/make_sentiment_corpus.py (seed {seed}): English and Chinese "
                           "sentences with negation, contrast (but / although / 虽然…但是… / 可是), negation over a "
                           "whole clause (far) and negation words that do not flip the verdict (scope). label 1 = "
                           "positive, 0 = negative; kind = plain | negated | contrast | far | scope | long. "
                           "split = test: held out, including structures never trained on (far with unseen "
                           "frames, long: a filler between the negation or turn and the verdict).",
            "labels": {"0": "negative", "1": "positive"}, "items": items}


if __name__ == "__main__":
    OUT.write_text(json.dumps(generate(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
