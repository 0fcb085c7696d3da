"""An independent implementation of the issuance schedule of `primitives/src/issuance.rs`
(seed `pow2-decentralized-ai`, Appendix E and F), in plain Python with exact fractions.

    python3 primitives/reference/issuance.py            # prints the test vectors as JSON
    python3 primitives/reference/issuance.py --check F  # compares with F, exits 1 on a mismatch
    python3 primitives/reference/issuance.py --table    # prints Appendix F's table

`primitives/tests/issuance_vectors.json` was written by this script. The Rust tests compare
against it, so both implementations must agree to the unit (10^-12 AIL2).

Here the subsidy share of batch b is the fraction 0.9 * 0.8^(b-1), and a mint is
fees * s / (1 - s) rounded down. The Rust side uses a closed form of the same number
instead.
"""

import json
import random
import sys
from fractions import Fraction

COIN = 10**12
TOTAL_SUPPLY = 1_000_000_000 * COIN
BATCHES = 12
BATCH_SIZE = 50_000_000 * COIN
MINTABLE = BATCHES * BATCH_SIZE
DAYS_PER_YEAR = 365

# The seed's Appendix F, as printed: share in %, fees paid by developers, total paid to
# hardware providers (coins).
APPENDIX_F = [
    ("90.00%", 5_555_556, 55_555_556),
    ("72.00%", 19_444_444, 69_444_444),
    ("57.60%", 36_805_556, 86_805_556),
    ("46.08%", 58_506_944, 108_506_944),
    ("36.86%", 85_633_681, 135_633_681),
    ("29.49%", 119_542_101, 169_542_101),
    ("23.59%", 161_927_626, 211_927_626),
    ("18.87%", 214_909_532, 264_909_532),
    ("15.10%", 281_136_915, 331_136_915),
    ("12.08%", 363_921_144, 413_921_144),
    ("9.66%", 467_401_430, 517_401_430),
    ("7.73%", 596_751_788, 646_751_788),
]
# The seed's daily figures for years 1 to 3 (coins).
DAILY = [136_986, 68_493, 34_247]


def share(batch):
    """The subsidy share of a batch (1..12): a 1/5-life reduction from 90 %."""
    return Fraction(9, 10) * Fraction(4, 5) ** (batch - 1)


def round_half_up(value):
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def coins(units):
    return round_half_up(Fraction(units, COIN))


def fees_to_fill(batch):
    s = share(batch)
    return round_half_up(BATCH_SIZE * (1 - s) / s)


def subsidy(minted, fees):
    """[(batch, fees, minted)] for `fees` after `minted` units."""
    parts = []
    while fees > 0 and minted < MINTABLE:
        batch = minted // BATCH_SIZE + 1
        s = share(batch)
        rate = s / (1 - s)
        room = batch * BATCH_SIZE - minted
        mint = int(fees * rate)  # floor: the values are positive
        if mint < room:
            parts.append((batch, fees, mint))
            break
        filling = min(fees, -(-room * (1 - s) // s))  # the least fee minting the room: ceil
        filling = int(filling)
        parts.append((batch, filling, room))
        minted += room
        fees -= filling
    return parts


def daily_minimum(year):
    return (TOTAL_SUPPLY // 20 >> (year - 1)) // DAYS_PER_YEAR


def vectors():
    rng = random.Random(20261204)
    table = []
    for batch in range(1, BATCHES + 1):
        s = share(batch)
        table.append({
            "batch": batch,
            "share_numerator": s.numerator,
            "share_denominator": s.denominator,
            "fees_to_fill": str(fees_to_fill(batch)),
        })
    daily = [{"year": y, "units": str(daily_minimum(y))} for y in range(1, 41)]
    mints = []
    # Boundaries: just below, at and past each batch's end, small and huge fees.
    cases = [(0, COIN), (0, 1), (BATCH_SIZE - 10 * COIN, 2 * COIN), (MINTABLE - 5, TOTAL_SUPPLY),
             (0, fees_to_fill(1) + fees_to_fill(2) + 5), (0, TOTAL_SUPPLY * 10)]
    for batch in range(1, BATCHES + 1):
        end = batch * BATCH_SIZE
        cases.append((end - 1, 10 * COIN))
        cases.append((end - rng.randrange(1, 10**6 * COIN), rng.randrange(1, 10**7 * COIN)))
    for _ in range(40):
        cases.append((rng.randrange(0, MINTABLE), rng.randrange(0, 10**8 * COIN)))
    for minted, fees in cases:
        mints.append({
            "minted": str(minted),
            "fees": str(fees),
            "parts": [[b, str(f), str(m)] for b, f, m in subsidy(minted, fees)],
        })
    # A fee stream from nothing to the cap: the running total after each settlement.
    stream = []
    minted = 0
    for _ in range(60):
        fees = rng.randrange(1, 200_000_000) * COIN
        minted += sum(m for _, _, m in subsidy(minted, fees))
        stream.append([str(fees), str(minted)])
    return {"table": table, "daily_minimum": daily, "mints": mints, "stream": stream}


def check_seed_tables():
    """The seed's printed figures, reproduced from the schedule."""
    for batch, (percent, fees, total) in enumerate(APPENDIX_F, start=1):
        s = share(batch)
        assert f"{float(s * 100):.2f}%" == percent, (batch, percent)
        assert coins(fees_to_fill(batch)) == fees, (batch, fees)
        assert coins(fees_to_fill(batch) + BATCH_SIZE) == total, (batch, total)
    for year, expected in enumerate(DAILY, start=1):
        assert coins(daily_minimum(year)) == expected, (year, expected)


def main():
    check_seed_tables()
    if len(sys.argv) == 2 and sys.argv[1] == "--table":
        for batch, (percent, _, _) in enumerate(APPENDIX_F, start=1):
            print(f"{batch:2}  50,000,000  {percent:>7}  {coins(fees_to_fill(batch)):>12,}"
                  f"  {coins(fees_to_fill(batch) + BATCH_SIZE):>12,}")
        for year in range(1, 4):
            print(f"year {year}: {coins(daily_minimum(year)):,} a day")
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2]) as f:
            expected = json.load(f)
        if expected != vectors():
            print("issuance vectors differ from the reference", file=sys.stderr)
            sys.exit(1)
        print("issuance vectors: Appendix F, daily minima and mints reproduced")
        return
    print(json.dumps(vectors(), indent=1))


if __name__ == "__main__":
    main()
