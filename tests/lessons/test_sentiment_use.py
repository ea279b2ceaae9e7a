"""What the Sentiment page hands the app: the embedded sentence (rows of the Embedding's weight) and the
classifier's LSTM weights, which in a plain torch.nn.LSTM give back the classifier's own logits."""

import torch

from lessons import sentiment as S


def classifier():
    tr = S.Trainer(S.split(0), seed=0)
    tr.advance(3)
    return tr


def test_embedded_sentence_is_the_embedding_rows_of_its_tokens():
    tr = classifier()
    text = "The acting was GREAT, but 剧情 qwzx"
    e = S.embed_sentence(tr.model, tr.data.vocab, text)
    r = S.read(tr.model, tr.data.vocab, text)
    assert e.tokens == r.tokens and e.ids == r.ids and e.text == text
    assert e.ids[-1] == 1 and e.tokens[-1] == "qwzx"  # unknown: read as <unk>
    w = tr.model.embedding.weight.detach()
    assert e.x.shape == (1, len(e.tokens), 16) and e.x.dtype == torch.float32 and not e.x.requires_grad
    assert torch.equal(e.x[0], w[torch.tensor(e.ids)])
    empty = S.embed_sentence(tr.model, tr.data.vocab, "   ")
    assert empty.tokens == [S.UNK] and empty.ids == [1] and torch.equal(empty.x[0, 0], w[1])


def test_lstm_weights_in_torch_give_the_classifiers_logits():
    tr = classifier()
    sd, config = S.lstm_weights(tr.model)
    assert (config.input_size, config.hidden_size, config.num_layers, config.bidirectional) == (16, 24, 2, True)
    ref = torch.nn.LSTM(16, 24, num_layers=2, bidirectional=True, batch_first=True)
    ref.load_state_dict(sd)  # strict: the same names and shapes as torch's
    e = S.embed_sentence(tr.model, tr.data.vocab, "虽然剧情很无聊，但是演技非常出色")
    with torch.no_grad():
        _, (h_n, _) = ref.eval()(e.x)
        logits = tr.model.fc(torch.cat((h_n[-2], h_n[-1]), -1))
        want = tr.model(torch.tensor([e.ids]), torch.tensor([len(e.ids)]))
    assert (logits - want).abs().max() <= 1e-5
    before = {k: v.clone() for k, v in sd.items()}
    tr.advance(1)  # the trainer moves on; the copy does not
    assert all(torch.equal(before[k], sd[k]) for k in sd)
    assert any(not torch.equal(sd[k], v) for k, v in tr.model.lstm.state_dict().items())
