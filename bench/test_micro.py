"""Micro-benchmarks of the domain code (pytest-benchmark), outside ``make test``.

Run: ``.venv/bin/python -m pytest bench/test_micro.py`` (``bench/run.py`` runs them too and
puts their medians in its table). Figures of issue 9: word diff of 20,000 words with 400
changes < 0.5 s; 3-way merge of the same text < 1 s.
"""

from __future__ import annotations

import random
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from domain_speed import prose, scatter  # noqa: E402

from wiki.domain import authorship, merge, textdiff  # noqa: E402

WORDS = 20_000
CHANGES = 400


def seed_body() -> str:
    data = resources.files("wiki") / "data" / "strategie-numerique.toml"
    return tomllib.loads(data.read_text(encoding="utf-8"))["texts"]["body"].strip() + "\n"


def few_changes(body: str, count: int, rng: random.Random) -> str:
    words = body.split(" ")
    for at in rng.sample(range(len(words)), count):
        words[at] = "changé"
    return " ".join(words)


@pytest.fixture(scope="module")
def long_text() -> list[str]:
    return prose(random.Random(2024), WORDS, 8000, 1.0)


def test_word_diff_of_300_words(benchmark):
    old = seed_body()
    new = few_changes(old, 8, random.Random(1))
    diff = benchmark(textdiff.diff_words, old, new)
    assert textdiff.diff_stats(diff).inserted_words > 0


def test_word_diff_of_20000_words_with_400_changes(benchmark, long_text):
    old = " ".join(long_text)
    new = " ".join(scatter(random.Random(5), long_text, CHANGES, "ICI"))
    diff = benchmark.pedantic(textdiff.diff_words, (old, new), rounds=5, iterations=1)
    assert textdiff.diff_stats(diff).inserted_words >= CHANGES // 2


def test_three_way_merge_of_20000_words(benchmark, long_text):
    base = " ".join(long_text)
    ours = " ".join(scatter(random.Random(1), long_text, CHANGES // 2, "NOUS"))
    theirs = " ".join(scatter(random.Random(2), long_text, CHANGES // 2, "EUX"))
    result = benchmark.pedantic(merge.merge_texts, (base, ours, theirs), rounds=5,
                                iterations=1)
    assert result.text or result.conflicts


def test_authorship_carry_forward_of_one_save(benchmark):
    old = seed_body()
    runs = authorship.carry_authorship(old, authorship.initial_runs(old, "external", 1),
                                       few_changes(old, 20, random.Random(3)), "user:1", 2)
    older, new = few_changes(old, 20, random.Random(3)), few_changes(old, 25, random.Random(4))
    carried = benchmark(authorship.carry_authorship, older, runs, new, "user:2", 3)
    assert sum(run.length for run in carried) == len(new)
