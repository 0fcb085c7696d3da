"""An independent implementation of AIL2's receipt wire format (docs/receipts.md), in plain
Python with no third-party packages: SCALE encodings of receipts, authorisations, pricing
policies, signed receipts, leaf files and inclusion proofs; the billing function; secp256k1
signing (RFC 6979 nonces, low s) and public-key recovery as the chain performs it (canonical signatures only);
Merkle-sum leaves, nodes, trees, inclusion proofs and inconsistent-node evidence; and the
challenge window.

    python3 primitives/reference/receipts.py --check primitives/tests/receipt_vectors.json

reads the inputs of every vector (keys, receipt fields, policies, signatures, tree shapes,
window parameters) from the file, recomputes every output from them and exits 1 on the first
run with a mismatch, listing each one. `primitives/tests/receipts.rs` writes the file from
the Rust code; both implementations must agree. keccak-256 is the one of race.py, the other
independent reference beside this file.
"""

import hashlib
import hmac
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from race import keccak256  # noqa: E402

U32_MAX = 2**32 - 1
U128_MAX = 2**128 - 1
LEAF_TAG = b"\x00"
NODE_TAG = b"\x01"
MAX_DEPTH = 64
KEY_PROOF_TAG = b"ail2:receipt:key-proof"

# --- SCALE ---


def uint(value, width):
    """A fixed-width unsigned integer, little-endian."""
    return int(value).to_bytes(width, "little")


def compact(value):
    """SCALE's compact integer."""
    if value < 1 << 6:
        return bytes([value << 2])
    if value < 1 << 14:
        return uint(value << 2 | 1, 2)
    if value < 1 << 30:
        return uint(value << 2 | 2, 4)
    body = value.to_bytes((value.bit_length() + 7) // 8, "little")
    return bytes([(len(body) - 4) << 2 | 3]) + body


class Reader:
    """Reads SCALE values off the front of a byte string."""

    def __init__(self, data):
        self.data = data
        self.offset = 0

    def take(self, n):
        if self.offset + n > len(self.data):
            raise ValueError("input too short")
        chunk = self.data[self.offset:self.offset + n]
        self.offset += n
        return chunk

    def uint(self, width):
        return int.from_bytes(self.take(width), "little")

    def compact(self):
        first = self.data[self.offset]
        mode = first & 3
        if mode == 0:
            return self.uint(1) >> 2
        if mode == 1:
            return self.uint(2) >> 2
        if mode == 2:
            return self.uint(4) >> 2
        self.take(1)
        return self.uint((first >> 2) + 4)

    def done(self):
        return self.offset == len(self.data)


def hexb(text):
    return bytes.fromhex(text)


# Field order and encoding of each record: (name, kind) with kind a byte width for
# little-endian integers, "b<n>" for n raw bytes, or "version" for three u16.
RECEIPT = [
    ("project_id", 4), ("model_id", 4), ("version", "version"), ("timestamp_ms", 8),
    ("tokens_in", 4), ("tokens_out", 4), ("gpu_ms", 8), ("bytes_in", 8), ("bytes_out", 8),
    ("price", 16), ("chain_id", 4), ("route_id", "b32"), ("counter", 8),
    ("node_pubkey", "b33"), ("payer", "b32"), ("policy_hash", "b32"), ("max_price", 16),
    ("expires_at_ms", 8), ("transcript", "b32"),
]
AUTHORISATION = [
    ("payer", "b32"), ("node_pubkey", "b33"), ("project_id", 4), ("model_id", 4),
    ("version", "version"), ("chain_id", 4), ("route_id", "b32"), ("counter", 8),
    ("max_price", 16), ("expires_at_ms", 8),
]
MODES = ["Token", "Time", "Hybrid"]
POLICY = ["token_base", "per_1k_input_tokens", "per_1k_output_tokens", "time_base",
          "per_gpu_second", "min_fee", "max_fee"]


def encode_record(layout, fields):
    out = b""
    for name, kind in layout:
        value = fields[name]
        if kind == "version":
            out += uint(value["major"], 2) + uint(value["minor"], 2) + uint(value["patch"], 2)
        elif isinstance(kind, str):
            raw = hexb(value)
            assert len(raw) == int(kind[1:]), (name, len(raw))
            out += raw
        else:
            out += uint(int(value), kind)
    return out


def decode_record(layout, reader):
    """The record's fields as the vectors write them (u128 as decimal strings)."""
    fields = {}
    for name, kind in layout:
        if kind == "version":
            fields[name] = {"major": reader.uint(2), "minor": reader.uint(2), "patch": reader.uint(2)}
        elif isinstance(kind, str):
            fields[name] = reader.take(int(kind[1:])).hex()
        elif kind == 16:
            fields[name] = str(reader.uint(16))
        else:
            fields[name] = reader.uint(kind)
    return fields


def authorisation_of(receipt):
    """The terms a receipt repeats, as the gateway signed them."""
    return {name: receipt[name] for name, _ in AUTHORISATION}


def receipt_id(receipt):
    return keccak256(hexb(receipt["route_id"]) + hexb(receipt["node_pubkey"])
                     + uint(receipt["counter"], 8) + uint(receipt["timestamp_ms"], 8))


def within_authorised_terms(receipt):
    return (int(receipt["price"]) <= int(receipt["max_price"])
            and receipt["timestamp_ms"] <= receipt["expires_at_ms"])


FINISH = ["Stop", "Length"]


def encode_transcript(t):
    """SCALE of a proof-of-inference transcript (docs/verification.md)."""
    v = t["version"]
    out = uint(t["model_id"], 4) + uint(v["major"], 2) + uint(v["minor"], 2) + uint(v["patch"], 2)
    out += compact(len(t["prompt"])) + b"".join(uint(x, 4) for x in t["prompt"])
    out += uint(t["max_tokens"], 4)
    s = t["sampling"]
    out += uint(s["temperature_bits"], 4) + uint(s["top_p_bits"], 4) + uint(s["seed"], 8)
    out += compact(len(t["output"])) + b"".join(uint(x, 4) for x in t["output"])
    out += compact(len(t["logprobs"])) + b"".join(uint(x & 0xFFFFFFFF, 4) for x in t["logprobs"])
    return out + bytes([FINISH.index(t["finish"])])


def transcript_hash(t):
    return keccak256(b"ail2:poi:transcript" + encode_transcript(t))


def well_formed(t):
    return (len(t["output"]) == len(t["logprobs"]) and all(lp <= 0 for lp in t["logprobs"])
            and len(t["output"]) <= t["max_tokens"])


def divergence(signed, replayed):
    """Largest and mean (rounded down) absolute gap, in micro-nats; None if lengths differ."""
    if len(signed) != len(replayed):
        return None
    gaps = [abs(a - b) for a, b in zip(signed, replayed)]
    return {"max": max(gaps, default=0), "mean": sum(gaps) // len(gaps) if gaps else 0}


def decode_signed_receipt(reader):
    receipt = decode_record(RECEIPT, reader)
    return receipt, reader.take(65), reader.take(65)


def decode_leaf_file(data):
    reader = Reader(data)
    count = reader.compact()
    signed = [decode_signed_receipt(reader) for _ in range(count)]
    if not reader.done():
        raise ValueError("trailing bytes after the leaf file's receipts")
    return signed


# --- Billing ---


def sat_add(a, b):
    return min(a + b, U128_MAX)


def sat_mul(a, b):
    return min(a * b, U128_MAX)


def encode_policy(policy):
    return bytes([MODES.index(policy["mode"])]) + b"".join(uint(int(policy[f]), 16) for f in POLICY)


def receipt_price(policy, tokens_in, tokens_out, gpu_ms):
    p = {f: int(policy[f]) for f in POLICY}
    variable = sat_add(sat_mul(p["per_1k_input_tokens"], tokens_in),
                       sat_mul(p["per_1k_output_tokens"], tokens_out))
    token = sat_add(p["token_base"], variable // 1000)
    time = sat_add(p["time_base"], sat_mul(p["per_gpu_second"], gpu_ms) // 1000)
    raw = {"Token": token, "Time": time, "Hybrid": max(token, time)}[policy["mode"]]
    return min(max(raw, p["min_fee"]), p["max_fee"])


# --- secp256k1 ---

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def point_add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0]:
        if (a[1] + b[1]) % P == 0:
            return None
        slope = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        slope = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (slope * slope - a[0] - b[0]) % P
    return x, (slope * (a[0] - x) - a[1]) % P


def point_mul(k, point):
    result = None
    while k:
        if k & 1:
            result = point_add(result, point)
        point = point_add(point, point)
        k >>= 1
    return result


def compress(point):
    return bytes([2 + (point[1] & 1)]) + point[0].to_bytes(32, "big")


def lift_x(x, odd):
    """The curve point with this x and y parity, if there is one."""
    y_squared = (pow(x, 3, P) + 7) % P
    y = pow(y_squared, (P + 1) // 4, P)
    if y * y % P != y_squared:
        return None
    return x, y if y & 1 == odd else P - y


def public_key(secret):
    return compress(point_mul(int.from_bytes(secret, "big"), G))


def rfc6979_nonces(secret, message):
    """libsecp256k1's RFC 6979 HMAC-SHA256 nonces: key data `secret ‖ (message mod n)`."""
    data = secret + (int.from_bytes(message, "big") % N).to_bytes(32, "big")
    k, v = b"\x00" * 32, b"\x01" * 32
    mac = lambda key, msg: hmac.new(key, msg, hashlib.sha256).digest()  # noqa: E731
    k = mac(k, v + b"\x00" + data)
    v = mac(k, v)
    k = mac(k, v + b"\x01" + data)
    v = mac(k, v)
    while True:
        v = mac(k, v)
        yield int.from_bytes(v, "big")
        k = mac(k, v + b"\x00")
        v = mac(k, v)


def sign(secret, message):
    """The 65-byte `r ‖ s ‖ v` signature the worker and the gateway produce."""
    d = int.from_bytes(secret, "big")
    e = int.from_bytes(message, "big") % N
    for k in rfc6979_nonces(secret, message):
        if not 0 < k < N:
            continue
        point = point_mul(k, G)
        r = point[0] % N
        recovery_id = (point[1] & 1) | (2 if point[0] >= N else 0)
        s = pow(k, -1, N) * (e + r * d) % N
        if r == 0 or s == 0:
            continue
        if s > N // 2:
            s, recovery_id = N - s, recovery_id ^ 1
        return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([recovery_id])


def recover(message, signature):
    """The compressed key the chain's `receipt::recover` returns, or None where it fails.
    Only the canonical form is accepted: v is the recovery id 0 or 1 (no 27/28 aliases, no
    2/3) and s <= n/2; then `sp_io::crypto::secp256k1_ecdsa_recover_compressed`'s rules."""
    if signature[64] > 1 or not s_is_low(signature):
        return None
    return recover_libsecp256k1(message, signature)


def recover_libsecp256k1(message, signature):
    """What libsecp256k1's recovery alone (the host function, without the canonical check)
    returns: v of 27..30 means 0..3; any r, s in [1, n), high s included."""
    v = signature[64]
    recovery_id = v - 27 if v > 26 else v
    if recovery_id > 3:
        return None
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    if not (0 < r < N and 0 < s < N):
        return None
    x = r
    if recovery_id & 2:
        if r >= P - N:
            return None
        x = r + N
    point = lift_x(x, recovery_id & 1)
    if point is None:
        return None
    e = int.from_bytes(message, "big") % N
    r_inverse = pow(r, -1, N)
    q = point_add(point_mul(s * r_inverse % N, point), point_mul((-e * r_inverse) % N, G))
    return None if q is None else compress(q)


def s_is_low(signature):
    return int.from_bytes(signature[32:64], "big") <= N // 2


# --- Merkle-sum trees ---


def node(hash_, sum_):
    return {"hash": hash_.hex(), "sum": str(sum_)}


def unnode(n):
    return hexb(n["hash"]), int(n["sum"])


def leaf(signed_bytes, price):
    return keccak256(LEAF_TAG + signed_bytes), price


def node_preimage(left, right):
    return NODE_TAG + left[0] + uint(left[1], 16) + right[0] + uint(right[1], 16)


def parent(left, right):
    """The honest parent, or None if the sum leaves u128."""
    total = left[1] + right[1]
    if total > U128_MAX:
        return None
    return keccak256(node_preimage(left, right)), total


def level_width(leaves, level):
    width = leaves
    for _ in range(min(level, MAX_DEPTH)):
        width = (width + 1) // 2
    return width


def height(leaves):
    levels, width = 0, leaves
    while width > 1 and levels < MAX_DEPTH:
        width, levels = (width + 1) // 2, levels + 1
    return levels


class ProofError(Exception):
    pass


def climb(current, level, index, leaves, siblings):
    """From the node at (level, index) to the root: a left sibling when the index is odd, a
    right one when it is even and not the last of its level, none (carried up) otherwise."""
    width = level_width(leaves, level)
    if index >= width:
        raise ProofError("OutOfRange")
    siblings = list(siblings)
    steps = 0
    while width > 1 and steps < MAX_DEPTH:
        if index % 2 == 1:
            if not siblings:
                raise ProofError("WrongLength")
            current = parent(siblings.pop(0), current)
        elif index + 1 < width:
            if not siblings:
                raise ProofError("WrongLength")
            current = parent(current, siblings.pop(0))
        if current is None:
            raise ProofError("Overflow")
        index //= 2
        width = (width + 1) // 2
        steps += 1
    if siblings:
        raise ProofError("WrongLength")
    return current


def verify_inclusion(root, leaves, index, leaf_node, siblings):
    """None when the proof holds, else the name of the failure."""
    try:
        if climb(leaf_node, 0, index, leaves, siblings) != root:
            raise ProofError("RootMismatch")
    except ProofError as e:
        return str(e)
    return None


def verify_inconsistent_node(root, leaves, level, index, left, right, claimed, siblings):
    try:
        if level == 0 or level > height(leaves):
            raise ProofError("NotAnInnerNode")
        if 2 * index + 1 >= 2**64:
            raise ProofError("OutOfRange")
        if 2 * index + 1 >= level_width(leaves, level - 1):
            raise ProofError("NotAnInnerNode")
        if left[1] + right[1] == claimed:
            raise ProofError("Consistent")
        reached = climb((keccak256(node_preimage(left, right)), claimed), level, index, leaves,
                        siblings)
        if reached[0] != root[0]:
            raise ProofError("RootMismatch")
        if level == height(leaves) and claimed != root[1]:
            raise ProofError("RootMismatch")
    except ProofError as e:
        return str(e)
    return None


def build_levels(leaves):
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = []
        for i in range(0, len(below), 2):
            if i + 1 < len(below):
                pair = parent(below[i], below[i + 1])
                if pair is None:
                    raise ValueError("the total leaves u128")
                above.append(pair)
            else:
                above.append(below[i])
        levels.append(above)
    return levels


def proof_siblings(levels, index):
    siblings = []
    for nodes in levels:
        if len(nodes) <= 1:
            break
        if index % 2 == 1:
            siblings.append(nodes[index - 1])
        elif index + 1 < len(nodes):
            siblings.append(nodes[index + 1])
        index //= 2
    return siblings


def encode_proof(index, siblings):
    return uint(index, 8) + compact(len(siblings)) + b"".join(h + uint(s, 16) for h, s in siblings)


def decode_proof(data):
    reader = Reader(data)
    index = reader.uint(8)
    siblings = [(reader.take(32), reader.uint(16)) for _ in range(reader.compact())]
    if not reader.done():
        raise ValueError("trailing bytes after the proof")
    return index, siblings


# --- Challenge window ---


def additional_blocks(count, total, receipts_per_extra_block, value_per_extra_block):
    by_count = count // receipts_per_extra_block if receipts_per_extra_block else 0
    by_value = total // value_per_extra_block if value_per_extra_block else 0
    return min(by_count + by_value, U128_MAX)


def window(base, max_extra, additional, block_max=U32_MAX):
    return min(base + min(min(additional, block_max), max_extra), block_max)


# --- The check ---


def shorten(value):
    text = repr(value)
    return text if len(text) <= 100 else text[:97] + "..."


class Check:
    def __init__(self):
        self.count = 0
        self.mismatches = []

    def equal(self, what, expected, got):
        self.count += 1
        if expected != got:
            self.mismatches.append(
                f"{what}: the file has {shorten(expected)}, this computes {shorten(got)}")


def check_signatures(c, label, cases, signer):
    message = hexb(cases["message"])
    for case in cases["cases"]:
        signature = hexb(case["signature"])
        key = recover(message, signature)
        what = f"{label} {case['name']!r}"
        c.equal(f"{what} recovers", case["recovers"], key.hex() if key else None)
        alone = recover_libsecp256k1(message, signature)
        c.equal(f"{what} libsecp256k1_recovers", case["libsecp256k1_recovers"],
                alone.hex() if alone else None)
        c.equal(f"{what} s_is_low", case["s_is_low"], s_is_low(signature))
    c.equal(f"{label}: the signature as signed recovers its signer",
            cases["cases"][0]["recovers"], signer.hex())


def check(vectors):
    c = Check()
    keys = {name: hexb(k["secret"]) for name, k in vectors["keys"].items()}
    for name, k in vectors["keys"].items():
        c.equal(f"{name} public key", k["public"], public_key(keys[name]).hex())
    worker_public, gateway_public = public_key(keys["worker"]), public_key(keys["gateway"])

    policies = {}
    for p in vectors["policies"]:
        policies[p["name"]] = p["policy"]
        scale = encode_policy(p["policy"])
        c.equal(f"policy {p['name']} scale", p["scale"], scale.hex())
        c.equal(f"policy {p['name']} hash", p["hash"], keccak256(scale).hex())
        for u in p["prices"]:
            price = receipt_price(p["policy"], u["tokens_in"], u["tokens_out"], u["gpu_ms"])
            c.equal(f"policy {p['name']} price of {u}", u["price"], str(price))
    tree_policy = policies[vectors["tree_policy"]]

    signed_by_position = []
    for item in vectors["receipts"]:
        what = item["name"]
        r = item["receipt"]
        scale = encode_record(RECEIPT, r)
        c.equal(f"{what} scale", item["scale"], scale.hex())
        c.equal(f"{what} decodes", r, decode_record(RECEIPT, Reader(hexb(item["scale"]))))
        message = keccak256(scale)
        c.equal(f"{what} message", item["message"], message.hex())
        c.equal(f"{what} id", item["id"], receipt_id(r).hex())
        c.equal(f"{what} within_authorised_terms", item["within_authorised_terms"],
                within_authorised_terms(r))
        authorisation = authorisation_of(r)
        c.equal(f"{what} authorisation", item["authorisation"], authorisation)
        authorisation_scale = encode_record(AUTHORISATION, authorisation)
        c.equal(f"{what} authorisation scale", item["authorisation_scale"], authorisation_scale.hex())
        authorisation_message = keccak256(authorisation_scale)
        c.equal(f"{what} authorisation message", item["authorisation_message"],
                authorisation_message.hex())
        node_signature = sign(keys["worker"], message)
        gateway_signature = sign(keys["gateway"], authorisation_message)
        c.equal(f"{what} node signature", item["node_signature"], node_signature.hex())
        c.equal(f"{what} gateway signature", item["gateway_signature"], gateway_signature.hex())
        c.equal(f"{what} node signature recovers the receipt key", r["node_pubkey"],
                (recover(message, hexb(item["node_signature"])) or b"").hex())
        c.equal(f"{what} gateway signature recovers the gateway key", gateway_public.hex(),
                (recover(authorisation_message, hexb(item["gateway_signature"])) or b"").hex())
        signed = scale + node_signature + gateway_signature
        c.equal(f"{what} signed scale", item["signed_scale"], signed.hex())
        c.equal(f"{what} leaf", item["leaf"], node(*leaf(signed, int(r["price"]))))
        signed_by_position.append((r, signed))
    c.equal("the receipt key of the receipts", vectors["receipts"][0]["receipt"]["node_pubkey"],
            worker_public.hex())

    check_signatures(c, "node signature", vectors["node_signature_cases"], worker_public)
    check_signatures(c, "gateway signature", vectors["gateway_signature_cases"], gateway_public)

    proof = vectors["key_proof"]
    message = keccak256(KEY_PROOF_TAG + hexb(proof["owner"]) + hexb(proof["hot"]))
    c.equal("key proof message", proof["message"], message.hex())
    c.equal("key proof signature", proof["signature"], sign(keys["worker"], message).hex())
    recovered = recover(message, hexb(proof["signature"]))
    c.equal("key proof recovers", proof["recovers"], recovered.hex() if recovered else None)

    for i, n in enumerate(vectors["nodes"]):
        left, right = unnode(n["left"]), unnode(n["right"])
        c.equal(f"node {i} preimage", n["preimage"], node_preimage(left, right).hex())
        c.equal(f"node {i} hash", n["hash"], keccak256(node_preimage(left, right)).hex())
        up = parent(left, right)
        c.equal(f"node {i} parent", n["parent"], node(*up) if up else None)

    for tree in vectors["trees"]:
        n = tree["leaves"]
        what = f"tree of {n}"
        members = signed_by_position[:n]
        leaf_file = compact(n) + b"".join(signed for _, signed in members)
        c.equal(f"{what} leaf file", tree["leaf_file"], leaf_file.hex())
        c.equal(f"{what} content hash", tree["content_hash"], keccak256(leaf_file).hex())
        decoded = decode_leaf_file(hexb(tree["leaf_file"]))
        c.equal(f"{what} leaf file decodes", [r for r, _ in members], [r for r, _, _ in decoded])
        for r, _ in members:
            usage = (r["tokens_in"], r["tokens_out"], r["gpu_ms"])
            c.equal(f"{what} counter {r['counter']} price", r["price"],
                    str(receipt_price(tree_policy, *usage)))
            c.equal(f"{what} counter {r['counter']} policy hash", r["policy_hash"],
                    keccak256(encode_policy(tree_policy)).hex())
        counters = [r["counter"] for r, _ in members]
        c.equal(f"{what} counters increase", sorted(set(counters)), counters)
        leaves = [leaf(signed, int(r["price"])) for r, signed in members]
        levels = build_levels(leaves)
        c.equal(f"{what} height", tree["height"], height(n))
        c.equal(f"{what} levels", tree["levels"], [[node(*x) for x in level] for level in levels])
        c.equal(f"{what} level widths", [len(level) for level in tree["levels"]],
                [level_width(n, i) for i in range(height(n) + 1)])
        root = levels[-1][0]
        c.equal(f"{what} root", tree["root"], node(*root))
        for p in tree["proofs"]:
            index = p["index"]
            siblings = proof_siblings(levels, index)
            c.equal(f"{what} proof {index} siblings", p["siblings"], [node(*s) for s in siblings])
            c.equal(f"{what} proof {index} scale", p["scale"], encode_proof(index, siblings).hex())
            c.equal(f"{what} proof {index} decodes", (index, siblings), decode_proof(hexb(p["scale"])))
            c.equal(f"{what} proof {index} verifies", None,
                    verify_inclusion(root, n, index, leaves[index], siblings))

    committed = {item["receipt"]["transcript"] for item in vectors["receipts"]}
    section = vectors["transcripts"]
    c.equal("hash of no transcript", section["no_transcript"],
            keccak256(b"ail2:poi:transcript").hex())
    for item in section["transcripts"]:
        t, what = item["transcript"], f"transcript {item['name']!r}"
        c.equal(f"{what} scale", item["scale"], encode_transcript(t).hex())
        c.equal(f"{what} hash", item["hash"], transcript_hash(t).hex())
        c.equal(f"{what} well formed", item["well_formed"], well_formed(t))
        if item["name"] == "tree transcript":
            c.equal(f"{what} is a tree receipt's commitment", True, item["hash"] in committed)
    r = section["payer_request"]
    c.equal("a payer's transcript request message", r["message"], keccak256(
        b"ail2:poi:transcript-request" + hexb(r["node_pubkey"]) + hexb(r["payer"])
        + r["counter"].to_bytes(8, "little") + r["expires_at_ms"].to_bytes(8, "little")).hex())
    r = section["verifier_request"]
    c.equal("a verifier's transcript request message", r["message"], keccak256(
        b"ail2:poi:verifier-request" + hexb(r["node_pubkey"]) + hexb(r["verifier"])
        + r["batch"].to_bytes(8, "little") + r["index"].to_bytes(8, "little")
        + r["expires_at_ms"].to_bytes(8, "little")).hex())
    for case in section["divergences"]:
        c.equal(f"divergence of {case['signed']} and {case['replayed']}", case["divergence"],
                divergence(case["signed"], case["replayed"]))

    for case in vectors["inclusion_checks"]:
        got = verify_inclusion(unnode(case["root"]), case["leaves"], case["index"],
                               unnode(case["leaf"]), [unnode(s) for s in case["siblings"]])
        c.equal(f"inclusion check {case['name']!r}", case["error"], got)

    for case in vectors["inconsistent_nodes"]:
        got = verify_inconsistent_node(
            unnode(case["root"]), case["leaves"], case["level"], case["index"],
            unnode(case["left"]), unnode(case["right"]), int(case["claimed_sum"]),
            [unnode(s) for s in case["siblings"]])
        c.equal(f"inconsistent node {case['name']!r}", case["error"], got)

    for params in vectors["challenge_windows"]:
        rpe, vpe = params["receipts_per_extra_block"], int(params["value_per_extra_block"])
        for case in params["cases"]:
            what = f"window {params['name']!r} count {case['count']} total {case['total']}"
            extra = additional_blocks(case["count"], int(case["total"]), rpe, vpe)
            blocks = window(params["base"], params["max_extra"], extra)
            c.equal(f"{what} additional", case["additional_blocks"], str(extra))
            c.equal(f"{what} window", case["window"], blocks)
            c.equal(f"{what} last challenge block", case["challenge_until"],
                    params["proposed_at"] + blocks)
            c.equal(f"{what} first settlement block", case["settle_from"],
                    params["proposed_at"] + blocks + 1)
    return c


def self_test():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    # The generator is on the curve, and n·G is the point at infinity.
    assert (G[1] ** 2 - G[0] ** 3 - 7) % P == 0
    assert point_mul(N, G) is None
    for value in (0, 1, 63, 64, 16383, 16384, 2**30 - 1, 2**30, 2**64 - 1):
        assert Reader(compact(value)).compact() == value, value


if __name__ == "__main__":
    self_test()
    if len(sys.argv) != 3 or sys.argv[1] != "--check":
        print(__doc__)
        sys.exit(2)
    with open(sys.argv[2]) as f:
        result = check(json.load(f))
    for line in result.mismatches:
        print(line)
    if result.mismatches:
        print(f"{len(result.mismatches)} of {result.count} receipt vector checks differ")
        sys.exit(1)
    print(f"receipt vectors match ({result.count} checks)")
