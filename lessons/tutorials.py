"""The five tutorials the app grew from, and the passages of them that the Pitfalls page refutes, quoted
verbatim (their words and code, in their language: a quotation is not translated, so it is data here, not a
catalog string; the page shows a translation or comment next to it from the catalogs).

A tutorial is named by its short title (``ui.tutorials.tutorial_title(number, lang)``, catalog
``tutorials.<number>.title``), never as "seed N", which clashes with the random-seed control.
Line breaks inside quoted code are restored where the published page had flattened the code onto one line;
the words and symbols are the tutorial's own (`tests/lessons/test_tutorials.py` compares them with
whitespace removed).
"""

from __future__ import annotations

from dataclasses import dataclass

NUMBERS = ("000", "001", "002", "003", "004")


@dataclass(frozen=True)
class Quote:
    tutorial: str  # "000" … "004"
    text: str  # verbatim (passages joined by "\n…\n")
    code: bool  # shown as code (True) or as a block quote (False)


QUOTES: dict[str, Quote] = {
    # ---- tutorial claims on the Pitfalls page
    "claim_batch_first_default": Quote("003", (
        "torch.nn.LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=True, dropout=0, "
        "bidirectional=False)\n…\n"
        "batch_first(bool): 如果为 True,输入输出形状为 (batch, seq, feature)。默认为 True。"), False),
    "claim_hn_rows": Quote("000", (
        "如果LSTM是双向的 (\nbidirectional=True\n),num_directions 为 2。第一行是所有层的前向最终隐藏状态,"
        "第二行是所有层的后向最终隐藏状态。"), False),
    "claim_bidir_last": Quote("004", (
        "# 获取最后一个时间步的输出\nlast_output = outputs[:, -1, :] # (batch_size, hidden_size*2)\n"
        "# 分离前向和后向的隐藏状态\nhidden_size = last_output.size(1) // 2\n"
        "forward_output = last_output[:, :hidden_size] # (batch_size, hidden_size)\n"
        "backward_output = last_output[:, hidden_size:] # (batch_size, hidden_size)"), True),
    # ---- errata (lessons.errata, lessons.errata_shapes, lessons.errata_training)
    "seed000_shapes": Quote("000", (
        "x = torch.rand(10,24,100)\nlstm = nn.LSTM(100,16,num_layers=2)\noutput,(h,c) = lstm(x)\n"
        "print(output.size())\nprint(h.size())\nprint(c.size())\noutput:\ntorch.Size([24, 10, 16])\n"
        "torch.Size([2, 10, 16])\ntorch.Size([2, 10, 16])"), True),
    "seed003_h0": Quote("003", (
        "lstm = nn.LSTM(input_size=256, hidden_size=512, batch_first=True)\n# 手动创建初始隐藏状态\n"
        "batch_size = 4\nnum_layers = 2\nhidden_size = 512\n"
        "h_0 = torch.zeros(num_layers, batch_size, hidden_size)\n"
        "c_0 = torch.zeros(num_layers, batch_size, hidden_size)\n# 传入初始状态\n"
        "input_tensor = torch.randn(4, 10, 256)\noutput, (h_n, c_n) = lstm(input_tensor, (h_0, c_0))"), True),
    "seed004_pack_long": Quote("004", (
        "sequences = [\ntorch.tensor([1, 2, 3]),\ntorch.tensor([4, 5]),\ntorch.tensor([6])\n]\n…\n"
        "packed_output, (h_n, c_n) = lstm(packed_input)"), True),
    "seed004_unsqueeze": Quote("004", (
        "tensor = torch.LongTensor(indexed).to(device)\ntensor = tensor.unsqueeze(1)\n"
        "length_tensor = torch.LongTensor(length)\nprediction = torch.sigmoid(model(tensor))\n"
        "return prediction.item()"), True),
    "seed000_bidir_shapes": Quote("000", (
        "由于seq的长度是24,那么这个LSTM结构会循环24次最后输出预设的结果。\n…\n"
        "x = torch.rand(10,24,100)\nlstm = nn.LSTM(100,16,bidirectional=True)\noutput,(h,c) = lstm(x)\n"
        "print(output.size())\nprint(h.size())\nprint(c.size())\noutput:\ntorch.Size([24, 10, 32])\n"
        "torch.Size([2, 10, 16])\ntorch.Size([2, 10, 16])"), True),
    "seed004_shared_weight": Quote("004", (
        "# x shape: (batch_size, seq_len, num_variables, input_size)\n"
        "batch_size, seq_len, num_variables, input_size = x.size()\n# 重塑输入以处理每个变量\n"
        "x = x.view(batch_size * num_variables, seq_len, input_size)\n# 通过共享权重的LSTM\n"
        "outputs, (h_n, c_n) = self.lstm(x)\n# 重塑输出\n"
        "outputs = outputs.view(batch_size, seq_len, num_variables, -1)"), True),
    "seed004_torchtext": Quote("004", (
        "from torchtext.legacy import data, datasets\n…\n"
        "TEXT = data.Field(tokenize='spacy', lower=True)\n…\n"
        "batch_first=True )\n…\n"
        "# text = [batch size, sent len]\n…\n"
        "predictions = model(batch.text).squeeze(1)\nloss = criterion(predictions, batch.label)"), True),
    "seed004_variants": Quote("004", (
        "虽然LSTM设计用来缓解梯度消失问题,但在处理非常长的序列时,这个问题仍然可能存在。以下是几种解决方案:\n…\n"
        "# 方法1: 使用残差连接\n…\n"
        "# 只有当序列长度相同时才能添加残差连接\nif outputs.size(1) == residual.size(1):\n"
        "outputs = outputs + residual\n…\n"
        "# 方法2: 使用层归一化\n…\n"
        "outputs = self.layer_norm(outputs)\nh_n = self.layer_norm(h_n)"), True),
    "seed001_two_lstm": Quote("001", (
        "Q2:如何处理双向序列?\n创建两个LSTM层,一个正向处理序列,一个反向处理,最后拼接输出。"), False),
    "seed002_previous_layer": Quote("002", (
        "遗忘门门值将作用的上一层的细胞状态上, 代表遗忘过去的多少信息, 又因为遗忘门门值是由x(t), h(t-1)计算得来的, "
        "因此整个公式意味着根据当前时间步输入和上一个时间步隐含状态h(t-1)来决定遗忘多少上一层的细胞状态所携带的过往信息"),
        False),
    "exploding": Quote("001", (
        "1. 梯度消失/爆炸:长序列训练时,反向传播的梯度随时间步指数级衰减或增长\n…\n"
        "LSTM通过引入门控机制,成功解决了这两个问题。\n…\n"
        "2. 梯度裁剪:设置clip_grad_norm_防止梯度爆炸"), False),
    "seed002_param_count": Quote("002", "但是模型参数和计算复杂度也随之增加了一倍", False),
    "seed004_hierarchical": Quote("004", (
        "padding_size = (self.segment_size - (seq_len % self.segment_size)) % self.segment_size\n"
        "if padding_size > 0:\n"
        "x = torch.cat([x, torch.zeros(batch_size, padding_size, input_size).to(x.device)], dim=1)\n…\n"
        "# 获取每个段的最终隐藏状态\n"
        "segment_representations = lower_outputs[:, -1, :].view(batch_size, num_segments, -1)"), True),
    "seed001_training": Quote("001", (
        "12. x = torch.randn(batch_size, seq_length, input_size)\n"
        "13. y = torch.randn(batch_size, seq_length, hidden_size)\n…\n"
        "17. outputs = model(x)\n18. loss = criterion(outputs, y)"), True),
    "seed004_tbptt": Quote("004", (
        "对于非常长的序列,LSTM可能会遇到梯度消失或计算效率低下的问题。\n…\n"
        "# 分离隐藏状态以防止梯度流过整个序列\nh_0 = h_0.detach()\nc_0 = c_0.detach()\n"
        "# 连接所有输出\nreturn torch.cat(outputs, dim=1)"), True),
}

# where else the same mistake is printed: (tutorial, verbatim passage)
ALSO: dict[str, tuple[tuple[str, str], ...]] = {
    "exploding": (("002", "缓解梯度消失或爆炸现象"),
                  ("004", "旨在解决传统RNN中的梯度消失和梯度爆炸问题")),
}
