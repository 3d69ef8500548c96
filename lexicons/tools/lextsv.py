"""Reading lexicon TSV files from the Python tools and bench/eval scripts
(the format is docs/LEXICONS.md; libktag's own reader is lib/lexicon.c)."""


def rows(path):
    """Yield (header, columns) for each data row of a lexicon file: blank
    lines and # comments are skipped, the first other line is the header."""
    header = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            yield header, cols


def entity_forms(cols):
    """The surface forms an entity row names: its name and its aliases."""
    names = [cols[2]] if len(cols) > 2 and cols[2] else []
    return names + [a for a in (cols[3].split("|") if len(cols) > 3 else []) if a]
