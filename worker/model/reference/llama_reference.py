#!/usr/bin/env python3
"""Independent NumPy forward pass of a Llama-family model folder (float64).

Reads config.json and model.safetensors under Hugging Face names and prints JSON:
  {"logits": [[...] per position], "greedy": [generated ids]}
for the given prompt token ids. AIL2's burn model is tested against this output.

usage: llama_reference.py MODEL_DIR TOKEN_IDS(comma separated) GREEDY_STEPS
"""
import json
import sys

import numpy as np
from safetensors.numpy import load_file


def rms_norm(x, gain, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * gain


def rope(x, positions, theta):
    # x: [heads, seq, head_dim]; Hugging Face layout, halves (a, b) -> (a cos - b sin, b cos + a sin)
    half = x.shape[-1] // 2
    freqs = theta ** (-(2.0 * np.arange(half)) / x.shape[-1])
    angles = np.outer(positions, freqs)
    cos, sin = np.cos(angles)[None], np.sin(angles)[None]
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def forward(w, cfg, tokens):
    d = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads") or heads
    hd = d // heads
    eps = cfg.get("rms_norm_eps", 1e-6)
    theta = cfg.get("rope_theta", 10000.0)
    seq = len(tokens)
    positions = np.arange(seq, dtype=np.float64)
    x = w["model.embed_tokens.weight"][tokens]
    mask = np.triu(np.full((seq, seq), -np.inf), k=1)
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(seq, heads, hd).transpose(1, 0, 2)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(seq, kv_heads, hd).transpose(1, 0, 2)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(seq, kv_heads, hd).transpose(1, 0, 2)
        q, k = rope(q, positions, theta), rope(k, positions, theta)
        group = heads // kv_heads
        k, v = np.repeat(k, group, axis=0), np.repeat(v, group, axis=0)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs = scores / scores.sum(axis=-1, keepdims=True)
        attended = (probs @ v).transpose(1, 0, 2).reshape(seq, heads * hd)
        x = x + attended @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (gate / (1.0 + np.exp(-gate)) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    return x @ head.T


def main():
    model_dir, ids, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(f"{model_dir}/config.json") as f:
        cfg = json.load(f)
    w = {name: t.astype(np.float64) for name, t in load_file(f"{model_dir}/model.safetensors").items()}
    tokens = [int(t) for t in ids.split(",")]
    logits = forward(w, cfg, tokens)
    greedy, seq = [], list(tokens)
    for _ in range(steps):
        nxt = int(np.argmax(forward(w, cfg, seq)[-1]))
        greedy.append(nxt)
        seq.append(nxt)
    json.dump({"logits": logits.tolist(), "greedy": greedy}, sys.stdout)


if __name__ == "__main__":
    main()
