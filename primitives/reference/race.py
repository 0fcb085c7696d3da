"""An independent implementation of the race derivations of `primitives/src/race.rs`, in
plain Python (no third-party packages): keccak-256, the ChaCha20 block function, uniform,
normal (Irwin-Hall) and bounded draws, race and sample seeds, node and input seeds, tensors,
target, tokens, permutations, seed commitments and validation samples.

    python3 primitives/reference/race.py            # prints the test vectors as JSON
    python3 primitives/reference/race.py --check F  # compares with F, exits 1 on a mismatch

`primitives/tests/race_vectors.json` was written by this script; the Rust tests compare
against it, so both implementations must agree.
"""

import json
import math
import struct
import sys

MASK32 = 0xFFFFFFFF
MASK64 = 0xFFFFFFFFFFFFFFFF

# --- keccak-256 (the original Keccak padding, as Ethereum and AIL2 use) ---

ROUND_CONSTANTS = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
ROTATIONS = [
    [0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61],
    [28, 55, 25, 21, 56], [27, 20, 39, 8, 14],
]


def rotl64(x, n):
    return ((x << n) | (x >> (64 - n))) & MASK64 if n else x


def keccak_f(a):
    for rc in ROUND_CONSTANTS:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rotl64(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = rotl64(a[x][y], ROTATIONS[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        a[0][0] ^= rc
    return a


def keccak256(data: bytes) -> bytes:
    rate = 136
    padded = bytearray(data) + b"\x01"
    while len(padded) % rate:
        padded.append(0)
    padded[-1] |= 0x80
    state = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        block = padded[offset:offset + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            state[x][y] ^= struct.unpack_from("<Q", block, 8 * i)[0]
        state = keccak_f(state)
    out = b"".join(struct.pack("<Q", state[i % 5][i // 5]) for i in range(4))
    return out


# --- ChaCha20 ---

def rotl32(x, n):
    return ((x << n) | (x >> (32 - n))) & MASK32


def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & MASK32; s[d] = rotl32(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & MASK32; s[b] = rotl32(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & MASK32; s[d] = rotl32(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & MASK32; s[b] = rotl32(s[b] ^ s[c], 7)


def chacha20_block(key_words, tail):
    initial = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574] + list(key_words) + list(tail)
    s = list(initial)
    for _ in range(10):
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return [(x + y) & MASK32 for x, y in zip(s, initial)]


class Stream:
    def __init__(self, key: bytes):
        self.key = struct.unpack("<8I", key)
        self.block = 0
        self.words = []

    def next_u32(self):
        if not self.words:
            tail = [self.block & MASK32, self.block >> 32, 0, 0]
            self.words = chacha20_block(self.key, tail)
            self.block += 1
        return self.words.pop(0)

    def uniform(self):
        # (word >> 8) * 2^-24 is exact in float32 and in Python floats alike.
        return (self.next_u32() >> 8) / 16777216.0

    def normal(self):
        total = sum(self.next_u32() >> 8 for _ in range(12)) - 6 * (1 << 24)
        # One rounding to float32 (round-to-nearest-even), then an exact scaling.
        as_f32 = struct.unpack("<f", struct.pack("<f", float(total)))[0]
        return as_f32 / 16777216.0

    def below(self, bound):
        if bound == 0:
            return 0
        threshold = ((-bound) & MASK32) % bound
        while True:
            product = self.next_u32() * bound
            if (product & MASK32) >= threshold:
                return product >> 32

    def below_u64(self, bound):
        if bound == 0:
            return 0
        threshold = ((-bound) & MASK64) % bound
        while True:
            low = self.next_u32()
            word = low | (self.next_u32() << 32)
            product = word * bound
            if (product & MASK64) >= threshold:
                return product >> 64


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def f32_bits(x):
    return "%08x" % struct.unpack("<I", struct.pack("<f", x))[0]


# --- the derivations ---

def node_seed(public_key: bytes) -> bytes:
    return keccak256(b"ail2:race:node" + public_key)


def input_seed(race: bytes, node: bytes, nonce: int) -> bytes:
    return keccak256(b"ail2:race:input" + race + node + struct.pack("<Q", nonce))


def tensor_values(race: bytes, index: int, fan_in: int, count: int):
    stream = Stream(keccak256(b"ail2:race:tensor" + race + struct.pack("<I", index)))
    scale = 1.0 if fan_in == 0 else f32(1.0 / f32(f32(float(fan_in)) ** 0.5))
    return [f32(stream.normal() * scale) for _ in range(count)]


def target_vector(race: bytes, d: int):
    stream = Stream(keccak256(b"ail2:race:target" + race))
    draws = [stream.normal() for _ in range(d)]
    squares = 0.0
    for x in draws:
        squares += x * x
    if squares == 0.0:
        return draws
    scale = math.sqrt(d / squares)
    return [f32(x * scale) for x in draws]


def input_tokens(seed: bytes, vocab: int, seq_len: int):
    stream = Stream(keccak256(b"ail2:race:tokens" + seed))
    return [stream.below(vocab) for _ in range(seq_len)]


def permutation(seed: bytes, d: int):
    stream = Stream(keccak256(b"ail2:race:permutation" + seed))
    out = list(range(d))
    for i in range(d - 1, 0, -1):
        j = stream.below(i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def seed_commitment(race: int, committer: bytes, secret: bytes) -> bytes:
    return keccak256(b"ail2:race:commit" + struct.pack("<I", race) + committer + secret)


def race_seed(race: int, randomness: bytes, secrets) -> bytes:
    return keccak256(b"ail2:race:seed" + struct.pack("<I", race) + randomness + b"".join(secrets))


def sample_seed(race: int, seed: bytes, randomness: bytes) -> bytes:
    return keccak256(b"ail2:race:sample-seed" + struct.pack("<I", race) + seed + randomness)


def sample(sample_seed: bytes, participant: bytes, submitted: int, k: int):
    positions = list(range(submitted))
    if submitted <= k:
        return positions
    stream = Stream(keccak256(b"ail2:race:sample" + sample_seed + participant))
    for i in range(k):
        j = i + stream.below(submitted - i)
        positions[i], positions[j] = positions[j], positions[i]
    return sorted(positions[:k])


# --- work commitments (every nonce counts) ---

def f16_bits(x):
    """IEEE binary16 bits of x, rounded to nearest even (Python's struct 'e' format); values
    too large for binary16 round to infinity."""
    try:
        return struct.unpack("<H", struct.pack("<e", x))[0]
    except OverflowError:
        return 0xFC00 if x < 0 else 0x7C00


def artifact(output, perm, k):
    return [f16_bits(output[p]) for p in perm[:k]]


def artifact_bytes(art):
    return b"".join(struct.pack("<H", h) for h in art)


def work_leaf(nonce, art):
    return (keccak256(b"ail2:race:leaf" + struct.pack("<Q", nonce) + artifact_bytes(art)), 1)


def node(left, right):
    data = b"\x01" + left[0] + left[1].to_bytes(16, "little") + right[0] + right[1].to_bytes(16, "little")
    return (keccak256(data), left[1] + right[1])


def tree_root(leaves):
    """The Merkle-sum root, level by level, an odd level's last node carried up."""
    level = list(leaves)
    while len(level) > 1:
        level = [node(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
    return level[0]


def leaf_sample(sample_seed, participant, validator, count, s):
    if count <= s:
        return list(range(count))
    stream = Stream(keccak256(b"ail2:race:leaf-sample" + sample_seed + participant + validator))
    moved = {}
    picked = []
    for i in range(s):
        j = i + stream.below_u64(count - i)
        at_j = moved.get(j, j)
        moved[j] = moved.get(i, i)
        picked.append(at_j)
    return sorted(picked)


def f32_from_bits(text):
    return struct.unpack("<f", bytes.fromhex(text)[::-1])[0]


# f32 inputs (bits) for the binary16 rounding vectors: zeros, exact values, the largest
# half and what rounds to it or past it, ties to even in the normal and subnormal ranges,
# the subnormal boundary, infinities and NaN.
F16_INPUTS = [
    "00000000", "80000000", "3f800000", "c0200000", "3dcccccd", "477fe000", "477fefff",
    "477ff000", "4b000000", "3f801000", "3f803000", "3f800fff", "38800000", "387fc000",
    "33800000", "33000000", "33400000", "33c00000", "2f800000", "7f800000", "ff800000",
    "7fc00000",
]


def counting_artifact(nonce):
    return [(nonce * 16 + i) & 0xFFFF for i in range(16)]


def vectors():
    race = keccak256(b"ail2 race vectors")
    public_key = bytes([2]) + bytes(range(1, 33))
    node = node_seed(public_key)
    stream = Stream(bytes(range(32)))
    words = [stream.next_u32() for _ in range(20)]
    uniforms = [f32_bits(stream.uniform()) for _ in range(4)]
    normals = [f32_bits(stream.normal()) for _ in range(4)]
    bounded = [stream.below(b) for b in (1, 2, 3, 7, 1000, 8192, 4294967295)]
    seeds = {str(n): input_seed(race, node, n).hex() for n in (0, 1, 2**40 + 5)}
    seed1 = input_seed(race, node, 1)
    randomness = keccak256(b"randomness")
    secrets = [keccak256(b"secret"), keccak256(b"another secret")]
    below_u64s = Stream(keccak256(b"below_u64"))
    # A synthetic output of 64 coordinates, permuted by nonce 1's permutation.
    output = [f32((i - 30) / 7.3) for i in range(64)]
    art = artifact(output, permutation(seed1, 64), 16)
    # Tensor 7 is layer 0's W_2 of a model with d_model 8 and d_ff 32 (fan-in 32).
    return {
        "race_seed": race.hex(),
        "public_key": public_key.hex(),
        "node_seed": node.hex(),
        "stream_key": bytes(range(32)).hex(),
        "stream_words": words,
        "uniform_f32_bits": uniforms,
        "normal_f32_bits": normals,
        "below": bounded,
        "input_seeds": seeds,
        "tokens_vocab_8192_seq_4": input_tokens(seed1, 8192, 4),
        "permutation_16": permutation(seed1, 16),
        "tensor_0_first_8_bits": [f32_bits(v) for v in tensor_values(race, 0, 0, 8)],
        "tensor_7_fan_in_32_first_8_bits": [f32_bits(v) for v in tensor_values(race, 7, 32, 8)],
        "target_8_bits": [f32_bits(v) for v in target_vector(race, 8)],
        "target_512_every_64th_bits": [f32_bits(v) for v in target_vector(race, 512)[::64]],
        "commitment_race_3": seed_commitment(3, public_key, keccak256(b"secret")).hex(),
        "sample_10_of_1000": sample(race, public_key, 1000, 10),
        "sample_5_of_5": sample(race, public_key, 5, 200),
        "race_seed_race_3": race_seed(3, randomness, secrets).hex(),
        "race_seed_race_3_no_reveals": race_seed(3, randomness, []).hex(),
        "sample_seed_race_3": sample_seed(3, race, randomness).hex(),
        "f16_inputs_f32_bits": F16_INPUTS,
        "f16_bits": [f16_bits(f32_from_bits(b)) for b in F16_INPUTS],
        "below_u64": [below_u64s.below_u64(b) for b in
                      (1, 2, 3, 10**12, 2**63 + 1, 2**64 - 1)],
        "artifact_16_of_64": art,
        "work_leaf_5": work_leaf(5, art)[0].hex(),
        "work_roots": {str(n): tree_root([work_leaf(i, counting_artifact(i)) for i in range(n)])[0].hex()
                       for n in (1, 2, 3, 5, 7, 8, 13)},
        "leaf_sample_8_of_1e9": leaf_sample(race, public_key, bytes([3] * 32), 10**9, 8),
        "leaf_sample_all_of_5": leaf_sample(race, public_key, bytes([3] * 32), 5, 200),
    }


def self_test():
    # RFC 8439 §2.3.2: key 00..1f, counter 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00.
    block = chacha20_block(struct.unpack("<8I", bytes(range(32))), [1, 0x09000000, 0x4A000000, 0])
    assert block[0] == 0xE4E7F110 and block[15] == 0x4E3C50A2, [hex(w) for w in block]
    # keccak-256 of the empty string.
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


if __name__ == "__main__":
    self_test()
    produced = vectors()
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2]) as f:
            expected = json.load(f)
        if expected != produced:
            for key in produced:
                if expected.get(key) != produced[key]:
                    print(f"mismatch in {key}: {expected.get(key)} != {produced[key]}")
            sys.exit(1)
        print("race vectors match")
    else:
        print(json.dumps(produced, indent=1))
