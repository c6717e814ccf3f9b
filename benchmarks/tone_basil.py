"""Is a lexicon tone real on news? VADER against BASIL's annotations (issue 14, item 5).

    PYTHONPATH=src python benchmarks/tone_basil.py [--data ../shared/datasets/basil-dev]

``parallax compare TOPIC --by publisher`` could show each outlet's tone toward the topic. This script
measures whether VADER (a rule-based sentiment lexicon, no model) reads that tone, on basil-dev: 50
events, each reported by Fox News, The New York Times and HuffPost, with per-article annotations of the
author's feeling toward the main event (pos / neu / neg) and of the article's stance relative to the
other two (liberal or left / center / conservative or right: the label words changed between the
annotation years, and four events mix them, so liberal = left and conservative = right here).

Split by event: the events sorted by ``triplet``, even positions (0, 2, ...) are the calibration half,
odd positions the held-out half. Anything tuned (thresholds, a variant, a direction) is chosen on the
calibration half; the figures reported are the held-out half's.

1. ``article``: an article's tone is the mean VADER compound of its sentences (split with Parallax's own
   sentence splitter), mapped to pos / neu / neg and scored against ``author_feeling_main_event``.
   Sentence sets: ``event`` (the headline and sentences that name a main entity, by full name or
   surname, or hold two of the main event's content words, compared on their first six letters; all
   sentences when none do), ``all`` (every sentence, headline included), ``headline``. Variants with
   ``-centred`` subtract the event's mean over its three articles (tone relative to the other outlets,
   which is what a side-by-side view shows). Maps: VADER's standard +-0.05 thresholds, and thresholds
   tuned on the calibration half for macro-F1 (tuning for accuracy just predicts "neu" everywhere).
   Baseline: the majority class of the calibration half.
2. ``group``: as the feature would show it, one event at a time.
   - ``feeling pairs``: the pairs of articles of an event whose annotated feelings differ; VADER is
     right when it orders them the same way (chance 0.5). Baseline: a fixed publisher order, the one
     that orders the calibration pairs best.
   - ``most negative``: events with a single article of lowest annotated feeling; is it VADER's most
     negative? Baseline: always the publisher that is most often the most negative in calibration.
   - ``stance direction``: events with a liberal/left and a conservative/right article; is the tone gap
     in the direction the calibration half prefers? Baseline: the majority of that direction.
   - ``center in the middle``: events with one left-ish, one center and one right-ish article; does the
     center article's tone lie between the other two (chance 1/3)?
3. ``phrase``: VADER's sign on each annotated biased phrase (its ``txt``) against its ``polarity``
   (pos / neg); a compound of exactly 0 counts as wrong. Baseline: "neg". Lexical and informational
   bias apart, since a lexicon can at best see the lexical kind; also on the phrases VADER scores at all.

Intervals: 95 % percentile bootstrap over held-out events (2000 resamples, seed 0); items of one event
are resampled together, and ``diff`` is the paired interval of method minus baseline. ``ranking``
adds a threshold-free check over all 50 events: the AUC of the tone for neg-vs-rest and pos-vs-rest.
Verdict: ship only if, for the variant chosen on calibration (best tuned macro-F1; the group measures
use its uncentred form, since centring changes no ranking), the article-level or a group-level
held-out interval lies above its baseline's accuracy (and above chance, for the group measures).

Writes ``benchmarks/results/tone-basil.json`` and prints tables.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise, permutations
from pathlib import Path
from typing import Any

import numpy as np

from parallax.bench.environment import environment
from parallax.ingest.chunk import split_sentences
from parallax.text.terms import STOPWORDS

HERE = Path(__file__).resolve()
RESULTS = HERE.parent / "results"
LABELS = ("neg", "neu", "pos")
RANK = {"neg": -1, "neu": 0, "pos": 1}
LEFT = {"liberal", "left"}
RIGHT = {"conservative", "right"}
STANDARD = (-0.05, 0.05)
RESAMPLES = 2000
WORD = re.compile(r"[A-Za-z][A-Za-z'’.-]*[A-Za-z]|[A-Za-z]")


def default_data() -> Path:
    """``shared/datasets/basil-dev`` beside the checkout (the worktree's ancestors are searched too)."""
    for parent in HERE.parents[1:]:
        candidate = parent / "shared" / "datasets" / "basil-dev"
        if candidate.is_dir():
            return candidate
    return HERE.parents[2] / "shared" / "datasets" / "basil-dev"


@dataclass
class Article:
    publisher: str
    feeling: str
    stance: str
    headline: str
    sentences: list[str]
    event_sentences: list[str]
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class Event:
    triplet: str
    name: str
    articles: dict[str, Article]
    phrases: list[tuple[str, str, str]]  # (text, polarity, bias kind)
    calibration: bool = False


# --- reading -----------------------------------------------------------------------------------


def _stem(word: str) -> str:
    return word.lower()[:6]


def _entity_keys(entities: Sequence[str]) -> list[re.Pattern[str]]:
    keys: set[str] = set()
    for entity in entities:
        keys.add(entity)
        last = entity.split()[-1]
        if len(entity.split()) > 1 and last[:1].isupper() and last.lower() not in STOPWORDS and len(last) > 2:
            keys.add(last)  # a person's surname: "Steele" for "Michael Steele"
    return [re.compile(rf"(?<![A-Za-z]){re.escape(k)}(?![A-Za-z])") for k in sorted(keys)]


def _about_event(sentence: str, keys: Sequence[re.Pattern[str]], event_words: set[str]) -> bool:
    if any(k.search(sentence) for k in keys):
        return True
    words = {_stem(w) for w in WORD.findall(sentence) if w.lower() not in STOPWORDS}
    return len(words & event_words) >= 2


def read_article(
    path: Path, keys: Sequence[re.Pattern[str]], event_words: set[str]
) -> tuple[str, list[str], list[str]]:
    """The headline, every sentence (headline first) and the sentences about the event."""
    text = path.read_text(encoding="utf-8")
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    headline = " ".join(blocks[0].split())
    sentences = [headline]
    for block in blocks[1:]:
        flat = " ".join(block.split())
        sentences += [flat[s:e] for s, e in split_sentences(flat, 0, len(flat))]
    about = [s for s in sentences if _about_event(s, keys, event_words)]
    return headline, sentences, about or sentences


def load(data: Path) -> list[Event]:
    events: list[Event] = []
    for line in (data / "events.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        keys = _entity_keys(raw["main_entities"])
        event_words = {_stem(w) for w in WORD.findall(raw["main_event"]) if w.lower() not in STOPWORDS and len(w) > 2}
        articles = {}
        for publisher, a in raw["articles"].items():
            headline, sentences, about = read_article(data / "corpus" / a["file"], keys, event_words)
            articles[publisher] = Article(
                publisher, a["author_feeling_main_event"], a["relative_stance"], headline, sentences, about
            )
        phrases = []
        for ann in sorted((data / "annotations" / str(raw["year"])).glob(f"{raw['triplet']}_*_ann.json")):
            for p in json.loads(ann.read_text(encoding="utf-8"))["phrase-level-annotations"]:
                if p.get("txt") and p.get("polarity") in ("pos", "neg"):
                    phrases.append((p["txt"], p["polarity"], p.get("bias", "")))
        events.append(Event(raw["triplet"], raw["main_event"], articles, phrases))
    events.sort(key=lambda e: e.triplet)
    for i, e in enumerate(events):
        e.calibration = i % 2 == 0
    return events


# --- scoring -----------------------------------------------------------------------------------


def score_articles(events: Sequence[Event], compound: Callable[[str], float]) -> list[str]:
    """Fill each article's ``scores``, one per variant; returns the variant names."""
    for e in events:
        for a in e.articles.values():
            a.scores["event"] = float(np.mean([compound(s) for s in a.event_sentences]))
            a.scores["all"] = float(np.mean([compound(s) for s in a.sentences]))
            a.scores["headline"] = compound(a.headline)
        for base in ("event", "all", "headline"):
            mean = float(np.mean([a.scores[base] for a in e.articles.values()]))
            for a in e.articles.values():
                a.scores[f"{base}-centred"] = a.scores[base] - mean
    return ["event", "all", "headline", "event-centred", "all-centred", "headline-centred"]


def to_label(score: float, lo: float, hi: float) -> str:
    return "neg" if score < lo else "pos" if score > hi else "neu"


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    f1s = []
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, pred))
        fp = sum(p == label != g for g, p in zip(gold, pred))
        fn = sum(g == label != p for g, p in zip(gold, pred))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(f1s))


def tune(scores: Sequence[float], gold: Sequence[str]) -> tuple[float, float]:
    """The (lo, hi) thresholds with the best macro-F1 (ties: the narrower neutral band's accuracy)."""
    cuts = sorted({-1.0, 1.0, *(round(s, 4) for s in scores)})
    mids = [(a + b) / 2 for a, b in pairwise(cuts)] + [-1.01, 1.01]
    best: tuple[float, float, float, float] = (-1.0, -1.0, -1.01, 1.01)
    for lo in mids:
        for hi in mids:
            if hi < lo:
                continue
            pred = [to_label(s, lo, hi) for s in scores]
            key = (macro_f1(gold, pred), float(np.mean([p == g for p, g in zip(pred, gold)])), lo, hi)
            if key[:2] > best[:2]:
                best = key
    return best[2], best[3]


# --- intervals ---------------------------------------------------------------------------------

Item = tuple[int, float, float]  # (event index, method right 0/1, baseline right 0/1)


def summary(items: Sequence[Item], seed: int = 0) -> dict[str, Any]:
    """Accuracy of method and baseline with a bootstrap over events, and the paired difference."""
    if not items:
        return {"n": 0}
    groups: dict[int, list[Item]] = {}
    for it in items:
        groups.setdefault(it[0], []).append(it)
    keys = sorted(groups)
    sums = np.array([[sum(i[1] for i in groups[k]), sum(i[2] for i in groups[k]), len(groups[k])] for k in keys])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(keys), size=(RESAMPLES, len(keys)))
    tot = sums[draws].sum(axis=1)
    acc, base = tot[:, 0] / tot[:, 2], tot[:, 1] / tot[:, 2]
    n = len(items)

    def ci(x: np.ndarray) -> list[float]:
        return [round(float(np.percentile(x, 2.5)), 3), round(float(np.percentile(x, 97.5)), 3)]

    return {
        "n": n,
        "events": len(keys),
        "accuracy": round(sum(i[1] for i in items) / n, 3),
        "ci95": ci(acc),
        "baseline": round(sum(i[2] for i in items) / n, 3),
        "baseline_ci95": ci(base),
        "diff_ci95": ci(acc - base),
    }


# --- the measures ------------------------------------------------------------------------------


def article_level(events: Sequence[Event], variants: Sequence[str]) -> dict[str, Any]:
    cal = [(i, a) for i, e in enumerate(events) if e.calibration for a in e.articles.values()]
    held = [(i, a) for i, e in enumerate(events) if not e.calibration for a in e.articles.values()]
    majority = Counter(a.feeling for _, a in cal).most_common(1)[0][0]
    gold = [a.feeling for _, a in held]
    out: dict[str, Any] = {
        "majority_class": majority,
        "gold_held_out": dict(Counter(gold)),
        "baseline_macro_f1": round(macro_f1(gold, [majority] * len(gold)), 3),
        "variants": {},
    }
    for v in variants:
        tuned = tune([a.scores[v] for _, a in cal], [a.feeling for _, a in cal])
        for name, (lo, hi) in (("standard", STANDARD), ("tuned", tuned)):
            cal_pred = [to_label(a.scores[v], lo, hi) for _, a in cal]
            pred = [to_label(a.scores[v], lo, hi) for _, a in held]
            row = summary([(i, float(p == a.feeling), float(majority == a.feeling)) for (i, a), p in zip(held, pred)])
            row.update(
                thresholds=[round(lo, 4), round(hi, 4)],
                macro_f1=round(macro_f1(gold, pred), 3),
                calibration_macro_f1=round(macro_f1([a.feeling for _, a in cal], cal_pred), 3),
                predicted=dict(Counter(pred)),
            )
            out["variants"][f"{v} / {name}"] = row
    return out


def _halves(events: Sequence[Event]) -> tuple[list[tuple[int, Event]], list[tuple[int, Event]]]:
    return (
        [(i, e) for i, e in enumerate(events) if e.calibration],
        [(i, e) for i, e in enumerate(events) if not e.calibration],
    )


def feeling_pairs(events: Sequence[Event], v: str) -> dict[str, Any]:
    cal, held = _halves(events)

    def pairs(part: Sequence[tuple[int, Event]]) -> list[tuple[int, Article, Article]]:
        out = []
        for i, e in part:
            for a, b in combinations(sorted(e.articles.values(), key=lambda x: x.publisher), 2):
                if RANK[a.feeling] != RANK[b.feeling]:
                    lower, upper = (a, b) if RANK[a.feeling] < RANK[b.feeling] else (b, a)
                    out.append((i, lower, upper))
        return out

    publishers = sorted({p for e in events for p in e.articles})
    cal_pairs = pairs(cal)
    # the baseline: a fixed publisher order (most negative first), the best one on calibration
    best_order = max(
        _orders(publishers),
        key=lambda order: sum(order.index(lo.publisher) < order.index(up.publisher) for _, lo, up in cal_pairs),
    )
    items = [
        (i, float(lo.scores[v] < up.scores[v]), float(best_order.index(lo.publisher) < best_order.index(up.publisher)))
        for i, lo, up in pairs(held)
    ]
    return {**summary(items), "baseline_order": best_order, "chance": 0.5}


def _orders(items: Sequence[str]) -> list[list[str]]:
    return [list(p) for p in permutations(items)]


def most_negative(events: Sequence[Event], v: str) -> dict[str, Any]:
    cal, held = _halves(events)

    def target(e: Event) -> str | None:
        low = min(RANK[a.feeling] for a in e.articles.values())
        lows = [a.publisher for a in e.articles.values() if RANK[a.feeling] == low]
        return lows[0] if len(lows) == 1 else None

    counts = Counter(target(e) for _, e in cal if target(e))
    majority = counts.most_common(1)[0][0] if counts else None  # None: calibration has no such event
    items: list[Item] = []
    for i, e in held:
        t = target(e)
        if t is None:
            continue
        vader = min(e.articles.values(), key=lambda a: a.scores[v]).publisher
        items.append((i, float(vader == t), 1 / 3 if majority is None else float(majority == t)))
    return {
        **summary(items),
        "calibration_events": sum(counts.values()),
        "baseline_publisher": majority or "none on calibration: a random pick (1/3)",
        "chance": round(1 / 3, 3),
    }


def stance_direction(events: Sequence[Event], v: str) -> dict[str, Any]:
    cal, held = _halves(events)

    def gaps(part: Sequence[tuple[int, Event]]) -> list[tuple[int, float]]:
        out = []
        for i, e in part:
            left = [a for a in e.articles.values() if a.stance in LEFT]
            right = [a for a in e.articles.values() if a.stance in RIGHT]
            if left and right:
                out.append((i, right[0].scores[v] - left[0].scores[v]))
        return out

    cal_gaps = gaps(cal)
    sign = 1.0 if sum(g < 0 for _, g in cal_gaps) >= sum(g > 0 for _, g in cal_gaps) else -1.0
    # the method: "the right-ish article is the more negative" (or the reverse, as calibration says);
    # the baseline has no tone to go on: it can only say the same thing every time, as often right as wrong,
    # so it is scored as chance (0.5 per event).
    items = [(i, float(g * sign < 0), 0.5) for i, g in gaps(held)]
    direction = "right-ish more negative" if sign > 0 else "left-ish more negative"
    return {**summary(items), "direction_from_calibration": direction, "chance": 0.5}


def center_middle(events: Sequence[Event], v: str) -> dict[str, Any]:
    _, held = _halves(events)
    items = []
    for i, e in held:
        arts = list(e.articles.values())
        center = [a for a in arts if a.stance == "center"]
        if len(center) != 1 or not any(a.stance in LEFT for a in arts) or not any(a.stance in RIGHT for a in arts):
            continue
        others = sorted(a.scores[v] for a in arts if a is not center[0])
        items.append((i, float(others[0] <= center[0].scores[v] <= others[1]), 1 / 3))
    return {**summary(items), "chance": round(1 / 3, 3)}


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(a positive item scores above a negative one), ties half: the Mann-Whitney AUC."""
    if not len(pos) or not len(neg):
        return float("nan")
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def _label_auc(events: Sequence[Event], idx: Sequence[int], v: str, label: str) -> float:
    """AUC of the tone for ``label`` against the rest over the events ``idx`` (neg: the lower, the more neg)."""
    sign = -1.0 if label == "neg" else 1.0
    arts = [a for k in idx for a in events[k].articles.values()]
    hit = np.array([sign * a.scores[v] for a in arts if a.feeling == label])
    rest = np.array([sign * a.scores[v] for a in arts if a.feeling != label])
    return _auc(hit, rest)


def ranking(events: Sequence[Event], variants: Sequence[str], seed: int = 0) -> dict[str, Any]:
    """Threshold-free: does the tone rank the annotated neg (pos) articles below (above) the rest? All events,
    since nothing is tuned; AUC 0.5 is chance. 95 % bootstrap over events."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(events), size=(RESAMPLES, len(events)))
    out: dict[str, Any] = {}
    for v in variants:
        row: dict[str, Any] = {}
        for label in ("neg", "pos"):
            boots = np.array([_label_auc(events, d, v, label) for d in draws])
            boots = boots[~np.isnan(boots)]
            row[f"{label}_vs_rest_auc"] = round(_label_auc(events, range(len(events)), v, label), 3)
            row[f"{label}_vs_rest_ci95"] = [
                round(float(np.percentile(boots, 2.5)), 3),
                round(float(np.percentile(boots, 97.5)), 3),
            ]
        out[v] = row
    return out


def phrase_level(events: Sequence[Event], compound: Callable[[str], float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, label in (("all", None), ("lexical", "lex"), ("informational", "inf")):
        items: list[Item] = []
        scored: list[Item] = []  # the phrases VADER gives a non-zero compound
        for i, e in enumerate(events):
            if e.calibration:
                continue
            for text, polarity, bias in e.phrases:
                if label and bias != label:
                    continue
                c = compound(text)
                pred = "neg" if c < 0 else "pos" if c > 0 else "none"
                item = (i, float(pred == polarity), float(polarity == "neg"))
                items.append(item)
                if c:
                    scored.append(item)
        out[kind] = {
            **summary(items),
            "baseline_class": "neg",
            "scored_share": round(len(scored) / len(items), 3) if items else 0.0,
            "on_scored": summary(scored),
        }
    return out


# --- main --------------------------------------------------------------------------------------


def _fmt(row: dict[str, Any], extra: str = "") -> str:
    if not row.get("n"):
        return "   (no items)"
    return (
        f"{row['n']:4d} {row['accuracy']:6.3f} [{row['ci95'][0]:.2f}, {row['ci95'][1]:.2f}]"
        f" {row['baseline']:6.3f}  diff [{row['diff_ci95'][0]:+.2f}, {row['diff_ci95'][1]:+.2f}] {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data(), help="the basil-dev folder")
    parser.add_argument("--out", type=Path, default=RESULTS / "tone-basil.json")
    args = parser.parse_args()
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        sys.exit("tone_basil.py needs VADER: pip install -e '.[bench]'")
    if not (args.data / "events.jsonl").is_file():
        sys.exit(f"no basil-dev data at {args.data} (pass --data)")
    started = time.perf_counter()
    analyzer = SentimentIntensityAnalyzer()
    cache: dict[str, float] = {}

    def compound(text: str) -> float:
        if text not in cache:
            cache[text] = float(analyzer.polarity_scores(text)["compound"])
        return cache[text]

    events = load(args.data)
    variants = score_articles(events, compound)
    article = article_level(events, variants)
    chosen = max(variants, key=lambda v: article["variants"][f"{v} / tuned"]["calibration_macro_f1"])
    base_variants = [v for v in variants if not v.endswith("-centred")]  # centring leaves every ranking unchanged
    group = {
        v: {
            "feeling_pairs": feeling_pairs(events, v),
            "most_negative": most_negative(events, v),
            "stance_direction": stance_direction(events, v),
            "center_in_the_middle": center_middle(events, v),
        }
        for v in base_variants
    }
    phrase = phrase_level(events, compound)
    ranks = ranking(events, variants)

    def ships(row: dict[str, Any]) -> bool:
        """The interval lies above the baseline, and above chance where picking at random is a baseline too."""
        return bool(row.get("n")) and row["ci95"][0] > max(row["baseline"], row.get("chance", 0.0))

    chosen_row = article["variants"][f"{chosen} / tuned"]
    group_chosen = chosen.removesuffix("-centred")
    group_ship = [k for k, row in group[group_chosen].items() if ships(row)]
    ship = ships(chosen_row) or bool(group_ship)
    verdict = (
        f"ship: {chosen} tone beats its baseline ({', '.join(group_ship) or 'article level'})"
        if ship
        else (
            f"leave out: the variant chosen on calibration ({chosen}, tuned) scores {chosen_row['accuracy']:.3f}"
            f" held-out accuracy [{chosen_row['ci95'][0]:.2f}, {chosen_row['ci95'][1]:.2f}] against the majority"
            f" class's {chosen_row['baseline']:.3f}, and no group-level measure's interval lies above its baseline"
        )
    )
    n_articles = sum(len(e.articles) for e in events)
    report: dict[str, Any] = {
        "command": " ".join(["PYTHONPATH=src", "python", "benchmarks/tone_basil.py", *sys.argv[1:]]),
        "environment": environment(),
        "data": {"events": len(events), "articles": n_articles, "phrases": sum(len(e.phrases) for e in events)},
        "split": "events sorted by triplet: even positions calibration, odd positions held-out",
        "event_sentences_share": round(
            sum(len(a.event_sentences) for e in events for a in e.articles.values())
            / sum(len(a.sentences) for e in events for a in e.articles.values()),
            3,
        ),
        "article_level": article,
        "chosen_on_calibration": chosen,
        "group_level": group,
        "phrase_level": phrase,
        "ranking_all_events": ranks,
        "verdict": verdict,
        "ship": ship,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print(f"held-out: {sum(not e.calibration for e in events)} events; 95 % bootstrap over events")
    print(f"\narticle level vs author_feeling_main_event (majority '{article['majority_class']}',")
    print(f"  held-out gold {article['gold_held_out']}, majority macro-F1 {article['baseline_macro_f1']:.3f})")
    print(f"{'variant / map':28s} {'n':>4s} {'acc':>6s} {'95 % CI':>12s} {'major':>6s}  {'acc - major':>18s} macro-F1")
    for name, row in article["variants"].items():
        print(f"{name:28s} " + _fmt(row, f"{row['macro_f1']:.3f}"))
    print(f"\ngroup level (per event, variant {', '.join(base_variants)})")
    print(f"{'measure':40s} {'n':>4s} {'acc':>6s} {'95 % CI':>12s} {'base':>6s}")
    for v, rows in group.items():
        for name, row in rows.items():
            print(f"{v + ' / ' + name:40s} " + _fmt(row))
    print("\nranking, all 50 events (nothing tuned): AUC of the tone for neg-vs-rest and pos-vs-rest (0.5 = chance)")
    for v, row in ranks.items():
        neg, pos = row["neg_vs_rest_ci95"], row["pos_vs_rest_ci95"]
        print(
            f"{v:28s} neg {row['neg_vs_rest_auc']:.3f} [{neg[0]:.2f}, {neg[1]:.2f}]"
            f"   pos {row['pos_vs_rest_auc']:.3f} [{pos[0]:.2f}, {pos[1]:.2f}]"
        )
    print("\nphrase level: VADER sign vs annotated polarity (baseline: 'neg')")
    for name, row in phrase.items():
        print(f"{name:40s} " + _fmt(row))
        print(f"{'  ' + name + ', compound != 0 (' + str(row['scored_share']) + ')':40s} " + _fmt(row["on_scored"]))
    print(f"\nchosen on calibration: {chosen}\n{verdict}")


if __name__ == "__main__":
    main()
