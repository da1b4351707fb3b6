#!/usr/bin/python3
"""One training step of a plain Llama in PyTorch on the CPU: the native anchor of `lab bench model`.

The step is the one the engine and TF.js take in src/cli/benchModel.ts: forward, masked mean
cross-entropy over the targets, backward through autograd, the global gradient norm clipped, AdamW.
The model is written out by hand (embedding, RMSNorm, RoPE, grouped-query causal attention, SwiGLU
MLP, an lm_head of its own unless the embedding is tied) because Debian's python3-torch is 1.13,
which has no F.scaled_dot_product_attention, and transformers is not installed.

The request comes as JSON on stdin; src/cli/torchTrainStep.ts builds it from the benchmark's parsed
config, so no size is written down twice:

    {"config": {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "head_dim", "rms_norm_eps",
                "tie_word_embeddings", "rope_inv_freq": [hs / 2 floats]},
     "optimizer": {"lr", "beta1", "beta2", "eps", "weight_decay", "max_grad_norm" (null: no clip)},
     "tokens": [B * T ids], "targets": [B * T ids, -100 where masked], "B", "T", "repeats", "threads"}

It prints {"torch_train_step_s", "torch_version", "threads", "blas"}: the median seconds of
`repeats` steps after one warm-up step, timed by wall clock, as timeTfjsTrainStep times TF.js, and
the BLAS the matmuls ran on (see blas_libraries).

    apt-get install -y python3-torch && npm run bench -- model
"""
import json
import math
import re
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(nn.Module):
    def __init__(self, C, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(C))
        self.eps = eps

    def forward(self, x):  # (..., C)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):  # (..., hs): Hugging Face's RoPE pairs dimension i with i + hs/2
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, hs = cfg['hidden_size'], cfg['head_dim']
        self.NH, self.NKV, self.hs = cfg['num_attention_heads'], cfg['num_key_value_heads'], hs
        self.q_proj = nn.Linear(C, self.NH * hs, bias=False)
        self.k_proj = nn.Linear(C, self.NKV * hs, bias=False)
        self.v_proj = nn.Linear(C, self.NKV * hs, bias=False)
        self.o_proj = nn.Linear(self.NH * hs, C, bias=False)

    def forward(self, x, cos, sin, causal):  # x (B, T, C); cos, sin (T, hs); causal (T, T) bool
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.NH, self.hs).transpose(1, 2)  # (B, NH, T, hs)
        k = self.k_proj(x).view(B, T, self.NKV, self.hs).transpose(1, 2)  # (B, NKV, T, hs)
        v = self.v_proj(x).view(B, T, self.NKV, self.hs).transpose(1, 2)  # (B, NKV, T, hs)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        # GQA: query head h reads KV head h // (NH / NKV), as Hugging Face's repeat_kv lays them out.
        k = k.repeat_interleave(self.NH // self.NKV, dim=1)  # (B, NH, T, hs)
        v = v.repeat_interleave(self.NH // self.NKV, dim=1)  # (B, NH, T, hs)
        scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.hs))  # (B, NH, T, T)
        scores = scores.masked_fill(causal, float('-inf'))
        y = F.softmax(scores, dim=-1) @ v  # (B, NH, T, hs)
        return self.o_proj(y.transpose(1, 2).reshape(B, T, self.NH * self.hs))  # (B, T, C)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, I = cfg['hidden_size'], cfg['intermediate_size']
        self.gate_proj = nn.Linear(C, I, bias=False)
        self.up_proj = nn.Linear(C, I, bias=False)
        self.down_proj = nn.Linear(I, C, bias=False)

    def forward(self, x):  # (B, T, C)
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))  # SwiGLU


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg['hidden_size'], cfg['rms_norm_eps'])
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg['hidden_size'], cfg['rms_norm_eps'])
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, causal):  # (B, T, C)
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, causal)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        V, C = cfg['vocab_size'], cfg['hidden_size']
        self.embed_tokens = nn.Embedding(V, C)
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg['num_hidden_layers']))
        self.norm = RMSNorm(C, cfg['rms_norm_eps'])
        self.lm_head = None if cfg['tie_word_embeddings'] else nn.Linear(C, V, bias=False)
        self.register_buffer('inv_freq', torch.tensor(cfg['rope_inv_freq'], dtype=torch.float32))  # (hs/2)
        # Random weights: the step's time does not depend on their values, and sending the engine's
        # weights through a pipe would cost more than the step.
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)

    def forward(self, tokens):  # (B, T) -> logits (B, T, V)
        T = tokens.shape[1]
        angles = torch.outer(torch.arange(T, dtype=torch.float32), self.inv_freq)  # (T, hs/2)
        cos = torch.cat((angles, angles), dim=-1).cos()  # (T, hs)
        sin = torch.cat((angles, angles), dim=-1).sin()  # (T, hs)
        causal = torch.ones(T, T, dtype=torch.bool).triu(1)  # (T, T), True above the diagonal: masked
        x = self.embed_tokens(tokens)  # (B, T, C)
        for block in self.layers:
            x = block(x, cos, sin, causal)
        x = self.norm(x)
        return x @ self.embed_tokens.weight.t() if self.lm_head is None else self.lm_head(x)


def time_train_step(request):
    """Median seconds of request['repeats'] training steps, after one that warms up."""
    cfg, opt, B, T = request['config'], request['optimizer'], request['B'], request['T']
    torch.manual_seed(0)
    model = Llama(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=opt['lr'], betas=(opt['beta1'], opt['beta2']),
                                  eps=opt['eps'], weight_decay=opt['weight_decay'])
    # The engine always computes the global norm; an infinite bound computes it and scales by 1.
    max_norm = math.inf if opt['max_grad_norm'] is None else opt['max_grad_norm']
    tokens = torch.tensor(request['tokens'], dtype=torch.long).view(B, T)
    targets = torch.tensor(request['targets'], dtype=torch.long).view(B * T)
    times = []
    for r in range(request['repeats'] + 1):
        optimizer.zero_grad(set_to_none=True)  # outside the timer, as the engine clears its gradients
        start = time.perf_counter()
        logits = model(tokens)  # (B, T, V)
        # Mean over the unmasked targets (-100 masks one), as MaskedCrossEntropy weighs them.
        loss = F.cross_entropy(logits.view(B * T, -1), targets, ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        if r > 0:  # the first step warms up (allocates the optimiser state)
            times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]  # the median, the upper one of an even count, as the TS side


def blas_libraries():
    """The BLAS shared libraries this process has mapped, which decide most of the step's time:
    Debian's torch calls whichever libblas.so.3 the alternatives system points at, the reference BLAS
    of libblas3 unless OpenBLAS or BLIS is installed. None where none is mapped (a wheel with MKL
    linked in) or there is no /proc."""
    try:
        with open('/proc/self/maps') as maps:
            paths = {line.split()[-1] for line in maps if re.search(r'blas|blis|mkl', line.rsplit('/', 1)[-1])}
    except OSError:
        return None
    return ', '.join(sorted(paths)) or None


def main():
    request = json.load(sys.stdin)
    torch.set_num_threads(request['threads'])
    seconds = time_train_step(request)
    print(json.dumps({'torch_train_step_s': seconds, 'torch_version': torch.__version__, 'threads': torch.get_num_threads(),
                      'blas': blas_libraries()}))


if __name__ == '__main__':
    main()
