"""Speed check of the word diff and the 3-way merge on long bodies.

Run: ``.venv/bin/python bench/domain_speed.py`` from the project root. Not a
test: timings depend on the machine; the target is < 0.5 s for diff_words on a
20 000-word body with 400 scattered changes.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wiki.domain.authorship import carry_authorship, initial_runs  # noqa: E402
from wiki.domain.merge import merge_texts  # noqa: E402
from wiki.domain.text import count_words  # noqa: E402
from wiki.domain.textdiff import diff_words  # noqa: E402

WORDS = 20_000
CHANGES = 400


def prose(rng: random.Random, words: int, vocabulary: int, zipf: float) -> list[str]:
    """Words drawn from a Zipf-like vocabulary, as in real prose (a few very
    frequent words, a long tail of rare ones), with punctuation and paragraphs."""
    vocab = [f"mot{n}" for n in range(vocabulary)]
    weights = [1 / (n + 1) ** zipf for n in range(vocabulary)]
    out = rng.choices(vocab, weights, k=words)
    for n in range(0, words, 12):
        out[n] += rng.choice([",", ".", "", ""])
    for n in range(0, words, 150):
        out[n] += ".\n\n"
    return out


def scatter(rng: random.Random, words: list[str], changes: int, mark: str) -> list[str]:
    """Apply ``changes`` edits (replace, delete or insert 1-2 words) at random places."""
    out = list(words)
    for n, at in enumerate(sorted(rng.sample(range(len(words) - 2), changes), reverse=True)):
        kind = n % 3
        if kind == 0:
            out[at : at + 2] = [f"{mark}{n}", "nouveau"]
        elif kind == 1:
            del out[at : at + 2]
        else:
            out.insert(at, f"{mark}{n}")
    return out


def timed(label: str, action: Callable[[], object], repeat: int = 5) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    print(f"{label:<58} median {statistics.median(times):.3f} s   max {max(times):.3f} s")


def main() -> None:
    rng = random.Random(2024)
    cases = {
        "prose (Zipf, 8 000 words vocabulary)": prose(rng, WORDS, 8000, 1.0),
        "small vocabulary (30 words), one paragraph": [
            rng.choice([f"m{n}" for n in range(30)]) for _ in range(WORDS)
        ],
    }
    for name, words in cases.items():
        base = " ".join(words)
        edited = " ".join(scatter(rng, words, CHANGES, "ICI"))
        half = CHANGES // 2
        ours = " ".join(scatter(random.Random(1), words, half, "NOUS"))
        theirs = " ".join(scatter(random.Random(2), words, half, "EUX"))
        print(f"\n{name}: {count_words(base)} words, {len(base)} code points")
        timed(f"diff_words, {CHANGES} changes", lambda b=base, e=edited: diff_words(b, e))
        timed(
            f"merge_texts, {half} + {half} changes",
            lambda b=base, o=ours, t=theirs: merge_texts(b, o, t),
        )
        other = " ".join(scatter(random.Random(3), words, CHANGES, "EUX"))
        timed(
            f"merge_texts, {CHANGES} + {CHANGES} changes",
            lambda b=base, e=edited, o=other: merge_texts(b, e, o),
        )
        runs = initial_runs(base, "user:1", 1)
        timed(
            f"carry_authorship, {CHANGES} changes",
            lambda b=base, e=edited, r=runs: carry_authorship(b, r, e, "user:2", 2),
        )

    unrelated_a = " ".join(rng.choice(["un", "deux", "trois", "quatre"]) for _ in range(WORDS))
    unrelated_b = " ".join(rng.choice(["un", "deux", "trois", "cinq"]) for _ in range(WORDS))
    print("\nworst case: two unrelated texts (work budget reached)")
    timed("diff_words", lambda: diff_words(unrelated_a, unrelated_b))


if __name__ == "__main__":
    main()
