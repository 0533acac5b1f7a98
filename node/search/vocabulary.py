"""Everyday words for what photos show, and what each means to the vision models.

A scene word means a concept: COCO labels the detector may find (`objects`) and ImageNet classes
the classifier may name the whole photo (`labels`, indices into the classifier's labels.txt,
where 0 is "background"). The everyday words below are the ones people search for and the
models do not name that way ("beach" is the classifier's "seashore" or "sandbar"; "dog" is the
detector's dog or any of 118 breeds). Any other word is looked up among the models' own label
names (`Vocabulary.generic`), so "giraffe", "zebra" or "pizza" work without an entry here.
Plurals fold to the singular ("puppies", "beaches", "horses").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    name: str
    objects: frozenset[str] = frozenset()  # COCO labels
    labels: frozenset[int] = frozenset()  # ImageNet class indices


def _concept(name: str, objects: Iterable[str] = (), labels: Iterable[int] = ()) -> Concept:
    return Concept(name, frozenset(objects), frozenset(labels))


_DOG_BREEDS = range(152, 270)  # Chihuahua … Mexican hairless
_CATS = range(282, 287)  # tabby … Egyptian cat
_BIRDS = (*range(8, 26), *range(81, 102), *range(128, 148))
_BOATS = (473, 485, 555, 577, 626, 781, 815, 915)  # canoe, catamaran, … yawl

_EVERYDAY: dict[str, Concept] = {}
for _words, _meaning in (
    (("dog", "puppy", "pup", "doggy", "doggie", "hound"), _concept("dog", ["dog"], _DOG_BREEDS)),
    (("cat", "kitten", "kitty"), _concept("cat", ["cat"], _CATS)),
    (("beach", "seaside", "shore", "coast", "seashore", "sand"), _concept("beach", (), [979, 978])),
    (("sea", "ocean"), _concept("sea", (), [979, 978, 975])),
    (("lake", "lakeside"), _concept("lake", (), [976])),
    (("snow", "snowy", "skiing", "ski", "sledge", "sled"),
     _concept("snow", ["skis", "snowboard"], [971, 796, 803, 538])),
    (("mountain", "mountains", "alps"), _concept("mountain", (), [971, 973, 980, 981])),
    (("cake", "birthday"), _concept("cake", ["cake"], [928])),
    (("bike", "bicycle", "cycling", "cyclist"),
     _concept("bike", ["bicycle"], [445, 672, 871, 881])),
    (("motorbike", "motorcycle", "scooter"), _concept("motorbike", ["motorcycle"], [666, 671])),
    (("car",), _concept("car", ["car"], [437, 469, 512, 610, 657, 818])),
    (("horse", "pony"), _concept("horse", ["horse"], [340])),
    (("bird",), _concept("bird", ["bird"], _BIRDS)),
    (("boat", "ship", "sailing"), _concept("boat", ["boat"], _BOATS)),
    (("teddy",), _concept("teddy bear", ["teddy bear"], [851])),
    (("people", "person", "crowd"), _concept("person", ["person"])),
):  # fmt: skip
    for _word in _words:
        _EVERYDAY[_word] = _meaning


class Vocabulary:
    """Words → concepts: the everyday entries, then the models' own label names."""

    def __init__(self, coco: Sequence[str] = (), imagenet: Sequence[str] = ()) -> None:
        """`coco`: the detector's labels.txt lines (id N on line N); `imagenet`: the
        classifier's, each a comma-separated list of synonyms (index = line number)."""
        self._generic: dict[str, Concept] = {}
        for index, line in enumerate(imagenet):
            for synonym in line.split(","):
                name = synonym.strip().lower()
                if name and index:
                    known = self._generic.get(name, _concept(name))
                    self._generic[name] = _concept(name, known.objects, {*known.labels, index})
        for label in coco:
            name = label.strip().lower()
            if name and name != "n/a":
                known = self._generic.get(name, _concept(name))
                self._generic[name] = _concept(name, {*known.objects, name}, known.labels)
        self.longest = max((len(name.split()) for name in self._generic), default=1)

    def concept(self, phrase: str) -> Concept | None:
        """What a word or phrase ("teddy bear") means, trying its singular forms too."""
        for form in _singulars(phrase.lower()):
            found = _EVERYDAY.get(form) or self._generic.get(form)
            if found is not None:
                return found
        return None


def _singulars(word: str) -> list[str]:
    """The word, then what it could be the plural of: puppies → puppy, beaches → beach."""
    forms = [word]
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        forms.append(word[:-1])
    return forms
