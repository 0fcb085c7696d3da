"""Adversary suite for the "every nonce counts" race: can a cheaper computation produce
artifacts that validators accept, and what tolerance and mismatch allowance keep honest
work safe?

    python3 adversary.py --preset tiny                       # CI default, under a minute
    python3 adversary.py --preset tiny --quick               # a smaller, faster run
    python3 adversary.py --preset whitepaper                 # release check, 10-15 minutes
    python3 adversary.py --preset tiny --json out.json       # every figure, as JSON

The model is the one of `race_forward.py` (pre-norm residual blocks, bidirectional
attention, y = rmsnorm(x[last]), artifact = float16(y[perm[:16]])), and two artifacts are
compared by the RMS of their difference, computed in float64 from the float16 values; a
validator accepts a leaf when that RMS is at most tau.

Weights, tokens and permutations are NOT the chain's derivations: deriving the whitepaper
model's 600M weights in pure Python would take days, so this suite draws them from NumPy's
`default_rng` with the same distributions (embeddings and positions N(0, 1), projections
N(0, 1/fan_in), float32 weights; tokens uniform in the vocabulary; permutations uniform).
Statistically it is the same model (the chain's normals are Irwin-Hall sums of twelve
uniforms, which differ from a Gaussian only beyond about 4 sigma). `race_forward.py` is the
bit-faithful reference; this file is the statistical one.

What it measures, per race seed, on a batch of nonces:

  a. honest variation: float32, TF32, bf16 (f32 or bf16 residual stream; float32 or
     bf16-exact weights), another summation order (batch 1, split-K accumulation), each
     against the float64 reference and in pairs: mean, p99.9 and max RMS difference, and
     the margin tau / max;
  b. shortcuts: mean output, first-token and last-token tables, the best additive token
     table, skipped layers (each one, with and without a mean correction), skipped FFN
     blocks, half depth, fp8-like compute on all layers, the first quarter or the last j
     layers (bf16 elsewhere), bf16 on part of the model (for TF32-only honest work), 2:4
     pruning: the fraction p of artifacts within tau, the compute fraction c, and the
     attacker's gain, at the chosen tau, at the tau each honest precision needs for the
     margin goal, and over a scan of tau;
     and the exact savings that need no approximation (layer-0 projections from a table, the
     last layer at the last position only; with a causal mask, position 0 from a per-token
     cache), verified to reproduce the outputs;
  c. gain: an attacker mixing a fraction f of shortcut leaves into honest ones earns
     P_accept(f (1 - p)) / (1 - f (1 - c)) per unit of compute, relative to honest work;
     the maximum over f, for m = 0, 1, 2 mismatches allowed per validator;
  d. collapse guard: outputs of different nonces must not resemble each other;
  e. economics: 1,000 simulated races of a cheater faking 2% of its leaves and of an honest
     worker, under 3 validators drawing 200 leaves each.

It exits 1 if a must-hold check fails (listed at the end of the report), 0 otherwise. The
4x honest margin is a goal, reported but not required (bf16 misses it at any tau that keeps
the fp8 shortcut's gain under 5%: see the tau scan).
"""

import argparse
import json
import math
import sys
import time

import numpy as np

PRESETS = {
    "tiny": {"layers": 4, "heads": 4, "d_model": 64, "d_ff": 256, "vocab": 1024, "seq": 4},
    "whitepaper": {"layers": 64, "heads": 128, "d_model": 512, "d_ff": 8192, "vocab": 8192,
                   "seq": 4},
}

# Run sizes per preset: nonces and seeds measured, the calibration an attacker spends on its
# tables, how tables are built, how many nonces the batch-1 run covers, which layers are
# skipped one at a time ("all" or every n-th plus the last).
RUNS = {
    "tiny": {"nonces": 2000, "seeds": 4, "calibration": 32768, "tables": "calibration",
             "table_nonces": 2000, "completions": 16, "batch1": 2000, "skip_every": 1,
             "exact_nonces": 2000, "batch": 8192},
    "whitepaper": {"nonces": 256, "seeds": 1, "calibration": 256, "tables": "conditional",
                   "table_nonces": 64, "completions": 4, "batch1": 8, "skip_every": 16,
                   "exact_nonces": 32, "batch": 256},
}
QUICK = {"nonces": 500, "seeds": 2, "calibration": 8192, "table_nonces": 500, "batch1": 200,
         "exact_nonces": 500}

ARTIFACT_LEN = 16
EPS = 1e-5

# Validation: leaves drawn per validator, validators per participant, leaves committed.
LEAVES_PER_VALIDATOR = 200
VALIDATORS = 3
LEAF_COUNT = 1_000_000


# --- number formats -------------------------------------------------------------------

def round_mantissa(x, bits):
    """x rounded to float32 with `bits` explicit mantissa bits, to nearest even (no change
    to the exponent range: 10 bits is TF32, 7 bits bfloat16, 3 bits an fp8 e4m3 with an
    ideal per-tensor scale)."""
    drop = 23 - bits
    u = np.array(x, dtype=np.float32).view(np.uint32)   # a copy, rounded in place
    lsb = u >> np.uint32(drop)
    lsb &= np.uint32(1)
    u += np.uint32((1 << (drop - 1)) - 1)
    u += lsb
    u &= np.uint32((0xFFFFFFFF << drop) & 0xFFFFFFFF)
    return u.view(np.float32)


class Precision:
    """Where a forward pass rounds: matmul inputs (act), weights, matmul outputs (out), the
    residual stream after each addition (res), and the attention matmuls' inputs (attn).
    None keeps the working dtype."""

    def __init__(self, act=None, weight=None, out=None, res=None, attn=None):
        self.act, self.weight, self.out, self.res, self.attn = act, weight, out, res, attn


EXACT = Precision()
TF32 = Precision(act=10, weight=10, attn=10)
BF16 = Precision(act=7, weight=7, attn=7)
BF16_ALL = Precision(act=7, weight=7, attn=7, out=7, res=7)
# bf16 with weights that are exactly bf16 (as if the chain derived them in bf16): only the
# activations round. Measured on float32 weights, which gives the same error statistics.
BF16_ACT = Precision(act=7, attn=7)
# fp8 on the weight matmuls only; the attention matmuls (0.1% of the FLOPs at seq 4) stay
# in float32, the strongest choice for an attacker.
FP8 = Precision(act=3, weight=3)


def maybe_round(x, bits):
    return x if bits is None else round_mantissa(x, bits)


# --- the model --------------------------------------------------------------------------

class Config:
    """One way of running the model."""

    def __init__(self, dtype=np.float32, precision=EXACT, layer_precision=None, causal=False,
                 split_k=1, skip=(), skip_ffn=(), depth=None, prune=False):
        self.dtype = dtype
        self.precision = precision
        self.layer_precision = layer_precision or {}
        self.causal = causal
        self.split_k = split_k
        self.skip = set(skip)
        self.skip_ffn = set(skip_ffn)
        self.depth = depth
        self.prune = prune

    def spec(self, layer):
        return self.layer_precision.get(layer, self.precision)


def prune_2_4(w):
    """In every group of 4 consecutive rows (the input dimension) of each column, the 2
    largest magnitudes kept and the others zeroed (ties broken by position)."""
    rows, cols = w.shape
    groups = w.reshape(rows // 4, 4, cols)
    mag = np.abs(groups)
    keep = np.zeros(groups.shape, dtype=bool)
    for j in range(4):
        larger = np.zeros(mag[:, 0].shape, dtype=np.int8)
        for i in range(4):
            if i == j:
                continue
            beats = mag[:, i] > mag[:, j] if i > j else mag[:, i] >= mag[:, j]
            larger += beats
        keep[:, j] = larger < 2
    return np.where(keep, groups, 0).reshape(rows, cols).astype(w.dtype)


class Model:
    """A random race model: float32 weights drawn with the chain's distributions."""

    def __init__(self, sizes, seed):
        self.sizes = sizes
        self.L, self.H = sizes["layers"], sizes["heads"]
        self.d, self.ff = sizes["d_model"], sizes["d_ff"]
        self.vocab, self.S = sizes["vocab"], sizes["seq"]
        self.rng = np.random.default_rng(seed)
        r = self.rng
        d, ff = self.d, self.ff

        def draw(rows, cols, fan_in):
            w = r.standard_normal((rows, cols), dtype=np.float32)
            if fan_in:
                w *= np.float32(1.0 / math.sqrt(fan_in))
            return w

        self.E = draw(self.vocab, d, 0)
        self.P = draw(self.S, d, 0)
        self.layers = [(draw(d, d, d), draw(d, d, d), draw(d, d, d), draw(d, d, d),
                        draw(d, ff, d), draw(ff, d, ff)) for _ in range(self.L)]

    def tokens(self, n):
        return self.rng.integers(0, self.vocab, size=(n, self.S))

    def permutations(self, n, k=ARTIFACT_LEN):
        """The first k entries of n uniform permutations of the coordinates."""
        return np.argsort(self.rng.random((n, self.d)), axis=1)[:, :min(k, self.d)]

    def embed(self, tokens, dtype):
        return self.E.astype(dtype)[tokens] + self.P.astype(dtype)

    def weights(self, layer, dtype, spec=EXACT, prune=False):
        out = []
        for w in self.layers[layer]:
            if prune:
                w = prune_2_4(w)
            if spec.weight is not None:
                w = round_mantissa(w, spec.weight)
            out.append(w.astype(dtype, copy=False))
        return out


def rms_norm(x):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + x.dtype.type(EPS))


def matmul(a, w, spec, split_k=1):
    """a [..., n] times w [n, m] with the rounding of `spec`; split_k > 1 sums the inner
    dimension in split_k chunks, last chunk first (another accumulation order)."""
    shape = a.shape
    a2 = maybe_round(a.reshape(-1, shape[-1]), spec.act).astype(w.dtype, copy=False)
    if split_k > 1:
        edges = np.linspace(0, shape[-1], split_k + 1).astype(int)
        out = None
        for lo, hi in reversed(list(zip(edges[:-1], edges[1:]))):
            part = a2[:, lo:hi] @ w[lo:hi]
            out = part if out is None else out + part
    else:
        out = a2 @ w
    out = maybe_round(out, spec.out).astype(w.dtype, copy=False)
    return out.reshape(shape[:-1] + (w.shape[1],))


def attention(q, k, v, heads, causal, bits=None, offset=0):
    """Multi-head attention: q [B, Sq, d], k and v [B, Sk, d]; with `causal`, query i (at
    absolute position offset + i) sees keys 0..offset + i."""
    b, sq, d = q.shape
    sk = k.shape[1]
    dh = d // heads
    dt = q.dtype

    def split(t, s):
        t = maybe_round(t, bits).astype(dt, copy=False)
        return t.reshape(b, s, heads, dh).transpose(0, 2, 1, 3)

    qh, kh, vh = split(q, sq), split(k, sk), split(v, sk)
    scores = (qh @ kh.transpose(0, 1, 3, 2)) * dt.type(1.0 / math.sqrt(dh))
    if causal:
        mask = np.arange(sk)[None, :] > (np.arange(sq)[:, None] + offset)
        scores = np.where(mask, dt.type(-np.inf), scores)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs = scores / scores.sum(axis=-1, keepdims=True)
    probs = maybe_round(probs, bits).astype(dt, copy=False)
    out = (probs @ vh).transpose(0, 2, 1, 3).reshape(b, sq, d)
    return out


def forward(model, tokens, cfg, x=None, start=0, record=False):
    """y [B, d] for token rows [B, S]; from the stream `x` before layer `start` if given.
    With `record`, also the stream after each layer (index 0 = before layer `start`)."""
    dt = cfg.dtype
    if x is None:
        x = model.embed(tokens, dt)
        x = maybe_round(x, cfg.spec(0).res).astype(dt, copy=False)
    x = x.astype(dt, copy=False)
    states = [x] if record else None
    depth = model.L if cfg.depth is None else cfg.depth
    for layer in range(start, depth):
        if layer not in cfg.skip:
            spec = cfg.spec(layer)
            wq, wk, wv, wo, w1, w2 = model.weights(layer, dt, spec, cfg.prune)
            h = rms_norm(x)
            q = matmul(h, wq, spec, cfg.split_k)
            k = matmul(h, wk, spec, cfg.split_k)
            v = matmul(h, wv, spec, cfg.split_k)
            a = attention(q, k, v, model.H, cfg.causal, spec.attn)
            x = maybe_round(x + matmul(a, wo, spec, cfg.split_k), spec.res).astype(dt, copy=False)
            if layer not in cfg.skip_ffn:
                u = np.maximum(matmul(rms_norm(x), w1, spec, cfg.split_k), 0)
                x = x + matmul(u, w2, spec, cfg.split_k)
                x = maybe_round(x, spec.res).astype(dt, copy=False)
        if record:
            states.append(x)
    y = rms_norm(x[:, -1])
    return (y, states) if record else y


def forward_batched(model, tokens, cfg, batch):
    """forward() over chunks of `batch` rows."""
    return np.concatenate([forward(model, tokens[i:i + batch], cfg)
                           for i in range(0, len(tokens), batch)])


def layer0_qkv(model, tokens, wq, wk, wv, dtype):
    """Layer 0's q, k, v looked up from a table indexed by (position, token): the table has
    S x vocab rows and is computed once per race. Only the rows the batch needs are
    computed here, which gives the same values."""
    b, s = tokens.shape
    d = model.d
    out = np.empty((3, b, s, d), dtype=dtype)
    wqkv = np.concatenate([wq, wk, wv], axis=1)
    for p in range(s):
        used, inverse = np.unique(tokens[:, p], return_inverse=True)
        h = rms_norm(model.E.astype(dtype)[used] + model.P.astype(dtype)[p])
        table = h @ wqkv
        out[:, :, p] = table[inverse].reshape(b, 3, d).transpose(1, 0, 2)
    return out[0], out[1], out[2]


def forward_exact_optimized(model, tokens):
    """The bidirectional model in float64 with the two savings that need no approximation:
    layer 0's projections from a (position, token) table, and in the last layer only the
    last position's query, attention row, W_o and FFN (nothing reads the other positions)."""
    dt = np.float64
    x = model.embed(tokens, dt)
    last = model.L - 1
    for layer in range(model.L):
        wq, wk, wv, wo, w1, w2 = model.weights(layer, dt)
        if layer == 0:
            q, k, v = layer0_qkv(model, tokens, wq, wk, wv, dt)
            if layer == last:
                q = q[:, -1:]
        else:
            h = rms_norm(x)
            k, v = h @ wk, h @ wv
            q = (h[:, -1:] if layer == last else h) @ wq
        a = attention(q, k, v, model.H, False)
        if layer == last:
            x = x[:, -1:] + a @ wo
        else:
            x = x + a @ wo
        x = x + np.maximum(rms_norm(x) @ w1, 0) @ w2
    return rms_norm(x[:, -1])


def forward_causal_cached(model, tokens):
    """The causal model in float64 with position 0 taken from a per-token cache: under the
    mask, position 0 sees only itself, so its whole stack (its k and v in every layer)
    depends on token 0 alone and is computed once per race for each vocabulary entry (here
    for the entries the batch uses). Only positions 1..S-1 are computed per nonce."""
    dt = np.float64
    used, inverse = np.unique(tokens[:, 0], return_inverse=True)
    x0 = model.E.astype(dt)[used] + model.P.astype(dt)[0]
    cache = []
    for layer in range(model.L):
        wq, wk, wv, wo, w1, w2 = model.weights(layer, dt)
        h = rms_norm(x0)
        k0, v0 = h @ wk, h @ wv
        cache.append((k0, v0))
        # One key: every head's softmax is 1, so the attention output is v0 itself.
        x0 = x0 + v0 @ wo
        x0 = x0 + np.maximum(rms_norm(x0) @ w1, 0) @ w2
    x = model.E.astype(dt)[tokens[:, 1:]] + model.P.astype(dt)[1:]
    for layer in range(model.L):
        wq, wk, wv, wo, w1, w2 = model.weights(layer, dt)
        h = rms_norm(x)
        k0, v0 = cache[layer]
        k = np.concatenate([k0[inverse][:, None], h @ wk], axis=1)
        v = np.concatenate([v0[inverse][:, None], h @ wv], axis=1)
        a = attention(h @ wq, k, v, model.H, True, offset=1)
        x = x + a @ wo
        x = x + np.maximum(rms_norm(x) @ w1, 0) @ w2
    return rms_norm(x[:, -1])


# --- compute accounting (multiply-adds x 2) ---------------------------------------------

def flop_model(sizes):
    """FLOPs per nonce of the plain forward pass and of its parts, and the exact savings."""
    L, d, ff, S = sizes["layers"], sizes["d_model"], sizes["d_ff"], sizes["seq"]
    proj = 2 * (4 * d * d + 2 * d * ff)          # per position per layer
    ffn = 2 * (2 * d * ff)
    attn_row = lambda keys: 2 * 2 * keys * d      # one query's scores and weighted sum
    bidir_layer = S * proj + S * attn_row(S)
    causal_layer = S * proj + sum(attn_row(i + 1) for i in range(S))
    total = L * bidir_layer
    total_causal = L * causal_layer
    # Bidirectional, exact: layer 0's q, k, v from a (position, token) table; the last
    # layer's q, W_o, FFN and attention rows at positions 0..S-2 are never read.
    last_unread = (S - 1) * (2 * 2 * d * d + ffn) + (S - 1) * attn_row(S)
    table_qkv = S * 2 * 3 * d * d
    bidir_saved = table_qkv + last_unread

    def causal_saved(prefix):
        """Positions < prefix from a cache keyed by their tokens (vocab**prefix entries)."""
        stack = sum(L * (proj + attn_row(i + 1)) for i in range(prefix))
        qkv = (S - prefix) * 2 * 3 * d * d
        unread = sum(2 * 2 * d * d + ffn + attn_row(i + 1) for i in range(prefix, S - 1))
        return stack + qkv + unread

    return {
        "total": total, "total_causal": total_causal, "layer": bidir_layer,
        "ffn_layer": S * ffn, "proj_layer": S * proj,
        "proj_total": L * S * proj,
        "lookup": S * d + 4 * d,
        "bidir_exact_saved": bidir_saved,
        "causal_exact_saved_prefix1": causal_saved(1),
        "causal_exact_saved_prefix2": causal_saved(2),
    }


# --- statistics -------------------------------------------------------------------------

def artifacts(y, perm):
    return y[np.arange(len(y))[:, None], perm].astype(np.float16)


def rms_diff(a, b):
    return np.sqrt(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2, axis=1))


def log_factorials(n):
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])


def binom_cdf(k, n, p, lf=None):
    """P(Binomial(n, p) <= k)."""
    if p <= 0:
        return 1.0
    if p >= 1:
        return 1.0 if k >= n else 0.0
    lf = log_factorials(n) if lf is None else lf
    j = np.arange(0, k + 1)
    logs = lf[n] - lf[j] - lf[n - j] + j * math.log(p) + (n - j) * math.log1p(-p)
    return float(min(1.0, np.exp(logs).sum()))


def upper_bound(successes, n, confidence=0.95):
    """One-sided Clopper-Pearson upper bound of a binomial proportion."""
    if n == 0:
        return 1.0
    if successes >= n:
        return 1.0
    alpha = 1 - confidence
    if successes == 0:
        return 1 - alpha ** (1.0 / n)
    lf = log_factorials(n)
    lo, hi = successes / n, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if binom_cdf(successes, n, mid, lf) > alpha:
            lo = mid
        else:
            hi = mid
    return hi


def validator_accepts(q, m, s=LEAVES_PER_VALIDATOR):
    """P(at most m bad leaves among s) for a bad-leaf fraction q (array)."""
    q = np.asarray(q, dtype=np.float64)
    total = np.zeros_like(q)
    for j in range(m + 1):
        total += math.comb(s, j) * q ** j * (1 - q) ** (s - j)
    return np.clip(total, 0, 1)


def verdict_probabilities(q, m, validators=VALIDATORS):
    """P(Accepted), P(Rejected) with equal-weight validators: more than 2/3 of the weight
    accepting, or rejecting."""
    a = validator_accepts(q, m)
    accepted = np.zeros_like(a)
    rejected = np.zeros_like(a)
    for n_acc in range(validators + 1):
        w = math.comb(validators, n_acc) * a ** n_acc * (1 - a) ** (validators - n_acc)
        if 3 * n_acc > 2 * validators:
            accepted += w
        if 3 * (validators - n_acc) > 2 * validators:
            rejected += w
    return accepted, rejected


F_GRID = np.concatenate([[0.0], np.geomspace(1e-7, 1.0, 20001)])


def max_gain(p, c, m):
    """max over f of P_accept(f (1 - p)) / (1 - f (1 - c)) - 1, and the f that attains it."""
    accepted, _ = verdict_probabilities(F_GRID * (1 - p), m)
    cost = np.maximum(1 - F_GRID * (1 - c), 1e-12)
    gain = accepted / cost
    i = int(np.argmax(gain))
    return float(gain[i] - 1), float(F_GRID[i])


def tail_rate(errors, tau, top=0.01):
    """P(error > tau) extrapolated from an exponential fitted to the largest 1% of the
    errors (at least 20): an estimate far beyond the data, for orders of magnitude only."""
    e = np.sort(np.asarray(errors))
    k = min(max(20, int(e.size * top)), e.size - 1)
    x0 = e[-k - 1]
    beta = float(np.mean(e[-k:] - x0))
    if tau <= x0:
        return float(np.mean(e > tau))
    if beta <= 0:
        return 0.0
    return float(k / e.size * math.exp(-(tau - x0) / beta))


def summary(errors):
    e = np.asarray(errors)
    return {"mean": float(e.mean()), "p99_9": float(np.quantile(e, 0.999)),
            "max": float(e.max()), "n": int(e.size)}


# --- the measurements of one seed -------------------------------------------------------

def group_means(keys, values, vocab, fallback, shrink=1.0):
    """Per-key means of the rows of `values`, shrunk towards `fallback` by `shrink` pseudo
    counts (keys never seen get the fallback)."""
    counts = np.bincount(keys, minlength=vocab).astype(np.float64)
    sums = np.zeros((vocab, values.shape[1]))
    for j in range(values.shape[1]):
        sums[:, j] = np.bincount(keys, weights=values[:, j], minlength=vocab)
    return (sums + shrink * fallback) / (counts[:, None] + shrink)


def fit_additive(tokens, y, vocab, ridge, sweeps=10):
    """Least-squares fit of y ~ b + sum_p T[p][tokens[:, p]] by ridge-regularised
    backfitting (Gauss-Seidel on the normal equations, one position at a time)."""
    n, s = tokens.shape
    b = y.mean(axis=0)
    tables = np.zeros((s, vocab, y.shape[1]))
    parts = np.zeros((s,) + y.shape)
    counts = [np.bincount(tokens[:, p], minlength=vocab).astype(np.float64) for p in range(s)]
    for _ in range(sweeps):
        for p in range(s):
            resid = y - b - parts.sum(axis=0) + parts[p]
            sums = np.zeros((vocab, y.shape[1]))
            for j in range(y.shape[1]):
                sums[:, j] = np.bincount(tokens[:, p], weights=resid[:, j], minlength=vocab)
            tables[p] = sums / (counts[p][:, None] + ridge)
            parts[p] = tables[p][tokens[:, p]]
        b = (y - parts.sum(axis=0)).mean(axis=0)
    return b, tables


def predict_additive(b, tables, tokens):
    return b + sum(tables[p][tokens[:, p]] for p in range(tokens.shape[1]))


def best_of(errors_by_variant):
    """The variant whose 0.1% quantile error is smallest (the one most likely to pass)."""
    name = min(errors_by_variant, key=lambda k: np.quantile(errors_by_variant[k], 0.001))
    return name, errors_by_variant[name]


def sweep_depths(layers):
    """Trailing-layer counts of the precision sweeps: 1, 2, 3, 4, 6, 8, 12, ... (powers of
    two and their midpoints) up to half the depth."""
    half = max(1, layers // 2)
    counts = set()
    for i in range(half.bit_length() + 1):
        counts.update({2 ** i, 3 * 2 ** i // 2 if i else 1})
    return sorted(j for j in counts if j <= half)


def mean_cosine(y):
    """Mean cosine between the outputs of two different nonces."""
    unit = y / np.linalg.norm(y, axis=1, keepdims=True)
    total = unit.sum(axis=0)
    n = len(y)
    return float((total @ total - n) / (n * (n - 1)))


def measure_seed(sizes, run, seed, log):
    """Every per-nonce error array of one race seed (artifact RMS differences against the
    float64 reference), and the scalar measurements."""
    t0 = time.time()
    model = Model(sizes, seed)
    L = model.L
    n = run["nonces"]
    tokens = model.tokens(n)
    perm = model.permutations(n, run["k"])
    log(f"seed {seed}: model drawn in {time.time() - t0:.1f} s")

    def art(y):
        return artifacts(y, perm[:len(y)])

    def timed(label, fn):
        t = time.time()
        value = fn()
        log(f"  {label}: {time.time() - t:.1f} s")
        return value

    y_ref = timed("float64 reference", lambda: forward(model, tokens, Config(dtype=np.float64)))
    a_ref = art(y_ref)

    def vs_ref(y):
        return rms_diff(art(y), a_ref[:len(y)])

    out = {"honest": {}, "pairs": {}, "shortcuts": {}, "layers": {}, "precision": {}}

    # a. honest variation; the float32, TF32 and bf16 runs keep their streams for later.
    y32, states = timed("float32", lambda: forward(model, tokens, Config(), record=True))
    y_tf32, tf32_states = timed("TF32", lambda: forward(
        model, tokens, Config(precision=TF32), record=True))
    y_bf16, bf16_states = timed("bf16", lambda: forward(
        model, tokens, Config(precision=BF16), record=True))
    y_bf16w, bf16w_states = timed("bf16, bf16-exact weights", lambda: forward(
        model, tokens, Config(precision=BF16_ACT), record=True))
    ys = {"float32": y32, "TF32": y_tf32, "bf16 (f32 residual)": y_bf16,
          "bf16, bf16-exact weights": y_bf16w}
    for name, fn in (
            ("float32 batch 256", lambda: forward_batched(model, tokens, Config(), 256)),
            ("float32 split-K 4", lambda: forward(model, tokens, Config(split_k=4))),
            ("bf16 split-K 4", lambda: forward(model, tokens, Config(precision=BF16, split_k=4))),
            ("bf16 (bf16 residual)", lambda: forward(model, tokens, Config(precision=BF16_ALL))),
            ("bf16, bf16-exact weights, split-K 4", lambda: forward(
                model, tokens, Config(precision=BF16_ACT, split_k=4))),
    ):
        ys[name] = timed(name, fn)
    m1 = min(run["batch1"], n)
    ys["float32 batch 1"] = timed(f"float32 batch 1 ({m1} nonces)", lambda: np.concatenate(
        [forward(model, tokens[i:i + 1], Config()) for i in range(m1)]))
    for name, y in ys.items():
        out["honest"][name] = vs_ref(y)
    out["pairs"]["float32 batch 1 vs batch 256"] = rms_diff(
        art(ys["float32 batch 1"]), art(ys["float32 batch 256"][:m1]))
    out["pairs"]["bf16 vs bf16 split-K"] = rms_diff(
        art(ys["bf16 (f32 residual)"]), art(ys["bf16 split-K 4"]))
    out["pairs"]["bf16-exact weights vs split-K"] = rms_diff(
        art(ys["bf16, bf16-exact weights"]), art(ys["bf16, bf16-exact weights, split-K 4"]))
    out["pairs"]["bf16 (bf16 residual) vs TF32"] = rms_diff(
        art(ys["bf16 (bf16 residual)"]), art(ys["TF32"]))
    del ys

    # b. skipped layers and FFN blocks, from the float32 stream; the mean correction adds
    # the layer's average update (per position) over calibration nonces instead.
    t = time.time()
    cal_tokens = model.tokens(min(run["calibration"], 4096))
    _, cal_states = forward(model, cal_tokens, Config(), record=True)
    mean_delta = [(cal_states[l + 1] - cal_states[l]).mean(axis=0) for l in range(L)]
    del cal_states
    skipped = sorted(set(range(0, L, run["skip_every"])) | {L - 1})
    for layer in skipped:
        x = states[layer]
        out["layers"][str(layer)] = {
            "skip": vs_ref(forward(model, None, Config(), x=x, start=layer + 1)),
            "skip + mean": vs_ref(forward(model, None, Config(), x=x + mean_delta[layer],
                                          start=layer + 1)),
            "skip FFN": vs_ref(forward(model, None, Config(skip_ffn={layer}), x=x, start=layer)),
        }
    half = L // 2
    out["shortcuts"]["half depth"] = best_of({
        "plain": vs_ref(rms_norm(states[half][:, -1])),
        "mean-corrected": vs_ref(rms_norm((states[half] + sum(mean_delta[half:]))[:, -1])),
    })[1]
    log(f"  {len(skipped)} skipped layers x 3, half depth: {time.time() - t:.1f} s")

    # Reduced precision on part of the model: the cheaper format on all layers, on the
    # first quarter, or on the last j layers (the last layers' errors are amplified least
    # on their way to the output), the base format on the others.
    t = time.time()
    quarter = max(1, L // 4)
    out["precision_layers"] = {"all layers": L, "first quarter": quarter}
    fp8_all = vs_ref(forward(model, tokens, Config(precision=FP8)))
    for cheap, base, base_states, key in (
            (FP8, BF16, bf16_states, "fp8 (bf16 base)"),
            (FP8, BF16_ACT, bf16w_states, "fp8 (bf16-exact-weights base)"),
            (BF16, TF32, tf32_states, "bf16 (TF32 base)")):
        sweep = {}
        if cheap is FP8:
            sweep["all layers"] = fp8_all
        else:
            sweep["all layers"] = out["honest"]["bf16 (f32 residual)"]
        sweep["first quarter"] = vs_ref(forward(model, tokens, Config(
            precision=base, layer_precision={l: cheap for l in range(quarter)})))
        for j in sweep_depths(L):
            label = f"last {j} layer{'s' if j > 1 else ''}"
            out["precision_layers"][label] = j
            sweep[label] = vs_ref(forward(model, None, Config(precision=cheap),
                                          x=base_states[L - j], start=L - j))
        out["precision"][key] = sweep
    del states, tf32_states, bf16_states, bf16w_states
    out["shortcuts"]["2:4 pruning"] = vs_ref(forward(model, tokens, Config(prune=True)))
    log(f"  precision sweeps, 2:4 pruning: {time.time() - t:.1f} s")

    t = time.time()
    out["shortcuts"].update(table_shortcuts(model, run, tokens, a_ref, perm, log))
    log(f"  tables: {time.time() - t:.1f} s")

    # d. collapse: how alike the outputs of different nonces are.
    out["mean_cosine"] = mean_cosine(y_ref)

    # Exact savings, verified on a subset of the nonces.
    t = time.time()
    ne = min(run["exact_nonces"], n)
    sub = tokens[:ne]
    y_opt = forward_exact_optimized(model, sub)
    y_causal = forward(model, sub, Config(dtype=np.float64, causal=True))
    y_cached = forward_causal_cached(model, sub)
    def agreement(y, expected):
        return {"max_abs_dy": float(np.abs(y - expected).max()),
                "artifacts_equal": float(np.mean(np.all(art(y) == art(expected), axis=1)))}

    out["exact"] = {"bidirectional": agreement(y_opt, y_ref[:ne]),
                    "causal": agreement(y_cached, y_causal)}
    out["mean_cosine_causal"] = mean_cosine(y_causal)
    log(f"  exact savings verified on {ne} nonces: {time.time() - t:.1f} s")
    log(f"seed {seed} done in {time.time() - t0:.1f} s")
    return out


def table_shortcuts(model, run, tokens, a_ref, perm, log):
    """Mean output, first-token, last-token and additive tables; each as the raw estimate
    and RMS-normalised, keeping the stronger."""
    S, vocab = model.S, model.vocab
    n_tab = min(run["table_nonces"], len(tokens))
    tok = tokens[:n_tab]
    ref = a_ref[:n_tab]
    cfg = Config()

    def errs(pred):
        return rms_diff(artifacts(pred, perm[:n_tab]), ref)

    def both(pred):
        return best_of({"raw": errs(pred), "normalised": errs(rms_norm(pred))})[1]

    result = {}
    if run["tables"] == "calibration":
        # Tables fitted on the float32 outputs of `calibration` random nonces.
        n_cal = run["calibration"]
        cal = model.tokens(n_cal)
        y_cal = forward_batched(model, cal, cfg, run["batch"]).astype(np.float64)
        mean = y_cal.mean(axis=0)
        result["mean output"] = both(np.tile(mean, (n_tab, 1)))
        first = group_means(cal[:, 0], y_cal, vocab, mean)
        last = group_means(cal[:, -1], y_cal, vocab, mean)
        result["first-token table"] = both(first[tok[:, 0]])
        result["last-token table"] = both(last[tok[:, -1]])
        # The ridge weight chosen on a held-out tenth of the calibration set.
        split = n_cal * 9 // 10
        best = None
        for ridge in (0.5, 2.0, 8.0):
            b, tables = fit_additive(cal[:split], y_cal[:split], vocab, ridge)
            pred = rms_norm(predict_additive(b, tables, cal[split:]))
            err = float(np.mean((pred - y_cal[split:]) ** 2))
            if best is None or err < best[0]:
                best = (err, ridge)
        b, tables = fit_additive(cal, y_cal, vocab, best[1])
        result["additive token table"] = both(predict_additive(b, tables, tok))
        log(f"    calibration {n_cal} nonces, additive ridge {best[1]}")
    else:
        # Conditional means by Monte Carlo: for each measured nonce and position, the mean
        # output over `completions` random sequences sharing that position's token. Only
        # the table entries the measured nonces need are built; the sum of the main
        # effects is the best additive predictor when tokens are independent.
        r = run["completions"]
        cal = model.tokens(run["calibration"])
        mean = forward_batched(model, cal, cfg, run["batch"]).astype(np.float64).mean(axis=0)
        result["mean output"] = both(np.tile(mean, (n_tab, 1)))
        effects = []
        for p in range(S):
            comp = model.tokens(n_tab * r)
            comp[:, p] = np.repeat(tok[:, p], r)
            y = forward_batched(model, comp, cfg, run["batch"]).astype(np.float64)
            effects.append(y.reshape(n_tab, r, -1).mean(axis=1))
        result["first-token table"] = both(effects[0])
        result["last-token table"] = both(effects[-1])
        result["additive token table"] = both(sum(effects) - (S - 1) * mean)
        log(f"    conditional means: {n_tab} nonces x {S} positions x {r} completions")
    return result


# --- economics ----------------------------------------------------------------------------

def simulate(rng, bad, m, races=1000, leaves=LEAF_COUNT):
    """Verdict counts over `races`. Each validator draws 200 distinct leaves of `leaves`.
    `bad` is a fixed fraction of bad leaves, or ("rate", r) for leaves failing
    independently at rate r (a binomial count per race). The bad leaves are numbered first:
    the draws are uniform, so which ones they are does not matter."""
    counts = {"rejected": 0, "accepted": 0, "undecided": 0}
    for _ in range(races):
        n_bad = rng.binomial(leaves, bad[1]) if isinstance(bad, tuple) else int(round(bad * leaves))
        accepting = 0
        for _ in range(VALIDATORS):
            drawn = rng.choice(leaves, LEAVES_PER_VALIDATOR, replace=False)
            accepting += int(np.count_nonzero(drawn < n_bad)) <= m
        if 3 * accepting > 2 * VALIDATORS:
            counts["accepted"] += 1
        elif 3 * (VALIDATORS - accepting) > 2 * VALIDATORS:
            counts["rejected"] += 1
        else:
            counts["undecided"] += 1
    return counts


# --- analysis -----------------------------------------------------------------------------

def merge(trees):
    """The seeds' measurements merged: arrays concatenated, scalars listed."""
    first = trees[0]
    if isinstance(first, dict):
        return {k: merge([t[k] for t in trees]) for k in first}
    if isinstance(first, np.ndarray):
        return np.concatenate(trees)
    return list(trees)


# The honest modes: which honest variants must keep the margin, and the cheaper formats.
# Dense tensor-core rates on H100/H200: TF32 495, bf16 989, fp8 1979 TFLOP/s.
MODES = {
    "bf16": {"required": ["float32", "float32 batch 256", "float32 batch 1",
                          "float32 split-K 4", "TF32", "bf16 (f32 residual)", "bf16 split-K 4"],
             "pairs": ["float32 batch 1 vs batch 256", "bf16 vs bf16 split-K"]},
    "tf32": {"required": ["float32", "float32 batch 256", "float32 batch 1",
                          "float32 split-K 4", "TF32"],
             "pairs": ["float32 batch 1 vs batch 256"]},
    # A protocol variant: the chain derives bf16-exact weights, so bf16 rounds activations
    # only.
    "bf16w": {"required": ["float32", "float32 batch 256", "float32 batch 1",
                           "float32 split-K 4", "TF32", "bf16, bf16-exact weights",
                           "bf16, bf16-exact weights, split-K 4"],
              "pairs": ["float32 batch 1 vs batch 256", "bf16-exact weights vs split-K"]},
}


def shortcut_rows(merged, flops, sizes, mode):
    """(name, errors, compute fraction c) of every shortcut when honest work runs at the
    precision of `mode`."""
    L, total = sizes["layers"], flops["total"]
    lookup = flops["lookup"] / total
    rows = []
    for name, e in merged["shortcuts"].items():
        if name == "half depth":
            c = (L // 2) / L
        elif name == "2:4 pruning":
            c = 1 - 0.5 * flops["proj_total"] / total  # 2:4 sparse tensor cores: 2x
        else:
            c = lookup
        rows.append((name, e, c))
    layer_c = 1 - flops["layer"] / total
    ffn_c = 1 - flops["ffn_layer"] / total
    for kind, label, c in (("skip", "skip one layer", layer_c),
                           ("skip + mean", "skip one layer + mean update", layer_c),
                           ("skip FFN", "skip one FFN block", ffn_c)):
        best = min(merged["layers"], key=lambda l: np.quantile(merged["layers"][l][kind], 0.001))
        rows.append((f"{label} (best: layer {best})", merged["layers"][best][kind], c))
    counts = {k: v[0] for k, v in merged["precision_layers"].items()}
    key, cheap, base, factor = {
        "bf16": ("fp8 (bf16 base)", "fp8", "bf16", 0.5),
        "bf16w": ("fp8 (bf16-exact-weights base)", "fp8", "bf16", 0.5),
        "tf32": ("bf16 (TF32 base)", "bf16", "TF32", 0.5)}[mode]
    for sub, e in merged["precision"][key].items():
        c = 1 - factor * counts[sub] * flops["proj_layer"] / total
        where = "" if sub == "all layers" else f", {base} elsewhere"
        rows.append((f"{cheap} {sub}{where}", e, c))
    if mode == "tf32":
        rows.append(("fp8 all layers", merged["precision"]["fp8 (bf16 base)"]["all layers"],
                     1 - 0.75 * flops["proj_total"] / total))
    return rows


def analyse(merged, flops, sizes, tau, mode):
    """Honest margins and, for each shortcut, p, its upper bound and the gains."""
    req = MODES[mode]
    worst_honest = max([merged["honest"][k].max() for k in req["required"]] +
                       [merged["pairs"][k].max() for k in req["pairs"]])
    shortcuts = {}
    for name, e, c in shortcut_rows(merged, flops, sizes, mode):
        passed = int(np.sum(e <= tau))
        p = passed / e.size
        p_hi = upper_bound(passed, e.size)
        gains = {}
        for m in (0, 1, 2):
            g, f = max_gain(p_hi, c, m)
            gains[str(m)] = {"gain": g, "f": f}
        shortcuts[name] = {"c": c, "n": int(e.size), "p": p, "p_upper95": p_hi,
                           "err_p0_1": float(np.quantile(e, 0.001)),
                           "err_p1": float(np.quantile(e, 0.01)),
                           "err_median": float(np.median(e)), "gain": gains}
    worst = {}
    for m in ("0", "1", "2"):
        name = max(shortcuts, key=lambda k: shortcuts[k]["gain"][m]["gain"])
        worst[m] = {"shortcut": name, "gain": shortcuts[name]["gain"][m]["gain"]}
    return {"tau": tau, "mode": mode, "worst_honest": float(worst_honest),
            "margin": tau / worst_honest if worst_honest > 0 else float("inf"),
            "shortcuts": shortcuts, "worst_gain": worst}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    ap.add_argument("--nonces", type=int)
    ap.add_argument("--seeds", type=int)
    ap.add_argument("--calibration", type=int, help="calibration nonces for the tables")
    ap.add_argument("--tables", choices=["calibration", "conditional"])
    ap.add_argument("--quick", action="store_true", help="fewer nonces and seeds")
    ap.add_argument("--k", type=int, default=ARTIFACT_LEN,
                    help="artifact length (coordinates), for measurement")
    ap.add_argument("--tau", type=float, default=0.025, help="validation tolerance (RMS)")
    ap.add_argument("--m", type=int, default=0, help="mismatches a validator allows")
    ap.add_argument("--honest", choices=sorted(MODES), default="bf16",
                    help="the cheapest precision honest work may use")
    ap.add_argument("--margin", type=float, default=4.0,
                    help="goal for tau / max honest error (reported, not required)")
    ap.add_argument("--min-margin", type=float, default=2.0,
                    help="required tau / max honest error")
    ap.add_argument("--max-gain", type=float, default=0.05,
                    help="largest attacker gain tolerated at the default m")
    ap.add_argument("--json", help="write every figure to this file")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    sizes = PRESETS[args.preset]
    run = dict(RUNS[args.preset])
    if args.quick:
        run.update({k: min(v, run[k]) for k, v in QUICK.items()})
    for key in ("nonces", "seeds", "calibration", "tables"):
        if getattr(args, key) is not None:
            run[key] = getattr(args, key)
    run["k"] = args.k
    for key in ("table_nonces", "batch1", "exact_nonces"):
        run[key] = min(run[key], run["nonces"])
    tau, default_m, mode = args.tau, args.m, args.honest
    started = time.time()

    def log(msg):
        if not args.quiet:
            print(f"[{time.time() - started:6.1f} s] {msg}", file=sys.stderr, flush=True)

    results = [measure_seed(sizes, run, 1000 + s, log) for s in range(run["seeds"])]
    merged = merge(results)
    flops = flop_model(sizes)
    L = sizes["layers"]
    report = {"preset": args.preset, "sizes": sizes, "run": run, "tau": tau,
              "default_m": default_m, "honest_mode": mode, "margin_goal": args.margin,
              "margin_required": args.min_margin,
              "max_gain": args.max_gain, "flops_per_nonce": flops["total"]}
    checks, goals = [], []

    def check(name, ok, detail):
        checks.append({"check": name, "ok": bool(ok), "detail": detail})

    def goal(name, ok, detail):
        goals.append({"goal": name, "ok": bool(ok), "detail": detail})

    # a. honest variation
    honest = {}
    for k, v in merged["honest"].items():
        honest[k] = summary(v)
        honest[k]["margin"] = tau / honest[k]["max"] if honest[k]["max"] > 0 else float("inf")
        honest[k]["fail_fraction"] = float(np.mean(v > tau))
    report["honest"] = honest
    report["honest_pairs"] = {k: summary(v) for k, v in merged["pairs"].items()}
    for k in MODES[mode]["required"] + MODES[mode]["pairs"]:
        e = merged["honest"][k] if k in merged["honest"] else merged["pairs"][k]
        margin = tau / e.max() if e.max() > 0 else float("inf")
        check(f"honest {k}: within tau with margin >= {args.min_margin:g}",
              margin >= args.min_margin, f"max {e.max():.2e}, margin {margin:.1f}")
        goal(f"honest {k}: margin >= {args.margin:g}", margin >= args.margin,
             f"margin {margin:.1f}")
    tau_needed = {}
    for m_ in MODES:
        req = MODES[m_]
        worst = max([merged["honest"][k].max() for k in req["required"]] +
                    [merged["pairs"][k].max() for k in req["pairs"]])
        tau_needed[m_] = math.ceil(args.margin * worst * 1000) / 1000
    report["tau_for_margin"] = tau_needed

    # b, c. shortcuts at the chosen tau, at the tau each mode needs, and a scan of tau.
    primary = analyse(merged, flops, sizes, tau, mode)
    analyses = [primary]
    for m_, t_ in sorted(tau_needed.items()):
        if (m_, t_) != (mode, tau):
            analyses.append(analyse(merged, flops, sizes, t_, m_))
    report["analyses"] = analyses
    scan = []
    for m_ in MODES:
        for t_ in (0.005, 0.0075, 0.01, 0.015, 0.02, 0.025, 0.03, 0.035, 0.04, 0.05):
            a = analyse(merged, flops, sizes, t_, m_)
            scan.append({"mode": m_, "tau": t_, "margin": a["margin"],
                         "worst_gain": a["worst_gain"]})
    report["tau_scan"] = scan
    for name, row in primary["shortcuts"].items():
        g = row["gain"][str(default_m)]["gain"]
        check(f"shortcut {name}: gain <= {100 * args.max_gain:g}% at m={default_m}",
              g <= args.max_gain, f"p {row['p']:.4f}, c {row['c']:.3f}, gain {100 * g:.3f}%")
    per_layer = {}
    for layer, kinds in merged["layers"].items():
        per_layer[layer] = {k: {"p": float(np.mean(e <= tau)),
                                "err_p0_1": float(np.quantile(e, 0.001)),
                                "err_median": float(np.median(e))} for k, e in kinds.items()}
    report["per_layer"] = per_layer

    # Exact savings (p = 1): not failures, since an honest miner may use them too (the
    # honest cost is the optimised one), but with a causal mask they would be large.
    exact = {}
    for key, saved, total, label in (
            ("bidirectional", flops["bidir_exact_saved"], flops["total"],
             "layer-0 q/k/v from a table, last layer at the last position only"),
            ("causal", flops["causal_exact_saved_prefix1"], flops["total_causal"],
             "with the causal mask: position 0 from a per-token cache, and the same two"),
    ):
        dy = max(merged["exact"][key]["max_abs_dy"])
        exact[key] = {"what": label, "saved_fraction": saved / total,
                      "gain_over_plain_pass": total / (total - saved) - 1,
                      "max_abs_dy": dy,
                      "artifacts_equal": min(merged["exact"][key]["artifacts_equal"])}
        check(f"exact saving ({key}) reproduces the outputs", dy < 1e-9, f"max |dy| {dy:.1e}")
    exact["causal"]["saved_fraction_prefix2"] = (flops["causal_exact_saved_prefix2"]
                                                 / flops["total_causal"])
    exact["causal"]["prefix2_cache_entries"] = sizes["vocab"] ** 2
    exact["causal"]["prefix1_cache_bytes_bf16"] = sizes["vocab"] * L * 2 * sizes["d_model"] * 2
    report["exact"] = exact

    # d. collapse guard
    report["mean_cosine"] = float(np.mean(merged["mean_cosine"]))
    report["mean_cosine_causal"] = float(np.mean(merged["mean_cosine_causal"]))
    check("collapse: mean pairwise cosine of outputs < 0.9", report["mean_cosine"] < 0.9,
          f"{report['mean_cosine']:.3f}")
    first_p0_1 = float(np.quantile(merged["shortcuts"]["first-token table"], 0.001))
    check("collapse: first-token table error >= 5 tau for 99.9% of nonces",
          first_p0_1 >= 5 * tau, f"0.1% quantile {first_p0_1:.3f} vs {5 * tau:.3f}")

    # e. economics, with the honest failure rate of the required variant that errs most.
    req = MODES[mode]["required"]
    worst_variant = max(req, key=lambda k: merged["honest"][k].max())
    errors = merged["honest"][worst_variant]
    fails = int(np.sum(errors > tau))
    rate = fails / errors.size
    rate_hi = upper_bound(fails, errors.size)
    rate_tail = tail_rate(errors, tau)
    rng = np.random.default_rng(7)
    econ = {"honest_variant": worst_variant, "honest_leaf_failure_rate": rate,
            "honest_leaf_failure_rate_tail": rate_tail,
            "honest_leaf_failure_rate_upper95": rate_hi, "by_m": {}}
    for m in (0, 1, 2):
        acc, rej = verdict_probabilities(np.array([0.02, rate_tail, rate_hi]), m)
        econ["by_m"][str(m)] = {
            "cheater_2pct": simulate(rng, 0.02, m),
            "cheater_rejected_analytic": float(rej[0]),
            "cheater_accepted_analytic": float(acc[0]),
            "honest": simulate(rng, ("rate", rate), m),
            "honest_at_tail_rate": simulate(rng, ("rate", rate_tail), m),
            "honest_at_upper95_rate": simulate(rng, ("rate", rate_hi), m),
            "honest_not_accepted_tail": float(1 - acc[1]),
            "honest_not_accepted_upper95": float(1 - acc[2]),
        }
    report["economics"] = econ
    e_m = econ["by_m"][str(default_m)]
    check(f"economics: a 2% cheater is rejected in >= 75% of races (m={default_m})",
          e_m["cheater_2pct"]["rejected"] >= 750, f"{e_m['cheater_2pct']['rejected']}/1000")
    check(f"economics: an honest worker is never rejected (m={default_m})",
          e_m["honest"]["rejected"] == 0, f"{e_m['honest']['rejected']}/1000")

    report["checks"] = checks
    report["goals"] = goals
    report["seconds"] = time.time() - started
    print_report(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(finite(report), f, indent=1, allow_nan=False)
    return 1 if any(not c["ok"] for c in checks) else 0


def finite(obj):
    """obj with infinities and NaNs replaced by None, so the JSON is strict."""
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [finite(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# --- printing -------------------------------------------------------------------------------

def pct(x):
    if x == 0:
        return "0"
    if x < 1e-4:
        return "<0.01%"
    return f"{100 * x:.2f}%" if x < 1 else f"{100 * x:.0f}%"


def print_report(r):
    tau, sz, run = r["tau"], r["sizes"], r["run"]
    print(f"\nrace adversary suite, preset {r['preset']}: layers {sz['layers']}, heads "
          f"{sz['heads']}, d_model {sz['d_model']}, d_ff {sz['d_ff']}, vocab {sz['vocab']}, "
          f"seq {sz['seq']}; artifact k {run['k']}; {run['seeds']} seed(s) x {run['nonces']} "
          f"nonces; "
          f"{r['flops_per_nonce'] / 1e6:.4g} MFLOP per nonce")
    print(f"tau {tau}, default m {r['default_m']}, honest precision down to {r['honest_mode']}, "
          f"margin required {r['margin_required']:g}x (goal {r['margin_goal']:g}x), largest "
          f"gain tolerated {100 * r['max_gain']:g}%")

    print("\na. honest variation: RMS difference of artifacts from the float64 reference")
    print(f"  {'variant':<32} {'mean':>9} {'p99.9':>9} {'max':>9} {'tau/max':>8} {'n':>6}")
    for k, v in r["honest"].items():
        print(f"  {k:<32} {v['mean']:9.2e} {v['p99_9']:9.2e} {v['max']:9.2e} "
              f"{v['margin']:8.1f} {v['n']:6d}")
    print("  between two honest machines:")
    for k, v in r["honest_pairs"].items():
        margin = tau / v["max"] if v["max"] else float("inf")
        print(f"  {k:<32} {v['mean']:9.2e} {v['p99_9']:9.2e} {v['max']:9.2e} "
              f"{margin:8.1f} {v['n']:6d}")
    need = ", ".join(f"{k} {v}" for k, v in sorted(r["tau_for_margin"].items()))
    print(f"  tau giving a {r['margin_goal']:g}x margin, by the cheapest honest "
          f"precision: {need}")

    for a in r["analyses"]:
        print(f"\nb, c. shortcuts at tau {a['tau']}, honest precision down to {a['mode']} "
              f"(honest margin {a['margin']:.1f}x)")
        print("  p: fraction within tau (p_hi: its 95% upper bound, used for the gains); "
              "c: compute fraction; gain: max over f of weight per compute - 1")
        print(f"  {'shortcut':<46} {'c':>6} {'p':>7} {'p_hi':>8} {'err p0.1':>8} {'median':>7}"
              f" {'gain m=0':>9} {'m=1':>7} {'m=2':>7}")
        for k, v in a["shortcuts"].items():
            g = v["gain"]
            print(f"  {k:<46} {v['c']:6.3f} {v['p']:7.4f} {v['p_upper95']:8.2e} "
                  f"{v['err_p0_1']:8.3f} {v['err_median']:7.3f} {pct(g['0']['gain']):>9} "
                  f"{pct(g['1']['gain']):>7} {pct(g['2']['gain']):>7}")

    print(f"\n  per skipped layer at tau {tau}: p, error 0.1% quantile / median")
    print(f"  {'layer':>5} {'skip':>22} {'skip + mean update':>22} {'skip FFN':>22}")
    for layer, row in sorted(r["per_layer"].items(), key=lambda kv: int(kv[0])):
        cells = [f"{row[k]['p']:.3f} {row[k]['err_p0_1']:.3f}/{row[k]['err_median']:.3f}"
                 for k in ("skip", "skip + mean", "skip FFN")]
        print(f"  {int(layer):5d} {cells[0]:>22} {cells[1]:>22} {cells[2]:>22}")

    print("\n  tau scan: honest margin and the largest attacker gain (which shortcut)")
    print(f"  {'honest':>6} {'tau':>7} {'margin':>7} {'gain m=0':>9} {'m=1':>7}  shortcut (m=0)")
    for s in r["tau_scan"]:
        w = s["worst_gain"]
        print(f"  {s['mode']:>6} {s['tau']:7.4f} {s['margin']:7.1f} {pct(w['0']['gain']):>9} "
              f"{pct(w['1']['gain']):>7}  {w['0']['shortcut'] if w['0']['gain'] > 0 else '-'}")

    print("\n  exact savings (p = 1, verified in float64; honest miners may use them too):")
    for k, v in r["exact"].items():
        print(f"  {k}: {v['what']}: {pct(v['saved_fraction'])} of the FLOPs "
              f"({pct(v['gain_over_plain_pass'])} more nonces per FLOP); max |dy| "
              f"{v['max_abs_dy']:.1e}, artifacts bit-equal {pct(v['artifacts_equal'])}")
    c = r["exact"]["causal"]
    print(f"  causal with positions 0 and 1 cached ({c['prefix2_cache_entries']:.3g} entries): "
          f"{pct(c['saved_fraction_prefix2'])}; the position-0 cache holds "
          f"{c['prefix1_cache_bytes_bf16'] / 2**20:.0f} MiB of bf16 k/v")

    print(f"\nd. collapse: mean pairwise cosine of outputs {r['mean_cosine']:.3f} "
          f"(with the causal mask {r['mean_cosine_causal']:.3f})")

    e = r["economics"]
    print(f"\ne. economics: 1,000 races, {VALIDATORS} validators x {LEAVES_PER_VALIDATOR} "
          f"leaves of {LEAF_COUNT:,}. Honest leaf failure rate ({e['honest_variant']}): "
          f"observed {e['honest_leaf_failure_rate']:.2g}, tail extrapolation "
          f"{e['honest_leaf_failure_rate_tail']:.2g}, 95% bound from the count alone "
          f"{e['honest_leaf_failure_rate_upper95']:.2g}")
    print("  verdicts rejected/accepted/undecided; 'not acc.': analytic P(not accepted)")
    print(f"  {'m':>2} {'2% cheater':>12} {'P(rej)':>7} {'honest':>10} {'at tail rate':>13} "
          f"{'not acc.':>9} {'at bound':>11} {'not acc.':>9}")
    for m, v in e["by_m"].items():
        def fmt(d):
            return f"{d['rejected']}/{d['accepted']}/{d['undecided']}"
        print(f"  {m:>2} {fmt(v['cheater_2pct']):>12} {v['cheater_rejected_analytic']:7.3f} "
              f"{fmt(v['honest']):>10} {fmt(v['honest_at_tail_rate']):>13} "
              f"{v['honest_not_accepted_tail']:9.2g} {fmt(v['honest_at_upper95_rate']):>11} "
              f"{v['honest_not_accepted_upper95']:9.2g}")

    print("\ngoals (reported, not required):")
    for g in r["goals"]:
        print(f"  {'ok  ' if g['ok'] else 'MISS'} {g['goal']} ({g['detail']})")
    print("\nmust-hold checks:")
    for c in r["checks"]:
        print(f"  {'ok  ' if c['ok'] else 'FAIL'} {c['check']} ({c['detail']})")
    failed = sum(not c["ok"] for c in r["checks"])
    print(f"\n{'all checks hold' if not failed else f'{failed} check(s) FAILED'}"
          f" ({r['seconds']:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
