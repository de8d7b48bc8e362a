"""Synthetic Get Information About Schools files in the published format, for tests, the simulator
and the benchmarks: deterministic by seed.

The establishment file has the full header of the published `edubasealldataYYYYMMDD.csv` (the 135
columns, in order, of the extracts published since July 2024), every field quoted except the
numeric ones (as GIAS writes them), CRLF line ends, Windows-1252 text with apostrophes (straight
and curly), accented letters and dashes. It holds open and closed schools of every common type,
academy conversions (the maintained school closed, the academy opened under a new URN the next
day), re-brokered academies (chains of successors) and amalgamations, with the matching rows in the
links file (`links_edubasealldataYYYYMMDD.csv`: URN, LinkURN, LinkName, LinkType,
LinkEstablishedDate). Columns the register does not read hold plausible, not authoritative, values.

`next_extract` makes the following month's files (openings, closures, conversions, renames) and
says which URNs a re-import must report as added, changed and closed.

    python -m tools.gias_fixture OUTDIR --schools 50000 --seed 1
"""

from tools.gias_fixture.cli import main
from tools.gias_fixture.csv_format import COLUMNS, ENCODING, LINK_COLUMNS
from tools.gias_fixture.extract import ExtractChanges, GiasExtract
from tools.gias_fixture.generate import next_extract, synthetic_extract
from tools.gias_fixture.vocabulary import LOCAL_AUTHORITIES

__all__ = [
    "COLUMNS",
    "ENCODING",
    "LINK_COLUMNS",
    "LOCAL_AUTHORITIES",
    "ExtractChanges",
    "GiasExtract",
    "main",
    "next_extract",
    "synthetic_extract",
]
