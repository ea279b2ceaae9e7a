"""The sentiment classifier: the corpus is what its generator makes, the seeded classifier reaches its held-out
target in a fixed budget and beats the bag of words where order matters, and its numbers equal torch's."""

import json

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from lessons import sentiment as S
from lstm_core import LSTM
from scripts.make_sentiment_corpus import generate

BUDGET = 120  # Adam steps of 64 sentences (held out: ~80 % at 60 steps, ~99.7 % at 180; bag of words ~43 %)


@pytest.fixture(scope="module")
def trained():
    tr = S.Trainer(S.split(0), seed=0)
    tr.advance(BUDGET)
    return tr


def test_committed_corpus_is_the_generators_output():
    committed = json.loads(S.CORPUS.read_text(encoding="utf-8"))
    assert committed == generate()
    items = committed["items"]
    assert len(items) >= 2000
    assert {it["lang"] for it in items} == {"en", "zh"}
    texts = [it["text"] for it in items]
    assert any(" but " in s for s in texts) and any(s.startswith("虽然") and "但是" in s for s in texts)
    assert any(" not " in s for s in texts) and any("不" in s for s in texts)
    assert len(set(texts)) == len(texts)


def test_architecture_is_the_tutorials():
    m = S.Classifier(50)
    assert m.embedding.padding_idx == 0 and isinstance(m.lstm, LSTM)
    assert (m.lstm.num_layers, m.lstm.bidirectional, m.lstm.dropout > 0) == (2, True, True)
    assert m.fc.in_features == 2 * m.lstm.hidden_size


def test_reaches_held_out_target_and_beats_bag_of_words(trained):
    scores = trained.scores()
    assert scores["test"] >= S.TARGET and scores["train"] >= S.TARGET
    bow = S.bag_of_words(trained.data, steps=200)
    assert bow["test"] < 0.7  # order-blind: contrast and negation defeat it
    kinds = S.by_kind(trained.model, trained.data.test)
    assert kinds["contrast"] > bow["by_kind"]["contrast"] + 0.2
    assert kinds["negated"] > bow["by_kind"]["negated"] + 0.2
    assert kinds["long"] > bow["by_kind"]["long"] + 0.3  # a structure never trained on


def test_training_is_seeded_and_resumable():
    data = S.split(0)
    a, b = S.Trainer(data, seed=3), S.Trainer(data, seed=3)
    a.advance(4)
    b.advance(2)
    b.advance(2)  # stop and resume
    assert a.losses == b.losses
    assert all(torch.equal(p, q) for p, q in zip(a.model.state_dict().values(), b.model.state_dict().values(),
                                                   strict=True))


def test_padding_row_stays_zero(trained):
    assert torch.count_nonzero(trained.model.embedding.weight[0]) == 0
    assert torch.count_nonzero(trained.model.embedding.weight[2]) > 0


def test_prediction_equals_torch_lstm_with_the_same_weights(trained):
    m = trained.model
    ref = m.lstm.to_torch().eval()
    text = "the plot was dull but the acting was great"
    r = S.read(m, trained.data.vocab, text)
    ids = torch.tensor([S.encode(trained.data.vocab, text)])
    with torch.no_grad():
        x = m.embedding(ids)
        out, (h_n, _) = ref(pack_padded_sequence(x, [ids.size(1)], batch_first=True))
        probs = torch.softmax(m.fc(torch.cat((h_n[-2], h_n[-1]), -1)), -1)[0]
        full, _ = ref(x)
    assert torch.allclose(r.probs, probs, atol=1e-6)
    assert abs(r.values[1, 0]["h"] - full[0, :, :24].numpy()).max() < 1e-6
    assert abs(r.values[1, 1]["h"] - full[0, :, 24:].numpy()).max() < 1e-6
    assert r.tokens[r.contrast_step] == "but"
    h = r.values[0, 0]["h"]
    delta = abs(h[r.contrast_step] - h[r.contrast_step - 1])
    assert delta[r.ranking[0]] == delta.max() and sorted(r.ranking) == list(range(24))
    zh = S.read(m, trained.data.vocab, "虽然剧情很无聊，但是演技非常出色")
    assert zh.tokens[zh.contrast_step] == "但" and zh.tokens.index("但") == 8


def test_packed_equals_alone_and_plain_padding_differs(trained):
    texts = ["the plot was dull but the acting was great", "the music was not bad", "剧情很精彩"]
    res = S.packed_vs_padded(trained.model, trained.data.vocab, texts)
    assert torch.allclose(res["packed"], res["alone"], atol=1e-6)
    longest = res["lengths"].index(max(res["lengths"]))
    assert abs(float(res["padded"][longest] - res["packed"][longest])) < 1e-6
    assert max(abs(float(res["padded"][b] - res["packed"][b])) for b in range(3) if b != longest) > 1e-4


def test_held_out_part_has_structures_never_trained_on():
    """The corpus holds its split: the held-out part has the training kinds plus structures the training part
    never shows — negation frames made of known words, and fillers between the negation or turn and the
    verdict — so held-out accuracy measures more than memorised templates."""
    from scripts.make_sentiment_corpus import FILLERS, FRAMES

    items = json.loads(S.CORPUS.read_text(encoding="utf-8"))["items"]
    train = [it for it in items if it["split"] == "train"]
    test = [it for it in items if it["split"] == "test"]
    assert 0.15 < len(test) / len(items) < 0.3
    assert {it["kind"] for it in test} == {it["kind"] for it in train} | {"long"}
    assert all(it["split"] == "test" for it in items if it["kind"] == "long")
    for lang in ("en", "zh"):
        for text in (it["text"] for it in train if it["lang"] == lang):
            assert not any(f in text for f in FILLERS[lang]) and not any(f in text for f in FRAMES[lang][2:])
        assert any(any(f in it["text"] for f in FRAMES[lang][2:]) for it in test if it["lang"] == lang)
    data = S.split(0)
    assert len(data.test) == len(test) and len(data.train) == len(train)
    vocab = data.vocab  # the held-out negation frames are made of words the model was trained on
    for frame in FRAMES["en"][2:]:
        assert all(tok in vocab for tok in S.tokenize(frame))
