"""Rebuild the STS and classification examples' offline data from Princeton WordNet 3.0 (Debian's wordnet-base).

- examples/data/wordnet_glosses.csv (classification): a noun's dictionary gloss, labelled with its WordNet
  lexicographer category (act, attribute, cognition, ...): 60 glosses for each of 8 abstract categories, where an
  untrained English model has room to improve.
- examples/data/wordnet_sts/{train,dev,test}.csv (STS): two glosses and the Wu-Palmer similarity (0-1) of the
  meanings they define: a sibling of the first meaning (high), a meaning two levels up the tree apart (middle), an
  unrelated noun (low). Splits are by the first meaning, so no gloss of a test pair's first meaning is trained on.

Needs `apt-get install wordnet-base` and `pip install nltk` (neither is a dependency of the project):
    python scripts/build_wordnet_datasets.py examples/data

WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. (The WordNet licence, which allows use,
copying and distribution with this notice, is in examples/data/WORDNET_LICENSE.)
"""

from __future__ import annotations

import csv
import random
import shutil
import sys
import tempfile
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
# WordNet's fixed lexicographer file numbers (lexnames(5WN)); nltk reads them from a `lexnames` file Debian doesn't ship.
LEXNAMES = ["adj.all", "adj.pert", "adv.all", "noun.Tops", "noun.act", "noun.animal", "noun.artifact", "noun.attribute",
            "noun.body", "noun.cognition", "noun.communication", "noun.event", "noun.feeling", "noun.food", "noun.group",
            "noun.location", "noun.motive", "noun.object", "noun.person", "noun.phenomenon", "noun.plant", "noun.possession",
            "noun.process", "noun.quantity", "noun.relation", "noun.shape", "noun.state", "noun.substance", "noun.time",
            "verb.body", "verb.change", "verb.cognition", "verb.communication", "verb.competition", "verb.consumption",
            "verb.contact", "verb.creation", "verb.emotion", "verb.motion", "verb.perception", "verb.possession",
            "verb.social", "verb.stative", "verb.weather", "adj.ppl"]
CATEGORIES = ["noun.act", "noun.attribute", "noun.cognition", "noun.communication", "noun.event", "noun.feeling",
              "noun.process", "noun.state"]
PER_CATEGORY = 60
STS_PAIRS = {"train": 600, "dev": 150, "test": 150}
SEED = 13


def open_wordnet(scratch: Path):
    import nltk.data
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    nltk.data.path.insert(0, str(scratch))  # nltk reads corpora only from its data path
    root = scratch / "corpora" / "wordnet"
    root.mkdir(parents=True)
    for file in WORDNET.iterdir():
        if file.is_file():
            shutil.copy(file, root / file.name)
    (root / "index.sense").write_text("")  # sense keys: not used here, and Debian has none
    (root / "lexnames").write_text("".join(f"{index:02d}\t{name}\t0\n" for index, name in enumerate(LEXNAMES)))
    return WordNetCorpusReader(str(root), None)


def usable(synset) -> bool:
    words = synset.definition().split()
    return 5 <= len(words) <= 30 and ";" not in synset.definition()


def glosses(wordnet, out: Path) -> None:
    rows = []
    for category in CATEGORIES:
        members = sorted((s for s in wordnet.all_synsets("n") if s.lexname() == category and usable(s)), key=lambda s: s.offset())
        step = len(members) / PER_CATEGORY
        rows += [(members[int(i * step)].definition(), category.split(".")[1]) for i in range(PER_CATEGORY)]
    random.Random(SEED).shuffle(rows)
    with open(out / "wordnet_glosses.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["gloss", "category"])
        writer.writerows(rows)


def sts_pairs(wordnet, out: Path) -> None:
    rng = random.Random(SEED)
    nouns = sorted((s for s in wordnet.all_synsets("n") if usable(s)), key=lambda s: s.offset())
    firsts = [s for s in nouns if s.hypernyms() and len([h for h in s.hypernyms()[0].hyponyms() if usable(h)]) > 1]
    rng.shuffle(firsts)
    folder = out / "wordnet_sts"
    folder.mkdir(exist_ok=True)
    start = 0
    for split, count in STS_PAIRS.items():
        rows = []
        for first in firsts[start:start + count // 3 + 1]:
            parent = first.hypernyms()[0]
            sibling = rng.choice([h for h in parent.hyponyms() if h != first and usable(h)])
            grand = parent.hypernyms()[0] if parent.hypernyms() else parent
            cousins = [c for p in grand.hyponyms() if p != parent for c in p.hyponyms() if usable(c)]
            for second in [sibling, rng.choice(cousins) if cousins else rng.choice(nouns), rng.choice(nouns)]:
                rows.append((first.definition(), second.definition(), round(first.wup_similarity(second), 3)))
        start += count // 3 + 1
        with open(folder / f"{split}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["sentence1", "sentence2", "score"])
            writer.writerows(rows[:count])


def main(out: str) -> None:
    out_folder = Path(out)
    with tempfile.TemporaryDirectory() as scratch:
        wordnet = open_wordnet(Path(scratch))
        glosses(wordnet, out_folder)
        sts_pairs(wordnet, out_folder)


if __name__ == "__main__":
    main(sys.argv[1])
