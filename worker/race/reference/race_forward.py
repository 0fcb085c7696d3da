"""An independent NumPy (float64) forward pass of the race model, on weights, inputs and
permutations from the pure-Python derivations of `primitives/reference/race.py`: pre-norm
residual blocks, bidirectional attention, the last position's RMS-normalised output, and the
artifact (its first 16 permuted coordinates as binary16).

usage: race_forward.py RACE_SEED_HEX PUBLIC_KEY_HEX LAYERS HEADS D_MODEL D_FF VOCAB SEQ NONCES
prints {"outputs": [[...], ...], "artifacts": [[16 binary16 bit patterns], ...]} for nonces
0..NONCES-1
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
    node = race.node_seed(public_key)
    dh = d // heads

    outputs, artifacts = [], []
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
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            attention = scores / scores.sum(axis=-1, keepdims=True)
            attended = (attention @ v).transpose(1, 0, 2).reshape(seq, d)
            x = x + attended @ wo
            x = x + np.maximum(rms_norm(x) @ w1, 0.0) @ w2
        y = rms_norm(x[-1])
        perm = race.permutation(seed, d)
        artifacts.append(race.artifact([float(v) for v in y], perm, 16))
        outputs.append(y.tolist())
    print(json.dumps({"outputs": outputs, "artifacts": artifacts}))


if __name__ == "__main__":
    main()
