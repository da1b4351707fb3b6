#!/usr/bin/python3
"""PyTorch reference fixtures for the engine's whole-model tests.

Builds five tiny random models in plain torch (no transformers): a Llama with grouped-query
attention and a separate lm_head, a Llama with tied embeddings, a Qwen2 with q/k/v biases, a Llama
with Llama 3.1's `llama3` rope scaling, and a Qwen3 (per-head q/k RMSNorm, head_dim 16 with
hidden 48 and 4 heads). Each is written as a Hugging Face folder (config.json, model.safetensors
with HF tensor names, tokenizer.json, tokenizer_config.json) under tests/fixtures/models/<name>/,
with expected.safetensors holding the logits, the mean cross-entropy and every parameter's gradient
for the token batch in expected.json. Four of them also get lora/: a PEFT adapter on every
projection and the expected logits, loss and adapter gradients with the base frozen. The llama3
one also gets expected_long.safetensors: the logits of one 300-token sequence (long_input_ids),
far past the scaling's original context of 64 positions.

    apt-get install -y python3-torch && /usr/bin/python3 scripts/make_fixtures.py

`--shaped` writes the real-shape models instead (SHAPED: Qwen2.5-0.5B's width and vocabulary
with 2 layers, Llama-3.2-1B's with 1): config.json, tokenizer files and expected.json, which holds
the logits of a few tokens at a fixed subset of columns (and each row's max |logit|), computed in
float64 from weights that tests/helpers/shapedModel.ts regenerates from the same counter hash
(hashed_uniform): the 0.6 and 1.3 GB of weights are never committed.

Also `--check FILE.safetensors` reads a file the lab exported and prints its tensors' names,
shapes and sums as JSON: an independent reader for the export tests.
"""
import json
import math
import os
import struct
import sys

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'models')

MODELS = {
    # name: (architecture, hidden, intermediate, layers, heads, kv heads, vocab, tied, rope_theta, extra)
    # extra: head_dim (hs, when not hidden / heads), rope_scaling, max_position_embeddings.
    'llama-gqa': ('LlamaForCausalLM', 64, 96, 2, 4, 2, 300, False, 10000.0, {}),
    'llama-tied': ('LlamaForCausalLM', 48, 80, 2, 3, 3, 300, True, 500000.0, {}),
    'qwen2-bias': ('Qwen2ForCausalLM', 64, 96, 2, 4, 1, 300, True, 1000000.0, {}),
    # An original context of 64 puts hs 16's wavelengths (6.3, 19.9, 62.8, 199, ...) in all three
    # of llama3's bands: kept (< 64/4), blended, divided by the factor (> 64/1).
    'llama3-rope-scaling': ('LlamaForCausalLM', 64, 96, 2, 4, 2, 300, True, 10000.0, {
        'head_dim': 16, 'max_position_embeddings': 512,
        'rope_scaling': {'rope_type': 'llama3', 'factor': 8.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0,
                         'original_max_position_embeddings': 64}}),
    'qwen3-head-dim': ('Qwen3ForCausalLM', 48, 80, 2, 4, 2, 300, True, 1000000.0, {'head_dim': 16}),
}
B, T = 2, 9  # T not a multiple of any tile size
LONG_T = 300  # the llama3 model's long sequence
EPS = 1e-6


def head_dim(cfg):
    return cfg[9].get('head_dim', cfg[1] // cfg[4])


def inv_freq_of(cfg):
    """transformers' modeling_rope_utils: the default inverse frequencies, then llama3's scaling."""
    theta, extra = cfg[8], cfg[9]
    hs = head_dim(cfg)
    inv_freq = 1.0 / (theta ** (torch.arange(0, hs, 2, dtype=torch.float64) / hs))
    scaling = extra.get('rope_scaling')
    if scaling is None:
        return inv_freq
    assert scaling['rope_type'] == 'llama3'
    factor, low, high = scaling['factor'], scaling['low_freq_factor'], scaling['high_freq_factor']
    context = scaling['original_max_position_embeddings']
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > context / low, inv_freq / factor, inv_freq)
    smooth = (context / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < context / high) & ~(wavelen > context / low)
    return torch.where(medium, smoothed, scaled)


# ---- safetensors, written and read by hand (Debian ships no safetensors package) ----------------

def write_safetensors(path, tensors, metadata=None):
    header = {'__metadata__': metadata or {'format': 'pt'}}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text.encode())
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    import numpy as np
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, entry in header.items():
        begin, end = entry['data_offsets']
        chunk = raw[8 + n + begin:8 + n + end]
        if entry['dtype'] == 'F32':
            arr = np.frombuffer(chunk, dtype='<f4')
        elif entry['dtype'] == 'F16':
            arr = np.frombuffer(chunk, dtype='<f2').astype('f4')
        elif entry['dtype'] == 'BF16':
            arr = (np.frombuffer(chunk, dtype='<u2').astype('<u4') << 16).view('<f4')
        else:
            raise ValueError(f'{path}: unsupported dtype {entry["dtype"]} for {name}')
        out[name] = torch.from_numpy(arr.copy()).reshape(entry['shape'])
    return out


# ---- the model, written out as Hugging Face's modeling_llama / modeling_qwen2 compute it -------

def rms_norm(x, weight, eps=EPS):
    """Over the last dimension: a token's C values, or (Qwen3's q_norm / k_norm) one head's hs."""
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(p, cfg, ids, lora=None, lora_scale=1.0):
    """lora: {module path: (A (r, in), B (out, r))}; y += lora_scale · (x·Aᵀ)·Bᵀ on those projections."""
    arch, C, _, L, NH, NKV, V, tied, theta, extra = cfg
    B, T = ids.shape  # the fixture batch, or the long sequence

    def linear(x, module):
        y = x @ p[module + '.weight'].T
        if module + '.bias' in p:
            y = y + p[module + '.bias']
        if lora and module in lora:
            A, B_ = lora[module]
            y = y + lora_scale * ((x @ A.T) @ B_.T)
        return y

    hs = head_dim(cfg)
    eps = extra.get('rms_norm_eps', EPS)
    x = p['model.embed_tokens.weight'][ids]  # (B, T, C)
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq_of(cfg))
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().float(), emb.sin().float()  # (T, hs)
    mask = torch.full((T, T), float('-inf')).triu(1)
    for l in range(L):
        pre = f'model.layers.{l}.'
        h = rms_norm(x, p[pre + 'input_layernorm.weight'], eps)

        def proj(name):
            return linear(h, pre + f'self_attn.{name}')

        q = proj('q_proj').view(B, T, NH, hs)
        k = proj('k_proj').view(B, T, NKV, hs)
        if arch == 'Qwen3ForCausalLM':  # modeling_qwen3: RMSNorm over each head before RoPE
            q = rms_norm(q, p[pre + 'self_attn.q_norm.weight'], eps)
            k = rms_norm(k, p[pre + 'self_attn.k_norm.weight'], eps)
        q = q.transpose(1, 2)  # (B, NH, T, hs)
        k = k.transpose(1, 2)  # (B, NKV, T, hs)
        v = proj('v_proj').view(B, T, NKV, hs).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(NH // NKV, dim=1)
        v = v.repeat_interleave(NH // NKV, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hs) + mask, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, NH * hs)
        x = x + linear(y, pre + 'self_attn.o_proj')
        h = rms_norm(x, p[pre + 'post_attention_layernorm.weight'], eps)
        gate = linear(h, pre + 'mlp.gate_proj')
        up = linear(h, pre + 'mlp.up_proj')
        x = x + linear(torch.nn.functional.silu(gate) * up, pre + 'mlp.down_proj')
    x = rms_norm(x, p['model.norm.weight'], eps)
    head = p['model.embed_tokens.weight'] if tied else p['lm_head.weight']
    return x @ head.T  # (B, T, V)


def make_params(cfg, gen):
    arch, C, I, L, NH, NKV, V, tied, _, _ = cfg
    hs = head_dim(cfg)

    def rand(*shape, scale=0.08):
        return (torch.randn(*shape, generator=gen) * scale).requires_grad_()

    def norm_weight(n):
        return (1.0 + 0.1 * torch.randn(n, generator=gen)).requires_grad_()

    p = {'model.embed_tokens.weight': rand(V, C, scale=0.15)}
    for l in range(L):
        pre = f'model.layers.{l}.'
        p[pre + 'input_layernorm.weight'] = norm_weight(C)
        p[pre + 'self_attn.q_proj.weight'] = rand(NH * hs, C)
        p[pre + 'self_attn.k_proj.weight'] = rand(NKV * hs, C)
        p[pre + 'self_attn.v_proj.weight'] = rand(NKV * hs, C)
        if arch == 'Qwen2ForCausalLM':
            p[pre + 'self_attn.q_proj.bias'] = rand(NH * hs, scale=0.3)
            p[pre + 'self_attn.k_proj.bias'] = rand(NKV * hs, scale=0.3)
            p[pre + 'self_attn.v_proj.bias'] = rand(NKV * hs, scale=0.3)
        p[pre + 'self_attn.o_proj.weight'] = rand(C, NH * hs)
        if arch == 'Qwen3ForCausalLM':
            p[pre + 'self_attn.q_norm.weight'] = norm_weight(hs)
            p[pre + 'self_attn.k_norm.weight'] = norm_weight(hs)
        p[pre + 'post_attention_layernorm.weight'] = norm_weight(C)
        p[pre + 'mlp.gate_proj.weight'] = rand(I, C)
        p[pre + 'mlp.up_proj.weight'] = rand(I, C)
        p[pre + 'mlp.down_proj.weight'] = rand(C, I)
    p['model.norm.weight'] = norm_weight(C)
    if not tied:
        p['lm_head.weight'] = rand(V, C, scale=0.2)
    return p


def byte_level_tokenizer(vocab_size):
    """A byte-level BPE tokenizer.json: the 256 byte symbols, a few merges, and specials."""
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    symbols = [chr(c) for _, c in sorted(zip(bs, cs))]
    vocab = {s: i for i, s in enumerate(symbols)}
    merges = []
    for a, b in [('t', 'h'), ('th', 'e'), ('Ġ', 't'), ('i', 'n'), ('e', 'r'), ('a', 'n'), ('o', 'n'), ('Ġ', 'a')]:
        merges.append(f'{a} {b}')
        vocab[a + b] = len(vocab)
    specials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>']
    first_special = vocab_size - len(specials)
    assert len(vocab) <= first_special
    added = [{'id': first_special + i, 'content': s, 'single_word': False, 'lstrip': False, 'rstrip': False,
              'normalized': False, 'special': True} for i, s in enumerate(specials)]
    return {
        'version': '1.0', 'truncation': None, 'padding': None, 'added_tokens': added, 'normalizer': None,
        'pre_tokenizer': {'type': 'ByteLevel', 'add_prefix_space': False, 'trim_offsets': True, 'use_regex': True},
        'post_processor': None,
        'decoder': {'type': 'ByteLevel', 'add_prefix_space': True, 'trim_offsets': True, 'use_regex': True},
        'model': {'type': 'BPE', 'dropout': None, 'unk_token': None, 'continuing_subword_prefix': None,
                  'end_of_word_suffix': None, 'fuse_unk': False, 'byte_fallback': False, 'ignore_merges': False,
                  'vocab': vocab, 'merges': merges},
    }, first_special


CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


MODEL_TYPES = {'LlamaForCausalLM': 'llama', 'Qwen2ForCausalLM': 'qwen2', 'Qwen3ForCausalLM': 'qwen3'}


def write_model(name, cfg, seed):
    arch, C, I, L, NH, NKV, V, tied, theta, extra = cfg
    gen = torch.Generator().manual_seed(seed)
    p = make_params(cfg, gen)
    ids = torch.randint(0, V, (B, T), generator=gen)
    labels = torch.cat([ids[:, 1:], torch.full((B, 1), -100)], dim=1)  # next token; the last is ignored
    logits = forward(p, cfg, ids)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
    loss.backward()

    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    tokenizer, first_special = byte_level_tokenizer(V)
    config = {
        'architectures': [arch], 'model_type': MODEL_TYPES[arch],
        'vocab_size': V, 'hidden_size': C, 'intermediate_size': I, 'num_hidden_layers': L,
        'num_attention_heads': NH, 'num_key_value_heads': NKV, 'hidden_act': 'silu', 'rms_norm_eps': EPS,
        'rope_theta': theta, 'max_position_embeddings': 64, 'tie_word_embeddings': tied,
        'bos_token_id': first_special, 'eos_token_id': first_special + 2, 'torch_dtype': 'float32',
    }
    if arch == 'Qwen3ForCausalLM':
        config.update({'attention_bias': False, 'use_sliding_window': False})
    config.update(extra)
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, 'tokenizer.json'), 'w') as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(folder, 'tokenizer_config.json'), 'w') as f:
        json.dump({'bos_token': '<|endoftext|>', 'eos_token': '<|im_end|>', 'chat_template': CHAT_TEMPLATE,
                   'model_max_length': 64, 'tokenizer_class': 'PreTrainedTokenizerFast'}, f, indent=2)
    write_safetensors(os.path.join(folder, 'model.safetensors'), p)
    expected = {'logits': logits, 'loss': loss.reshape(1)}
    for k, v in p.items():
        expected['grad.' + k] = v.grad
    write_safetensors(os.path.join(folder, 'expected.safetensors'), expected)
    batch = {'input_ids': ids.tolist(), 'labels': labels.tolist(), 'loss': loss.item(), 'torch_version': torch.__version__}
    if 'rope_scaling' in extra:
        long_ids = torch.randint(0, V, (1, LONG_T), generator=gen)
        with torch.no_grad():
            write_safetensors(os.path.join(folder, 'expected_long.safetensors'), {'logits': forward(p, cfg, long_ids)})
        batch['long_input_ids'] = long_ids.tolist()
    with open(os.path.join(folder, 'expected.json'), 'w') as f:
        json.dump(batch, f)
    print(f'{name}: loss {loss.item():.6f}, {sum(t.numel() for t in p.values())} parameters')


LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']


def write_lora(name, cfg, seed, rank=4, alpha=8.0):
    """A PEFT adapter on every projection of a fixture model, with nonzero B so every path counts,
    and the expected logits, loss and adapter gradients (the base frozen)."""
    arch, C, I, L, NH, NKV, V, tied, theta, _ = cfg
    hs = head_dim(cfg)
    gen = torch.Generator().manual_seed(seed)
    folder = os.path.join(ROOT, name)
    p = {k: v.detach() for k, v in read_safetensors(os.path.join(folder, 'model.safetensors')).items()}
    with open(os.path.join(folder, 'expected.json')) as f:
        batch = json.load(f)
    ids = torch.tensor(batch['input_ids'])
    labels = torch.tensor(batch['labels'])
    shapes = {'q_proj': (NH * hs, C), 'k_proj': (NKV * hs, C), 'v_proj': (NKV * hs, C), 'o_proj': (C, NH * hs),
              'gate_proj': (I, C), 'up_proj': (I, C), 'down_proj': (C, I)}
    lora, tensors = {}, {}
    for l in range(L):
        for t in LORA_TARGETS:
            block = 'mlp' if t in ('gate_proj', 'up_proj', 'down_proj') else 'self_attn'
            module = f'model.layers.{l}.{block}.{t}'
            out, inp = shapes[t]
            A = (torch.randn(rank, inp, generator=gen) * 0.2).requires_grad_()
            B_ = (torch.randn(out, rank, generator=gen) * 0.2).requires_grad_()
            lora[module] = (A, B_)
            tensors[f'base_model.model.{module}.lora_A.weight'] = A
            tensors[f'base_model.model.{module}.lora_B.weight'] = B_
    logits = forward(p, cfg, ids, lora, alpha / rank)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
    loss.backward()
    out_dir = os.path.join(folder, 'lora')
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, 'adapter_model.safetensors'), tensors)
    with open(os.path.join(out_dir, 'adapter_config.json'), 'w') as f:
        json.dump({'peft_type': 'LORA', 'task_type': 'CAUSAL_LM', 'r': rank, 'lora_alpha': alpha, 'lora_dropout': 0.0,
                   'target_modules': LORA_TARGETS, 'bias': 'none', 'fan_in_fan_out': False}, f, indent=2)
    expected = {'logits': logits, 'loss': loss.reshape(1)}
    for k, v in tensors.items():
        expected['grad.' + k] = v.grad
    write_safetensors(os.path.join(out_dir, 'expected.safetensors'), expected)
    print(f'{name}/lora: loss {loss.item():.6f}')


# Real shapes, few layers: (architecture, hidden, intermediate, layers, heads, kv heads, vocab,
# tied, rope_theta, extra) as MODELS, extra holding the config fields of the real checkpoint.
SHAPED = {
    'qwen2.5-0.5b-2layers': ('Qwen2ForCausalLM', 896, 4864, 2, 14, 2, 151936, True, 1000000.0, {
        'rms_norm_eps': 1e-6, 'max_position_embeddings': 32768}),
    'llama-3.2-1b-1layer': ('LlamaForCausalLM', 2048, 8192, 1, 32, 8, 128256, True, 500000.0, {
        'rms_norm_eps': 1e-5, 'max_position_embeddings': 131072, 'head_dim': 64,
        'rope_scaling': {'rope_type': 'llama3', 'factor': 32.0, 'low_freq_factor': 1.0, 'high_freq_factor': 4.0,
                         'original_max_position_embeddings': 8192}}),
}
SHAPED_SEED = 7
SHAPED_COLUMNS = 1500  # columns of each logits row kept in expected.json, evenly spaced, plus the last


def shaped_specs(cfg):
    """(name, shape, kind) in src/model/parameters.ts's order: the hash's tensor index is the position."""
    arch, C, I, L, NH, NKV, V, tied, _, _ = cfg
    hs = head_dim(cfg)
    specs = [('model.embed_tokens.weight', (V, C), 'embedding')]
    for l in range(L):
        pre = f'model.layers.{l}.'
        specs.append((pre + 'input_layernorm.weight', (C,), 'norm'))
        specs += [(pre + f'self_attn.{m}_proj.weight', (n * hs, C), 'projection') for m, n in (('q', NH), ('k', NKV), ('v', NKV))]
        if arch == 'Qwen2ForCausalLM':
            specs += [(pre + f'self_attn.{m}_proj.bias', (n * hs,), 'bias') for m, n in (('q', NH), ('k', NKV), ('v', NKV))]
        specs.append((pre + 'self_attn.o_proj.weight', (C, NH * hs), 'projection'))
        if arch == 'Qwen3ForCausalLM':
            specs += [(pre + 'self_attn.q_norm.weight', (hs,), 'norm'), (pre + 'self_attn.k_norm.weight', (hs,), 'norm')]
        specs.append((pre + 'post_attention_layernorm.weight', (C,), 'norm'))
        specs += [(pre + 'mlp.gate_proj.weight', (I, C), 'projection'), (pre + 'mlp.up_proj.weight', (I, C), 'projection'),
                  (pre + 'mlp.down_proj.weight', (C, I), 'projection')]
    specs.append(('model.norm.weight', (C,), 'norm'))
    if not tied:
        specs.append(('lm_head.weight', (V, C), 'embedding'))
    return specs


def hashed_uniform(seed, index, n):
    """n values in [−1, 1) from a 32-bit counter hash of (seed, tensor index, element), in float64;
    tests/helpers/shapedModel.ts computes the same bits with Math.imul."""
    import numpy as np
    mask = np.uint64(0xFFFFFFFF)
    base = np.uint64(((seed * 0x85EBCA77) ^ (index * 0xC2B2AE3D)) & 0xFFFFFFFF)
    out = np.empty(n, dtype=np.float64)
    for start in range(0, n, 1 << 24):
        h = np.arange(start, min(n, start + (1 << 24)), dtype=np.uint64)
        h = (h * np.uint64(0x9E3779B1) + base) & mask
        h ^= h >> np.uint64(15)
        h = (h * np.uint64(0x2C1B3C6D)) & mask
        h ^= h >> np.uint64(12)
        h = (h * np.uint64(0x297A2D39)) & mask
        h ^= h >> np.uint64(15)
        out[start:start + len(h)] = h.astype(np.float64) / 2.0 ** 31 - 1.0
    return out


def shaped_value(kind, u):
    """The weights from uniform u: norms near 1, small biases, projections and embeddings of HF's scale."""
    import numpy as np
    scaled = {'norm': 1.0 + 0.1 * u, 'bias': 0.1 * u, 'projection': 0.05 * u, 'embedding': 0.1 * u}[kind]
    return scaled.astype(np.float32)


def write_shaped(name, cfg):
    arch, C, I, L, NH, NKV, V, tied, theta, extra = cfg
    p = {}
    for index, (pname, shape, kind) in enumerate(shaped_specs(cfg)):
        n = math.prod(shape)
        p[pname] = torch.from_numpy(shaped_value(kind, hashed_uniform(SHAPED_SEED, index, n))).reshape(shape).double()
    # Ids across the vocabulary: the first and last, and some in every block of a 128 MiB cap.
    tokens = [V - 1, 5, 100000, 42, 76543, V - 2000, 9, 64000]
    with torch.no_grad():
        logits = forward(p, cfg, torch.tensor([tokens]))[0]  # (T, V) float64
    columns = sorted(set(range(0, V, V // SHAPED_COLUMNS)) | {V - 1})
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    tokenizer, first_special = byte_level_tokenizer(V)
    config = {
        'architectures': [arch], 'model_type': MODEL_TYPES[arch],
        'vocab_size': V, 'hidden_size': C, 'intermediate_size': I, 'num_hidden_layers': L,
        'num_attention_heads': NH, 'num_key_value_heads': NKV, 'hidden_act': 'silu',
        'rope_theta': theta, 'tie_word_embeddings': tied,
        'bos_token_id': first_special, 'eos_token_id': first_special + 2, 'torch_dtype': 'float32',
    }
    config.update(extra)
    with open(os.path.join(folder, 'config.json'), 'w') as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(folder, 'tokenizer.json'), 'w') as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(folder, 'tokenizer_config.json'), 'w') as f:
        json.dump({'bos_token': '<|endoftext|>', 'eos_token': '<|im_end|>', 'chat_template': CHAT_TEMPLATE,
                   'model_max_length': 512, 'tokenizer_class': 'PreTrainedTokenizerFast'}, f, indent=2)
    expected = {
        'seed': SHAPED_SEED, 'tokens': tokens, 'columns': columns,
        'logits': [[round(float(row[c]), 6) for c in columns] for row in logits],
        'max_abs': [float(row.abs().max()) for row in logits],
        'torch_version': torch.__version__,
    }
    with open(os.path.join(folder, 'expected.json'), 'w') as f:
        json.dump(expected, f)
    print(f'{name}: {sum(t.numel() for t in p.values())} parameters, max |logit| {max(expected["max_abs"]):.3f}')


def check(path):
    tensors = read_safetensors(path)
    print(json.dumps({k: {'shape': list(v.shape), 'sum': float(v.double().sum()), 'abs_sum': float(v.double().abs().sum())}
                      for k, v in tensors.items()}))


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--check':
        check(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == '--shaped':
        for name, cfg in SHAPED.items():
            write_shaped(name, cfg)
    else:
        torch.manual_seed(0)
        for i, (name, cfg) in enumerate(MODELS.items()):
            write_model(name, cfg, seed=1000 + i)
        write_lora('llama-gqa', MODELS['llama-gqa'], seed=2000)
        write_lora('qwen2-bias', MODELS['qwen2-bias'], seed=2001)
        write_lora('llama3-rope-scaling', MODELS['llama3-rope-scaling'], seed=2002)
        write_lora('qwen3-head-dim', MODELS['qwen3-head-dim'], seed=2003)
