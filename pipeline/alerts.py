"""Alerts on a committed run: what a scheduler should hear about although the run published.

A run that committed can still be a bad one: every feed answered an HTML page, the allow list
matched nothing, a site went dark. ``newsbeam run`` checks its runs row against the alerts
(``--min_articles``, ``--max_input_error_ratio``) after the summary and exits 3 with one
sentence when one trips (docs/cli.md: alerts).
"""

from __future__ import annotations

from typing import Iterable, Optional

#: Error kinds named in an alert's sentence at most: the biggest say what happened.
KINDS_NAMED = 3


def run_alert(
    row: dict,
    min_articles: int = 0,
    max_input_error_ratio: Optional[float] = None,
    error_kinds: Iterable[tuple[str, str, int]] = (),
) -> Optional[str]:
    """One sentence naming the alerts the runs ``row`` trips, or None.

    - fewer articles than ``min_articles``;
    - more than ``max_input_error_ratio`` of the input records ended as errors, or, with no
      ratio given, every one of at least one did. A run with no inputs, or whose inputs were
      all duplicates, trips nothing by default: a quiet hour is normal.

    ``error_kinds`` are the run's input errors as (stage, kind, rows), biggest first (the
    summary's "errors by stage and kind"); the biggest are named to say what went wrong.
    """
    inputs, articles, errors = row["inputs"], row["articles"], row["errors"]
    kinds = _biggest_kinds(error_kinds)
    tripped = []
    if max_input_error_ratio is None:
        if inputs and errors == inputs:
            tripped.append(
                f"every input record ended as an error ({errors} of {inputs}{': ' + kinds if kinds else ''})"
            )
    elif inputs and errors / inputs > max_input_error_ratio:
        tripped.append(
            f"{errors} of {inputs} input records ({errors / inputs:.0%}) ended as errors, more than "
            f"--max_input_error_ratio {max_input_error_ratio:g}{' (' + kinds + ')' if kinds else ''}"
        )
    if articles < min_articles:
        tripped.append(
            f"the run wrote {articles} article{'' if articles == 1 else 's'}, fewer than --min_articles {min_articles}"
        )
    if not tripped:
        return None
    return "; and ".join(tripped)


def _biggest_kinds(error_kinds: Iterable[tuple[str, str, int]]) -> str:
    """``filter/domain_not_allowed 30, fetch/http_404 2`` for the biggest kinds, or ''."""
    kinds = sorted(error_kinds, key=lambda k: (-k[2], k[0], k[1]))
    named = ", ".join(f"{stage}/{kind} {n}" for stage, kind, n in kinds[:KINDS_NAMED])
    more = len(kinds) - KINDS_NAMED
    return named + (f" and {more} more kind{'' if more == 1 else 's'}" if more > 0 else "")
