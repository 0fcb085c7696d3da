"""An independent NumPy (float64) forward pass of the race model, on weights, inputs and
permutations from the pure-Python derivations of `primitives/reference/race.py`.

usage: race_forward.py RACE_SEED_HEX PUBLIC_KEY_HEX LAYERS HEADS D_MODEL D_FF VOCAB SEQ NONCES
                       [--causal] [--k K]

prints, for nonces 0..NONCES-1,
    {"outputs": [[y_0 ... y_{d-1}], ...],
     "artifacts": [[a_0 ... a_{k-1}], ...],
     "artifact_bits": [[b_0 ... b_{k-1}], ...]}

The model ("every nonce counts"), with pre-norm residual blocks and bidirectional attention:

    x = E[tokens] + P                                       [seq, d]
    for each layer:
        x = x + attention(rmsnorm(x)) · W_o
        x = x + relu(rmsnorm(x) · W_1) · W_2
    y = rmsnorm(x[last position])                           [d]
    artifact[i] = float16(y[perm[i]]),  i < k (16)

rmsnorm(x) = x / sqrt(mean(x²) + 1e-5), without a gain; attention scores are scaled by
1/sqrt(d/heads). `--causal` masks each position from the ones after it (the old design's
mask, kept only to measure what it lets a miner cache). The artifact values are the binary16
roundings (nearest even) of the float64 outputs; `artifact_bits` are the same values as
16-bit patterns, from `race.artifact`, for bit-exact comparisons.

The derivations are pure Python and slow: fine for the small models of the tests.
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "primitives", "reference"))
import race  # noqa: E402

ARTIFACT_LEN = 16


def rms_norm(x):
    """x divided by the root of its mean square (plus 1e-5) over the last axis."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5)


def parse_args(argv):
    """The nine positional arguments, then the flags `--causal` and `--k K`."""
    positional, causal, k = [], False, ARTIFACT_LEN
    i = 0
    while i < len(argv):
        if argv[i] == "--causal":
            causal = True
        elif argv[i] == "--k":
            i += 1
            k = int(argv[i])
        else:
            positional.append(argv[i])
        i += 1
    if len(positional) != 9:
        sys.exit(__doc__)
    race_seed = bytes.fromhex(positional[0])
    public_key = bytes.fromhex(positional[1])
    sizes = [int(a) for a in positional[2:]]
    return race_seed, public_key, sizes, causal, k


def build_model(race_seed, layers, d, ff, vocab, seq):
    """The embedding, the positions and each layer's six matrices, in tensor order."""

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
    return embedding, positions, weights


def forward(embedding, positions, weights, tokens, heads, causal):
    """y for one sequence of tokens."""
    seq, d = positions.shape
    dh = d // heads
    mask = np.triu(np.ones((seq, seq), dtype=bool), k=1)
    x = embedding[tokens] + positions
    for wq, wk, wv, wo, w1, w2 in weights:
        h = rms_norm(x)
        q = (h @ wq).reshape(seq, heads, dh).transpose(1, 0, 2)
        k = (h @ wk).reshape(seq, heads, dh).transpose(1, 0, 2)
        v = (h @ wv).reshape(seq, heads, dh).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(dh)
        if causal:
            scores = np.where(mask, -np.inf, scores)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attention = scores / scores.sum(axis=-1, keepdims=True)
        attended = (attention @ v).transpose(1, 0, 2).reshape(seq, d)
        x = x + attended @ wo
        x = x + np.maximum(rms_norm(x) @ w1, 0.0) @ w2
    return rms_norm(x[-1])


def main():
    race_seed, public_key, sizes, causal, k = parse_args(sys.argv[1:])
    layers, heads, d, ff, vocab, seq, count = sizes
    if d % heads:
        sys.exit("D_MODEL must be a multiple of HEADS")
    k = min(k, d)
    embedding, positions, weights = build_model(race_seed, layers, d, ff, vocab, seq)
    node = race.node_seed(public_key)

    outputs, artifacts, bits = [], [], []
    for nonce in range(count):
        seed = race.input_seed(race_seed, node, nonce)
        tokens = race.input_tokens(seed, vocab, seq)
        y = forward(embedding, positions, weights, tokens, heads, causal)
        perm = race.permutation(seed, d)
        halves = y[perm[:k]].astype(np.float16)
        art = race.artifact(y.tolist(), perm, k)
        # NumPy's and struct's binary16 roundings of a float64 must agree.
        assert art == [int(b) for b in halves.view(np.uint16)], (nonce, art)
        outputs.append(y.tolist())
        artifacts.append([float(a) for a in halves])
        bits.append(art)
    print(json.dumps({"outputs": outputs, "artifacts": artifacts, "artifact_bits": bits}))


if __name__ == "__main__":
    main()
