"""Simulations of AIL2's issuance rule (`pallets/issuance/src/impls.rs`), on the schedule of
`issuance.py` (seed `pow2-decentralized-ai`, Appendix E and F). Plain Python, exact integers.

    python3 primitives/reference/issuance_sim.py          # compact tables
    python3 primitives/reference/issuance_sim.py --json   # the same results as JSON

1. A simulated year (and five) at three demand levels of developer fees a day. Each day:
   demand = the subsidy the day's fees earn, minimum = the year's daily minimum,
   issued = min(max(demand, minimum), MINTABLE - minted), minted += issued. All of it is
   taken as minted (every day has accepted work and nothing is forfeited), shared 20 %
   training fund, 10 % validators, 70 % providers, each share rounded down as Perbill does.
2. Self-dealing: a participant S with weight share w of the day's accepted race weight pays
   F of extra fees a day to its own worker, for its own model. It recovers the worker's and
   the model owner's shares of F: at best 0.8 x 0.99 of F (training fund 20 % off the top,
   then worker >= 50 %, treasury >= 1 %, model owner <= 40 %). Its providers' share of the
   day's issuance is paid by weight, not to the serving worker. Its gain a day:
   w x (providers(H + F) - providers(H)) - (F - recovered) - compute, with compute
   kappa x F / (1 - s_b), the market value of the inference proof of inference makes it run.
3. The worked example of docs/tokenomics.md.
"""

import json
import os
import sys
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from issuance import (  # noqa: E402
    BATCH_SIZE,
    COIN,
    DAYS_PER_YEAR,
    MINTABLE,
    daily_minimum,
    share,
    subsidy,
)

# The runtime's shares (runtime/src/configs/issuance.rs), as Perbill mul_floor applies them.
TRAINING = Fraction(20, 100)
VALIDATORS = Fraction(10, 100)
# The model's revenue split bounds (runtime/src/configs/models.rs): the best split for a
# self-dealer who owns both the worker and the model.
MIN_TREASURY = Fraction(1, 100)
MAX_MODEL_OWNER = Fraction(40, 100)

LEVELS = [("low", 1_000), ("medium", 50_000), ("high", 500_000)]  # AIL2 of fees a day
WEIGHTS = ["0.01", "0.02", "0.05", "0.1", "0.2", "0.3", "0.5", "0.7", "0.9", "0.99"]
HONEST = [0, 10_000, 100_000, 1_000_000]  # AIL2 a day
EXTRA = [1_000, 10_000, 100_000, 1_000_000]  # AIL2 a day
KAPPAS = ["0", "0.5", "1"]
# Self-dealing is evaluated at the start of batch 1 (year 1) and of batch 6. Batch 6 is
# taken in year 2: the high-demand run enters it during year 2 (checked below).
POINTS = [(1, 1), (6, 2)]


def floor_share(part, amount):
    return int(part * amount)  # amount >= 0: int() is the floor


def batch_of(minted):
    return None if minted >= MINTABLE else minted // BATCH_SIZE + 1


def day(minted, fees, year):
    """One day of `impls.rs`'s `day_issuance`, in units."""
    demand = sum(m for _, _, m in subsidy(minted, fees))
    minimum = daily_minimum(year)
    issued = min(max(demand, minimum), MINTABLE - minted)
    training = floor_share(TRAINING, issued)
    validators = floor_share(VALIDATORS, issued)
    return {
        "demand": demand,
        "minimum": minimum,
        "issued": issued,
        "training_fund": training,
        "validators": validators,
        "providers": issued - training - validators,
    }


def c(units):
    """Units as whole AIL2, rounded to nearest (for printing)."""
    return int((Fraction(units, COIN) + Fraction(1, 2)) // 1)


def run(fees_per_day, years):
    fees = fees_per_day * COIN
    minted = 0
    out = []
    batch6_year = None
    for year in range(1, years + 1):
        totals = dict.fromkeys(
            ("issued", "via_demand", "via_minimum", "training_fund", "validators", "providers"), 0)
        for _ in range(DAYS_PER_YEAR):
            d = day(minted, fees, year)
            minted += d["issued"]
            via_demand = min(d["demand"], d["issued"])
            totals["issued"] += d["issued"]
            totals["via_demand"] += via_demand
            totals["via_minimum"] += d["issued"] - via_demand
            for k in ("training_fund", "validators", "providers"):
                totals[k] += d[k]
            if batch6_year is None and minted >= 5 * BATCH_SIZE:
                batch6_year = year
        b = batch_of(minted)
        totals.update({
            "year": year,
            "fees": fees * DAYS_PER_YEAR,
            "fees_to_training_fund": floor_share(TRAINING, fees) * DAYS_PER_YEAR,
            "minted_total": minted,
            "batch_at_end": b,
            "share_at_end": None if b is None else float(share(b)),
        })
        out.append(totals)
    return out, batch6_year


def recovered(fees):
    """What the payer gets back of `fees` it pays its own worker for its own model."""
    rest = fees - floor_share(TRAINING, fees)
    return rest - floor_share(MIN_TREASURY, rest)  # worker + model owner (<= 40 %)


def self_dealing():
    rows = []
    for batch, year in POINTS:
        minted = (batch - 1) * BATCH_SIZE
        s = share(batch)
        for h in HONEST:
            base = day(minted, h * COIN, year)
            for f in EXTRA:
                fees = f * COIN
                with_f = day(minted, h * COIN + fees, year)
                extra_providers = with_f["providers"] - base["providers"]
                lost_fees = fees - recovered(fees)
                for kappa in KAPPAS:
                    compute = Fraction(kappa) * fees / (1 - s)
                    cost = lost_fees + compute
                    gains = {}
                    for w in WEIGHTS:
                        gains[w] = float(
                            Fraction(int(Fraction(w) * with_f["providers"])
                                     - int(Fraction(w) * base["providers"])) - cost) / COIN
                    w_sim = None if extra_providers == 0 else float(cost / extra_providers)
                    rows.append({
                        "batch": batch, "year": year, "honest": h, "extra": f, "kappa": kappa,
                        "honest_above_minimum": base["demand"] >= base["minimum"],
                        "extra_providers": extra_providers / COIN,
                        "lost_fees": lost_fees / COIN,
                        "compute": float(compute) / COIN,
                        "gain": gains,
                        "break_even_w": w_sim,
                    })
    return rows


def analytic_w(batch, kappa):
    """w* where gain / F = 0.7 w s / (1 - s) - 0.208 - kappa / (1 - s) is zero."""
    s = share(batch)
    lost = 1 - (1 - TRAINING) * (1 - MIN_TREASURY)  # 0.208
    providers = 1 - TRAINING - VALIDATORS  # 0.7
    return (lost * (1 - s) + Fraction(kappa)) / (providers * s)


def worked_example():
    """A year-1 day in batch 1 with 10,000 AIL2 of fees; a miner with 5 % of the day's
    weight served 2,000 AIL2 of them at worker 60 / model owner 20 / treasury 15 /
    ecosystem 5. And the same day with 100,000 AIL2 of fees."""
    out = {}
    for fees in (10_000, 100_000):
        d = day(0, fees * COIN, 1)
        served = 2_000 * COIN
        rest = served - floor_share(TRAINING, served)
        owner = floor_share(Fraction(20, 100), rest)
        treasury = floor_share(Fraction(15, 100), rest)
        ecosystem = floor_share(Fraction(5, 100), rest)
        worker = rest - owner - treasury - ecosystem
        reward = floor_share(Fraction(5, 100), d["providers"])
        out[str(fees)] = {
            "fees": fees, "demand": d["demand"], "minimum": d["minimum"],
            "issued": d["issued"], "training_fund": d["training_fund"],
            "validators": d["validators"], "providers": d["providers"],
            "training_cut_of_served": served - rest, "worker_fee_income": worker,
            "model_owner": owner, "treasury": treasury, "ecosystem": ecosystem,
            "subsidy_reward": reward, "total": worker + reward,
        }
    return out


def results():
    years = {}
    batch6_year = None
    for name, fees in LEVELS:
        runs, b6 = run(fees, 5)
        years[name] = {"fees_per_day": fees, "years": runs}
        if name == "high":
            batch6_year = b6
    assert batch6_year == POINTS[1][1], batch6_year
    rows = self_dealing()
    w_star = {f"batch {b}": {k: float(analytic_w(b, k)) for k in KAPPAS} for b, _ in POINTS}
    # The fees a day whose subsidy alone reaches the day's minimum, in AIL2.
    threshold = {f"batch {b}": float(Fraction(daily_minimum(y)) * (1 - share(b)) / share(b) / COIN)
                 for b, y in POINTS}
    # The simulation agrees with the closed form wherever honest demand alone is above the
    # day's minimum (then the whole extra subsidy is extra issuance).
    for r in rows:
        if r["honest_above_minimum"]:
            expected = analytic_w(r["batch"], r["kappa"])
            assert abs(r["break_even_w"] - float(expected)) < 1e-6, r
        else:
            assert r["break_even_w"] is None or \
                r["break_even_w"] >= float(analytic_w(r["batch"], r["kappa"])) - 1e-9, r
        # Below the minimum self-dealing earns no issuance: a pure loss at any weight.
        if r["extra_providers"] == 0:
            assert all(g < 0 for g in r["gain"].values()), r
    return {"units": "levels and worked_example: 10^-12 AIL2 (integers); self_dealing: AIL2",
            "levels": years, "self_dealing": rows, "w_star": w_star,
            "fees_reaching_minimum": threshold,
            "worked_example": worked_example()}


def exact(units):
    """Units as AIL2 with all 12 decimals."""
    return f"{units // COIN:,}.{units % COIN:012d}"


def fmt_w(w):
    if w is None:
        return "  never"
    return f"{w:7.3f}" if w <= 1 else "  never"


def show(res):
    print("1. A year at three demand levels (AIL2; all issuance minted, work every day)")
    print(f"   daily minimum: year 1 {c(daily_minimum(1)):,}, year 2 {c(daily_minimum(2)):,},"
          f" year 3 {c(daily_minimum(3)):,}")
    for name, level in res["levels"].items():
        y = level["years"][0]
        share_end = "-" if y["share_at_end"] is None else f"{y['share_at_end'] * 100:.2f}%"
        print(f"   {name} ({level['fees_per_day']:,} a day): minted {c(y['issued']):,}"
              f" = demand {c(y['via_demand']):,} + minimum top-up {c(y['via_minimum']):,};"
              f" year end batch {y['batch_at_end']}, share {share_end}")
        print(f"      training fund {c(y['training_fund']):,}, validators {c(y['validators']):,},"
              f" providers {c(y['providers']):,}; the fund also gets"
              f" {c(y['fees_to_training_fund']):,} of the fees")
    print("   five years, minted per year (batch at year end):")
    for name, level in res["levels"].items():
        cells = "  ".join(f"{c(y['issued']):>11,} ({y['batch_at_end']})" for y in level["years"])
        print(f"   {name:>6}  {cells}")
    for name, level in res["levels"].items():
        print(f"   {name:>6}  total after 5 years {c(level['years'][-1]['minted_total']):,}")

    print()
    print("2. Self-dealing: S's gain a day (AIL2), kappa = 0 (compute free)")
    print("   H honest fees a day, F self-dealt fees a day; columns: S's weight share w")
    for batch, year in POINTS:
        print(f"   batch {batch} (share {float(share(batch)) * 100:.2f}%, year {year},"
              f" minimum {c(daily_minimum(year)):,})")
        print("   " + f"{'H':>9} {'F':>9} " + " ".join(f"{w:>9}" for w in WEIGHTS))
        for r in res["self_dealing"]:
            if r["batch"] == batch and r["kappa"] == "0":
                print("   " + f"{r['honest']:>9,} {r['extra']:>9,} "
                      + " ".join(f"{round(r['gain'][w]):>9,}" for w in WEIGHTS))
    print()
    print("   break-even weight share (simulated; 'never' above 1)")
    print("   " + f"{'H':>9} {'F':>9} " + " ".join(
        f"{f'b{b} k={k}':>8}" for b, _ in POINTS for k in KAPPAS))
    for h in HONEST:
        for f in EXTRA:
            cells = []
            for batch, _ in POINTS:
                for k in KAPPAS:
                    r = next(r for r in res["self_dealing"] if r["batch"] == batch
                             and r["honest"] == h and r["extra"] == f and r["kappa"] == k)
                    cells.append(f"{fmt_w(r['break_even_w']):>8}")
            print("   " + f"{h:>9,} {f:>9,} " + " ".join(cells))
    print("   w* = (0.208 (1 - s) + kappa) / (0.7 s), days where demand exceeds the minimum:")
    for label, ws in res["w_star"].items():
        print(f"   {label}: " + ", ".join(f"kappa {k}: {w:.4f}" for k, w in ws.items())
              + f"; demand exceeds the minimum above {res['fees_reaching_minimum'][label]:,.0f}"
              " of fees a day")

    print()
    print("3. Worked example (year 1, batch 1; miner: 5 % of the weight, served 2,000 AIL2"
          " at 60/20/15/5)")
    for ex in res["worked_example"].values():
        print(f"   fees {ex['fees']:,}: demand {exact(ex['demand'])}, issued {exact(ex['issued'])}:"
              f" training fund {exact(ex['training_fund'])}, validators {exact(ex['validators'])},"
              f" providers {exact(ex['providers'])}")
        print(f"      served 2,000: training fund {exact(ex['training_cut_of_served'])}, model owner"
              f" {exact(ex['model_owner'])}, treasury {exact(ex['treasury'])}, ecosystem"
              f" {exact(ex['ecosystem'])}; miner: fees {exact(ex['worker_fee_income'])}"
              f" + subsidy {exact(ex['subsidy_reward'])} = {exact(ex['total'])}")


def main():
    res = results()
    if "--json" in sys.argv[1:]:
        print(json.dumps(res, indent=1))
    else:
        show(res)


if __name__ == "__main__":
    main()
