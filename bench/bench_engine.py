"""Benchmark: RuleSet.evaluate vs a hand-written function vs the same rules in simpleeval.

Usage: .venv/bin/python bench/bench_engine.py [--offers N] [--repeat R]
Needs the bench extra (simpleeval): .venv/bin/pip install -e '.[bench]'  (`make bench` does it)

All three must agree on every item's fired rules, every item outcome, the offer outcome and the
queue before anything is timed. Times are per item, best of R repeats (time.perf_counter),
with the garbage collector paused during each run, as timeit does.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import gc
import platform
import random
import time
from decimal import Decimal
from pathlib import Path

from donations_app.guidelines import load_rules

try:
    from simpleeval import EvalWithCompoundTypes
except ModuleNotFoundError as missing:
    raise SystemExit(
        "bench_engine.py compares against simpleeval: pip install -e '.[bench]'"
    ) from missing

RULES = Path(__file__).resolve().parents[1] / "rules"
AS_OF = dt.date(2026, 6, 1)
SEVERITY = {"reject": 3, "info": 2, "review": 1, "accept": 0}
BY_RANK = {v: k for k, v in SEVERITY.items()}
COTCCC = frozenset({"C-A-T Gen 7", "SOF Tourniquet Wide", "SAM XT", "TX2", "TX3", "RMT Tactical"})
SBGS = frozenset(
    {
        "body_armor",
        "helmet",
        "night_vision",
        "drone",
        "vehicle",
        "radio",
        "electrical",
        "medical",
        "tourniquet",
    }
)
NPU = frozenset(
    {
        "body_armor",
        "helmet",
        "medical",
        "tourniquet",
        "vehicle",
        "computer",
        "phone",
        "camera",
        "forensic_kit",
        "radio",
        "electrical",
    }
)
NEEDS = {"sbgs": SBGS, "npu": NPU, "any": SBGS | NPU}


def make_offers(count: int, seed: int = 20260601) -> list[dict]:
    """Seeded, realistic offers: 1-40 lines, common categories weighted up."""
    rnd = random.Random(seed)
    ruleset = load_rules(RULES)
    catalog = ruleset.catalog
    weights = {
        "body_armor": 6,
        "helmet": 4,
        "medical": 5,
        "radio": 4,
        "uniform": 3,
        "electrical": 3,
        "tourniquet": 3,
        "vehicle": 1,
    }
    categories = catalog.categories
    offers = []
    for _ in range(count):
        items = []
        for _ in range(rnd.randint(1, 40)):
            category = rnd.choices(categories, [weights.get(c.id, 1) for c in categories])[0]
            line = {
                "category": category.id,
                "description": "x",
                "quantity": rnd.randint(1, 200),
                "condition": rnd.choices(["new", "good", "fair", "poor"], [3, 5, 2, 1])[0],
                "acquired_via": rnd.choices(
                    ["own_funds", "federal_grant", "bvp", "dod_1033", "donated_to_agency"],
                    [10, 3, 1, 1, 1],
                )[0],
            }
            if rnd.random() < 0.8:
                line["unit_value_usd"] = Decimal(rnd.randint(5, 30000))
            for name in category.fields:
                spec = catalog.fields[name]
                if rnd.random() < 0.15:
                    continue  # donors leave some answers out
                if spec.type == "date":
                    line[name] = AS_OF + dt.timedelta(days=rnd.randint(-100, 1500))
                elif spec.type == "bool":
                    line[name] = rnd.random() < 0.3
                elif spec.type == "enum":
                    line[name] = rnd.choice(spec.choices)
                else:
                    line[name] = rnd.choice([*COTCCC, "Generic"])
            items.append(line)
        offers.append({"recipient": rnd.choice(["sbgs", "npu", "any"]), "items": items})
    return offers


# One flat function on purpose: it is the hand-written baseline, and helper calls would be timed.
def hand_item(item: dict, as_of: dt.date, recipient: str) -> list[str]:  # noqa: C901
    """The default rules (docs/guidelines.md), written by hand, in the shipped files' order."""
    g, cat, out = item.get, item["category"], []
    level, expires, damaged = g("protection_level"), g("expires_on"), g("damaged")
    if cat in ("body_armor", "helmet"):
        if level is None:
            out.append("ARMOR-LEVEL-MISSING")
        if expires is None:
            out.append("ARMOR-EXPIRY-MISSING")
        elif expires < as_of + dt.timedelta(days=180):
            out.append("ARMOR-WARRANTY")
        if damaged is True:
            out.append("ARMOR-DAMAGED")
    if cat in ("firearm", "ammunition", "weapon_optic"):
        out.append("ARMS")
    if g("condition") in ("poor", "unserviceable"):
        out.append("CONDITION")
    if cat in ("medical", "chemical_spray"):
        if expires is None:
            out.append("SHELF-LIFE-MISSING")
        elif expires < as_of + dt.timedelta(days=365):
            out.append("SHELF-LIFE")
    if cat == "tourniquet" and (g("model") is None or g("model") not in COTCCC):
        out.append("TOURNIQUET-MODEL")
    if (
        cat
        in (
            "stun_device",
            "night_vision",
            "radio",
            "drone",
            "computer",
            "phone",
            "camera",
            "electrical",
        )
        and g("voltage") == "120"
    ):
        out.append("VOLTAGE-120")
    if cat in ("radio", "computer", "phone", "camera") and g("storage_sanitized") is not True:
        out.append("DATA-SANITIZE")
    if cat in ("uniform", "vehicle", "riot_gear") and g("insignia_removed") is not True:
        out.append("MARKINGS")
    if cat == "body_armor" and level in ("IV", "RF3"):
        out.append("EXPORT-ARMOR-ITAR")
    if (
        cat in ("body_armor", "helmet")
        and level is not None
        and not (cat == "body_armor" and level in ("IV", "RF3"))
    ):
        out.append("EXPORT-ARMOR-EAR")
    if cat in ("riot_gear", "restraints", "baton", "chemical_spray", "stun_device"):
        out.append("EXPORT-CRIME-CONTROL")
    if cat == "night_vision":
        out.append("EXPORT-NIGHT-VISION")
    if cat in ("radio", "computer", "phone") and g("encrypted") is True:
        out.append("EXPORT-ENCRYPTION")
    if cat == "drone":
        out.append("EXPORT-DRONE")
    if cat == "vehicle" and g("armored") is True:
        out.append("EXPORT-ARMORED-VEHICLE")
    if cat == "other":
        out.append("UNCLASSIFIED")
    if (
        cat not in ("firearm", "ammunition", "weapon_optic")
        and recipient is not None
        and (cat not in NEEDS[recipient])
    ):
        out.append("NEED-LIST")
    via, value = g("acquired_via"), g("unit_value_usd")
    if via == "dod_1033":
        out.append("PROV-1033")
    if via == "federal_grant" and (value is None or value > 10000):
        out.append("PROV-GRANT")
    if via == "bvp":
        out.append("PROV-BVP")
    return out


def aggregate(offer: dict, fired: list[list[str]], outcome_of: dict, tags_of: dict) -> tuple:
    """Item outcomes, offer outcome and queue as docs/guidelines.md computes them."""
    ranks = [max((SEVERITY[outcome_of[r]] for r in ids), default=0) for ids in fired]
    if ranks and all(r == 3 for r in ranks):
        return [BY_RANK[r] for r in ranks], "rejected", None
    live = [i for i, r in enumerate(ranks) if r < 3]
    if any(ranks[i] == 2 for i in live):
        return [BY_RANK[r] for r in ranks], "needs_info", None
    outcome = "review" if any(ranks[i] == 1 for i in live) else "accepted"
    tags = {t for i in live for r in fired[i] for t in tags_of[r]}
    items = offer["items"]
    total = sum(
        items[i]["quantity"] * items[i].get("unit_value_usd", 0)
        for i in live
        if items[i].get("unit_value_usd") is not None
    )
    if "export_control" in tags:
        queue = "export-control"
    elif "legal" in tags:
        queue = "legal"
    elif any(items[i]["category"] == "vehicle" for i in live) or total >= 250000:
        queue = "logistics"
    else:
        queue = {"sbgs": "sbgs-desk", "npu": "npu-desk", "any": "allocation"}[offer["recipient"]]
    return [BY_RANK[r] for r in ranks], outcome, queue


class PeerEngine:
    """The same rules in simpleeval: shipped conditions with explicit missing-value checks."""

    SOURCES = {
        "ARMOR-LEVEL-MISSING": "protection_level is None",
        "ARMOR-EXPIRY-MISSING": "expires_on is None",
        "ARMOR-WARRANTY": "expires_on is not None and expires_on < as_of + days(180)",
        "ARMOR-DAMAGED": "damaged is True",
        "ARMS": "True",
        "CONDITION": "condition in ('poor', 'unserviceable')",
        "SHELF-LIFE-MISSING": "expires_on is None",
        "SHELF-LIFE": "expires_on is not None and expires_on < as_of + days(365)",
        "TOURNIQUET-MODEL": "model is None or model not in cotccc_tourniquets",
        "VOLTAGE-120": "voltage == '120'",
        "DATA-SANITIZE": "storage_sanitized is not True",
        "MARKINGS": "insignia_removed is not True",
        "EXPORT-ARMOR-ITAR": "protection_level in ('IV', 'RF3')",
        "EXPORT-ARMOR-EAR": "protection_level is not None and not (category == 'body_armor' "
        "and protection_level in ('IV', 'RF3'))",
        "EXPORT-CRIME-CONTROL": "True",
        "EXPORT-NIGHT-VISION": "True",
        "EXPORT-DRONE": "True",
        "EXPORT-ENCRYPTION": "encrypted is True",
        "EXPORT-ARMORED-VEHICLE": "armored is True",
        "UNCLASSIFIED": "True",
        "NEED-LIST": "recipient is not None and category not in needs_of_recipient",
        "PROV-1033": "acquired_via == 'dod_1033'",
        "PROV-GRANT": "acquired_via == 'federal_grant' and (unit_value_usd is None "
        "or unit_value_usd > 10000)",
        "PROV-BVP": "acquired_via == 'bvp'",
    }

    def __init__(self, ruleset) -> None:
        self.fields = [*ruleset.catalog.item_fields, *ruleset.catalog.fields]
        self.evaluator = EvalWithCompoundTypes(functions={"days": lambda n: dt.timedelta(days=n)})
        self.by_category = {
            c.id: [
                (r.id, ast.parse(self.SOURCES[r.id], mode="eval").body, set(c.fields))
                for r in ruleset.rules
                if c.id in r.applies_to
            ]
            for c in ruleset.catalog.categories
        }

    def item(self, item: dict, as_of: dt.date, recipient: str) -> list[str]:
        names = {name: item.get(name) for name in self.fields}
        names.update(
            as_of=as_of,
            recipient=recipient,
            cotccc_tourniquets=COTCCC,
            True_=True,
            needs_of_recipient=NEEDS.get(recipient, frozenset()),
        )
        self.evaluator.names = names
        return [
            rule_id
            for rule_id, tree, _ in self.by_category[item["category"]]
            if self.evaluator.eval("", previously_parsed=tree)
        ]


def best_of(repeat: int, function) -> float:
    """The fastest of `repeat` runs, in seconds; the collector is paused, as timeit does."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            function()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ruleset = load_rules(RULES)
    offers = make_offers(args.offers)
    n_items = sum(len(o["items"]) for o in offers)
    outcome_of = {r.id: r.outcome for r in ruleset.rules}
    tags_of = {r.id: r.tags for r in ruleset.rules}
    peer = PeerEngine(ruleset)

    def run_hand():
        return [
            aggregate(
                o, [hand_item(i, AS_OF, o["recipient"]) for i in o["items"]], outcome_of, tags_of
            )
            for o in offers
        ]

    def run_peer():
        return [
            aggregate(
                o, [peer.item(i, AS_OF, o["recipient"]) for i in o["items"]], outcome_of, tags_of
            )
            for o in offers
        ]

    def run_engine():
        return [ruleset.evaluate(o, AS_OF) for o in offers]

    def run_engine_json():
        return [ruleset.evaluate(o, AS_OF).as_dict() for o in offers]

    # Agreement first: fired rules per item, item outcomes, offer outcome and queue.
    for offer, evaluation in zip(offers, run_engine(), strict=True):
        engine_fired = [[f.rule for f in item.findings] for item in evaluation.items]
        hand_fired = [hand_item(i, AS_OF, offer["recipient"]) for i in offer["items"]]
        peer_fired = [peer.item(i, AS_OF, offer["recipient"]) for i in offer["items"]]
        assert [sorted(x) for x in engine_fired] == [sorted(x) for x in hand_fired], offer
        assert [sorted(x) for x in peer_fired] == [sorted(x) for x in hand_fired], offer
        expected = aggregate(offer, hand_fired, outcome_of, tags_of)
        got = ([i.outcome for i in evaluation.items], evaluation.outcome, evaluation.queue)
        assert got == expected, (offer, got, expected)
        assert aggregate(offer, peer_fired, outcome_of, tags_of) == expected
    outcomes = {}
    for evaluation in run_engine():
        outcomes[evaluation.outcome] = outcomes.get(evaluation.outcome, 0) + 1

    timings = {
        "hand-written function": best_of(args.repeat, run_hand),
        "RuleSet.evaluate": best_of(args.repeat, run_engine),
        "RuleSet.evaluate + as_dict()": best_of(args.repeat, run_engine_json),
        "simpleeval (pre-parsed)": best_of(max(1, args.repeat // 2), run_peer),
    }
    hand = timings["hand-written function"]
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{args.offers} offers, {n_items} items, best of {args.repeat}"
    )
    print(f"offer outcomes: {dict(sorted(outcomes.items()))}")
    print("all three agree on every item's findings and outcome, every offer outcome and queue")
    for name, seconds in timings.items():
        per_item = seconds / n_items * 1e6
        print(f"{name:30s} {per_item:8.2f} us/item   {seconds / hand:5.2f}x hand-written")


if __name__ == "__main__":
    main()
