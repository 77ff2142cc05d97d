"""A search key for Indonesian names that is tolerant of common spelling variants.

The key is stored beside the name (`Individu.name_key`, `mother_key`), indexed, and searched by
substring (a trigram index on PostgreSQL); two records with the same key are "the same name" for
the duplicate queue. Rules, applied to each word, then the words joined:

- letters only, upper case, accents dropped; anything after a comma is an academic degree
  ("Siti Aminah, S.Pd." is SITIAMINAH); a leading honorific goes when a name follows
  ("Hj. Suryani", "H. Ahmad", "Ny. Halimah", "Drs. Rudi");
- abbreviations and spellings of common first words: "Muhammad", "Muhamad", "Mohammad",
  "Mochammad", "Moch.", "Moh.", "Muh.", "Mhd.", "Mohd." and a first "M." are all MUHAMAD;
  "Abd." is ABDUL, "St." is SITI;
- old (pre-1972) spellings become the current ones: Dj -> J, Tj -> C, Sj -> Sy, Oe -> U; the
  Arabic "kh", written "ch" in old spellings, is H in both (Achmad/Akhmad/Ahmad,
  Chairul/Khairul/Hairul, Rachmat/Rahmat), except "Chr" -> KR (Christina/Kristina);
- an assimilated article is written out: Abdurrahman/Abdurahman -> ABDULRAHMAN, the same key
  as "Abdul Rahman" (also Abdussalam, Abdunnasir...);
- a final "y" after a consonant is "i" (Hendry/Hendri, Dedy/Dedi);
- doubled letters collapse (Sitti/Siti, Muhammad/Muhamad, Nurrahmah/Nur Rahmah);
- spaces go, so "Nur Hayati" and "Nurhayati" share the key NURHAYATI.

What stays different, on purpose: a trailing "h" (Aminah/Amina, Fatimah/Fatima) keeps the keys
apart, because they are also different written names and an equal key is strong evidence of a
duplicate. The search bridges that gap instead: a query word is also tried without a trailing
"h" (`search_words`), and on PostgreSQL trigram similarity finds such pairs in both directions.
"Chandra" (CHANDRA -> HANDRA) and "Candra" stay apart for the same reason: "ch" is mostly the
Arabic kh in Bangka's Malay names; trigram similarity still finds one from the other.
"""

import re
import unicodedata

# Whole words (after upper-casing) with one spelling in the key.
PREFIXES = {
    "MUHAMMAD": "MUHAMAD",
    "MUHAMAD": "MUHAMAD",
    "MUHAMMED": "MUHAMAD",
    "MUHAMED": "MUHAMAD",
    "MOHAMMAD": "MUHAMAD",
    "MOHAMAD": "MUHAMAD",
    "MOHAMMED": "MUHAMAD",
    "MOHAMED": "MUHAMAD",
    "MOCHAMMAD": "MUHAMAD",
    "MOCHAMAD": "MUHAMAD",
    "MUCHAMMAD": "MUHAMAD",
    "MUCHAMAD": "MUHAMAD",
    "MOCH": "MUHAMAD",
    "MOH": "MUHAMAD",
    "MOHD": "MUHAMAD",
    "MUH": "MUHAMAD",
    "MUHD": "MUHAMAD",
    "MHD": "MUHAMAD",
    "MD": "MUHAMAD",
    "ABD": "ABDUL",
    "SITTI": "SITI",
    "ST": "SITI",
}
# Honorifics written before a name; dropped when a name follows them.
HONORIFICS = frozenset(
    {"H", "HJ", "HAJI", "HAJAH", "HAJJAH", "NY", "DRS", "DRA", "DR", "IR", "PROF"}
)
# Old spellings, replaced in this order inside each word.
OLD_SPELLING = (("DJ", "J"), ("TJ", "C"), ("SJ", "SY"), ("OE", "U"), ("CHR", "KR"), ("CH", "H"))
KH = re.compile(r"KH")
ASSIMILATED_ARTICLE = re.compile(r"^ABDU([RSZNTD])\1?(?=[AIUEO])")
FINAL_Y = re.compile(r"(?<=[^AIUEO])Y$")
DOUBLED = re.compile(r"(.)\1+")
TRAILING_H = re.compile(r"(?<=[AIUEO])H$")


def _words(name: str) -> list[str]:
    """The upper-case ASCII words of a name, degrees and honorifics left out."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    before_comma = text.split(",", 1)[0]
    if re.search(r"[A-Z]", before_comma):
        text = before_comma
    words = [w for w in re.split(r"[^A-Z]+", text) if w]
    while len(words) > 1 and words[0] in HONORIFICS:
        words = words[1:]
    return words


def _respell(word: str) -> str:
    word = PREFIXES.get(word, word)
    for old, new in OLD_SPELLING:
        word = word.replace(old, new)
    word = KH.sub("H", word)
    word = ASSIMILATED_ARTICLE.sub(r"ABDUL\1", word)
    word = FINAL_Y.sub("I", word)
    return DOUBLED.sub(r"\1", word)


def name_words(name: str) -> list[str]:
    """The key of each word: ["MUHAMAD", "RIDWAN"] for "Moh. Ridwan"."""
    words = _words(name)
    if len(words) > 1 and words[0] == "M":  # "M. Ridwan": a lone M first is Muhammad
        words[0] = "MUHAMAD"
    return [_respell(w) for w in words]


def name_key(name: str) -> str:
    """SITINURHAYATI for "Sitti Nur Hayati", MUHAMADRIDWAN for "Moh. Ridwan".

    Every word key (`name_words`) is a substring of the name key: joining can only collapse a
    letter that two words share ("Nur Rahmah" -> NURAHMAH holds NUR and RAHMAH).
    """
    return DOUBLED.sub(r"\1", "".join(name_words(name)))


def search_words(name: str, *, min_length: int = 3) -> list[str]:
    """The word keys a query must all contain, for a search that ignores word order and
    spacing: shorter words (initials) are left out, and a trailing "h" after a vowel is
    dropped so that "Aminah" also finds "Amina"."""
    words = []
    for word in name_words(name):
        trimmed = TRAILING_H.sub("", word) if len(word) > 4 else word
        if len(trimmed) >= min_length and trimmed not in words:
            words.append(trimmed)
    return words
