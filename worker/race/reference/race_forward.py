"""An independent NumPy (float64) forward pass of the race model, on weights, inputs and
permutations from the pure-Python derivations of `primitives/reference/race.py`.

usage: race_forward.py RACE_SEED_HEX PUBLIC_KEY_HEX LAYERS HEADS D_MODEL D_FF VOCAB SEQ NONCES
prints {"outputs": [[...], ...], "distances": [...]} for nonces 0..NONCES-1
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "primitives", "reference"))
import race  # noqa: E402


def rms_norm(x):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5)


def main():
    race_seed = bytes.fromhex(sys.argv[1])
    public_key = bytes.fromhex(sys.argv[2])
    layers, heads, d, ff, vocab, seq, count = (int(a) for a in sys.argv[3:10])

    def tensor(index, rows, cols, fan_in):
        values = race.tensor_values(race_seed, index, fan_in, rows * cols)
        return np.array(values, dtype=np.float64).reshape(rows, cols)

    embedding = tensor(0, vocab, d, 0)
    positions = tensor(1, seq, d, 0)
    weights = []
    for layer in range(layers):
        base = 2 + 6 * layer
        weights.append([
            tensor(base, d, d, d), tensor(base + 1, d, d, d), tensor(base + 2, d, d, d),
            tensor(base + 3, d, d, d), tensor(base + 4, d, ff, d), tensor(base + 5, ff, d, ff),
        ])
    target = np.array(race.target_vector(race_seed, d), dtype=np.float64)
    node = race.node_seed(public_key)
    dh = d // heads
    mask = np.triu(np.ones((seq, seq), dtype=bool), k=1)

    outputs, distances = [], []
    for nonce in range(count):
        seed = race.input_seed(race_seed, node, nonce)
        tokens = race.input_tokens(seed, vocab, seq)
        x = embedding[tokens] + positions
        for wq, wk, wv, wo, w1, w2 in weights:
            h = rms_norm(x)
            q = (h @ wq).reshape(seq, heads, dh).transpose(1, 0, 2)
            k = (h @ wk).reshape(seq, heads, dh).transpose(1, 0, 2)
            v = (h @ wv).reshape(seq, heads, dh).transpose(1, 0, 2)
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
            scores = np.where(mask, -np.inf, scores)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            attention = scores / scores.sum(axis=-1, keepdims=True)
            attended = (attention @ v).transpose(1, 0, 2).reshape(seq, d)
            # No residual connections: each block replaces the stream.
            x = attended @ wo
            x = np.maximum(rms_norm(x) @ w1, 0.0) @ w2
        y = rms_norm(x[-1])
        perm = race.permutation(seed, d)
        distances.append(float(np.sum((y[perm] - target) ** 2)))
        outputs.append(y.tolist())
    print(json.dumps({"outputs": outputs, "distances": distances}))


if __name__ == "__main__":
    main()
