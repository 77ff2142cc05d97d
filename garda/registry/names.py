"""A search key for Indonesian names that is tolerant of common spelling variants.

"Muhammad", "Muhamad", "Mohammad", "Moh." and "M." all become MUHAMAD; old spellings (Dj, Tj,
Oe) the new ones (J, C, U); doubled letters collapse; spaces go, so "Nur Hayati" and
"Nurhayati" share a key. The key is stored beside the name, indexed, and searched by
substring (trigram index on PostgreSQL).
"""

import re
import unicodedata

PREFIXES = {
    "MUHAMMAD": "MUHAMAD",
    "MUHAMAD": "MUHAMAD",
    "MOHAMMAD": "MUHAMAD",
    "MOHAMAD": "MUHAMAD",
    "MOHAMMED": "MUHAMAD",
    "MOCHAMMAD": "MUHAMAD",
    "MOCHAMAD": "MUHAMAD",
    "MUCHAMMAD": "MUHAMAD",
    "MUCHAMAD": "MUHAMAD",
    "MOCH": "MUHAMAD",
    "MOH": "MUHAMAD",
    "MUH": "MUHAMAD",
    "MHD": "MUHAMAD",
    "MD": "MUHAMAD",
    "ABD": "ABDUL",
    "ABDUL": "ABDUL",
    "SITTI": "SITI",
    "NURUL": "NURUL",
}
OLD_SPELLING = (("DJ", "J"), ("TJ", "C"), ("OE", "U"), ("SJ", "SY"), ("CH", "K"))


def name_key(name: str) -> str:
    """SITINURHAYATI for "Sitti Nur Hayati", MUHAMADRIDWAN for "Moh. Ridwan"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    words = [w for w in re.split(r"[^A-Z]+", text) if w]
    words = [PREFIXES.get(w, w) for w in words]
    if words and words[0] == "M":  # "M. Ridwan": a lone M first is Muhammad
        words[0] = "MUHAMAD"
    key = "".join(words)
    for old, new in OLD_SPELLING:
        key = key.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", key)
