"""Live progress: the counting DoFn, the sum over its files, the line ``newsbeam run`` shows and
the display that redraws or logs it."""

from __future__ import annotations

import datetime as dt
import io
import os
import time

import apache_beam as beam
import pytest

from newsbeam.pipeline.progress import History, ProgressDisplay, Reading, fit, progress_line
from newsbeam.transforms.common import progress as progress_module
from newsbeam.transforms.common.progress import STEPS, CountProgress, Tally, read_progress


def _counted(step: str, folder: str, bundles: list[int]) -> CountProgress:
    fn = CountProgress(step, folder)
    fn.setup()
    for size in bundles:
        for element in range(size):
            fn.process(element)
        fn.finish_bundle()
    return fn


def test_counts_from_every_instance_and_bundle_add_up(tmp_path):
    _counted("inputs", str(tmp_path), [3, 4])  # one instance, two bundles
    _counted("inputs", str(tmp_path), [5])  # another thread's or process's instance
    _counted("errors", str(tmp_path), [2])
    assert read_progress(str(tmp_path)) == {**dict.fromkeys(STEPS, 0), "inputs": 12, "errors": 2}


def test_a_long_bundle_shows_its_count_before_it_ends(tmp_path, monkeypatch):
    monkeypatch.setattr(progress_module, "WRITE_INTERVAL", 0.0)
    fn = CountProgress("fetched", str(tmp_path))
    fn.setup()
    for element in range(7):
        fn.process(element)
    assert read_progress(str(tmp_path))["fetched"] == 7  # no finish_bundle yet


def test_counts_are_written_at_most_once_a_second(tmp_path):
    fn = CountProgress("parsed", str(tmp_path))
    fn.setup()
    fn.process("first")  # the first element writes
    for element in range(1000):
        fn.process(element)
    assert read_progress(str(tmp_path))["parsed"] == 1
    fn.finish_bundle()
    assert read_progress(str(tmp_path))["parsed"] == 1001


def test_a_tally_counts_work_a_dofn_finished_in_steps_of_any_size(tmp_path):
    tally = Tally("extracted", str(tmp_path))
    tally.add(3)
    tally.add()
    tally.flush()
    assert read_progress(str(tmp_path))["extracted"] == 4


def test_without_a_folder_only_beam_counters_count(tmp_path):
    fn = _counted("inputs", None, [3])
    assert fn._tally._path is None
    assert os.listdir(tmp_path) == []


def test_an_unknown_step_is_refused_when_the_pipeline_is_built():
    with pytest.raises(ValueError, match="unknown progress step"):
        CountProgress("articles", None)


def test_half_written_and_foreign_files_are_skipped(tmp_path):
    (tmp_path / "inputs.1.a").write_text("4")
    (tmp_path / "inputs.1.b.tmp").write_text("99")
    (tmp_path / "inputs.1.c").write_text("")  # created, not yet written
    (tmp_path / "notes.txt").write_text("x")
    assert read_progress(str(tmp_path))["inputs"] == 4
    assert read_progress(str(tmp_path / "gone"))["inputs"] == 0


# ---------------------------------------------------------------- the line


def _history(*readings: tuple[float, dict]) -> History:
    history = History()
    for at, counts in readings:
        history.add(Reading(at, {**dict.fromkeys(STEPS, 0), **counts}))
    return history


READ = {"inputs": 1204, "to_fetch": 1180, "duplicates": 24, "errors": 2}
FETCHED = {**READ, "fetched": 1150, "fetch_errors": 30, "parsed": 1140, "errors": 42}
DEDUPLICATED = {**FETCHED, "duplicates": 64, "to_extract": 1100}


def test_before_anything_is_read_the_line_says_so():
    assert progress_line(_history((2.0, {}))) == "0:00:02 reading · 0 inputs"
    assert progress_line(_history((3.0, {"inputs": 1}))) == "0:00:03 reading · 1 input"


def test_while_reading_the_rate_is_inputs_per_second_since_they_began():
    history = _history((2.0, {}), (4.0, {"inputs": 300}), (6.0, READ))
    assert progress_line(history) == (
        "0:00:06 reading · 1,204 inputs · 452.0 inputs/s · 24 duplicates · 2 errors"
    )  # (1,204 - 300) / 2 s: the seconds before the first input do not count


def test_fetching_shows_the_pages_to_fetch_once_the_count_is_final_and_the_time_left():
    started = _history((6.0, READ), (8.0, {**READ, "fetched": 20, "parsed": 18}))
    assert progress_line(started) == (  # one reading with pages: the whole is not proven yet
        "0:00:08 fetching · 20 pages · 1,204 inputs · 18 parsed · 24 duplicates · 2 errors"
    )
    started.add(
        Reading(10.0, {**dict.fromkeys(STEPS, 0), **READ, "fetched": 36, "fetch_errors": 4, "parsed": 34})
    )
    assert progress_line(started) == (
        "0:00:10 fetching · 40 of 1,180 pages · 10.0 pages/s · 0:01:54 left"
        " · 1,204 inputs · 34 parsed · 24 duplicates · 2 errors"
    )  # failed pages are pages done: (40 - 20) / 2 s, and 1,140 to go at 10 a second


def test_the_rate_is_the_last_window_s_not_the_run_s_average():
    readings = [(float(at), {**READ, "fetched": 20 * at}) for at in range(10, 41)]  # 20 pages/s
    readings += [(float(at), {**READ, "fetched": 800 + 2 * (at - 40)}) for at in range(41, 71)]  # then 2/s
    line = progress_line(_history(*readings))
    assert line.startswith("0:01:10 fetching · 860 of 1,180 pages · 2.0 pages/s · 0:02:40 left · ")


def test_a_stalled_stage_shows_no_time_left():
    readings = [(float(at), {**READ, "fetched": 500}) for at in range(30, 50, 2)]
    line = progress_line(_history((28.0, {**READ, "fetched": 480}), *readings))
    assert line.startswith("0:00:48 fetching · 500 of 1,180 pages · 0.0 pages/s · 1,204 inputs")


def test_after_the_last_page_the_line_names_deduplication():
    history = _history((60.0, {**FETCHED, "fetched": 1000}), (62.0, FETCHED))
    assert progress_line(history) == (
        "0:01:02 deduplicating · 1,204 inputs · 1,150 fetched · 1,140 parsed · 24 duplicates · 42 errors"
    )


def test_extracting_shows_articles_done_of_articles_to_do_and_the_time_left():
    history = _history(
        (100.0, DEDUPLICATED),
        (102.0, {**DEDUPLICATED, "extracted": 10}),
        *[(100.0 + at, {**DEDUPLICATED, "extracted": 10 + 3 * (at - 2)}) for at in range(4, 32, 2)],
    )
    assert progress_line(history) == (
        "0:02:10 extracting · 94 of 1,100 articles · 3.0 articles/s · 0:05:36 left"
        " · 1,204 inputs · 1,150 fetched · 1,140 parsed · 64 duplicates · 42 errors"
    )


def test_no_whole_is_shown_while_the_to_do_count_moves_with_the_done_one():
    """As it would if the count of articles to do ran fused with spaCy: it leads by a batch."""
    history = _history(
        *[
            (100.0 + at, {**DEDUPLICATED, "to_extract": 8 * at + 8, "extracted": 8 * at})
            for at in range(1, 20, 2)
        ]
    )
    assert progress_line(history).startswith(
        "0:01:59 extracting · 152 articles · 8.0 articles/s · 1,204 inputs"
    )


def test_a_stage_done_in_one_reading_has_its_whole_once_a_later_one_agrees():
    history = _history((100.0, DEDUPLICATED), (102.0, {**DEDUPLICATED, "extracted": 1100}))
    assert progress_line(history).startswith("0:01:42 extracting · 1,100 articles · ")
    history.add(Reading(104.0, {**dict.fromkeys(STEPS, 0), **DEDUPLICATED, "extracted": 1100}))
    assert progress_line(history) == (
        "0:01:44 writing · 1,204 inputs · 1,150 fetched · 1,140 parsed · 64 duplicates · 1,100 extracted · 42 errors"
    )


def test_the_last_line_says_the_run_finished_with_every_count():
    history = _history((100.0, DEDUPLICATED), (3725.0, {**DEDUPLICATED, "extracted": 1100}))
    assert progress_line(history, "finished") == (
        "1:02:05 finished · 1,204 inputs · 1,150 fetched · 1,140 parsed · 64 duplicates · 1,100 extracted · 42 errors"
    )


@pytest.mark.parametrize(
    "width, shown",
    [
        (80, "0:00:06 reading · 1,204 inputs"),
        (31, "0:00:06 reading · 1,204 inputs"),
        (30, "0:00:06 reading · 1,204 inpu…"),
    ],
)
def test_the_line_is_cut_to_fit_the_terminal(width, shown):
    assert fit("0:00:06 reading · 1,204 inputs", width) == shown
    assert len(fit("x" * 200, width)) == width - 1


# ---------------------------------------------------------------- extraction's counts


def test_every_article_spacy_will_read_is_counted_before_it_reads_the_first(tmp_path, monkeypatch):
    """ExtractFromText counts its articles to do before a shuffle, so the count is whole when
    the first article is done; each article is done once."""
    from newsbeam.transforms.extract import ExtractFromText
    from newsbeam.transforms.extract.nlp import NlpConfig, nlp_plan

    folder = str(tmp_path / "progress")
    os.mkdir(folder)
    seen_to_do = tmp_path / "seen"
    add = Tally.add

    def noting_add(self, count=1):  # what the to-do count was as each article was done
        if "extracted." in (self._path or ""):
            with open(seen_to_do, "a") as handle:
                handle.write(f"{read_progress(folder)['to_extract']}\n")
        add(self, count)

    monkeypatch.setattr(progress_module, "WRITE_INTERVAL", 0.0)  # every count reaches its file
    monkeypatch.setattr(Tally, "add", noting_add)
    articles = [
        nlp_plan(
            {
                "article_id": f"a{n}",
                "published_date": dt.date(2026, 12, 1),
                "input_ref": f"a{n}",
                "text": f"Story {n}: Angela Merkel met Emmanuel Macron in Berlin on Monday.",
                "language": "en" if n % 4 else "de",  # no German model: not spaCy's to do
            },
            NlpConfig(),
        )
        for n in range(24)
    ]
    with beam.Pipeline() as p:
        _ = p | beam.Create(articles) | ExtractFromText(NlpConfig(batch_size=4), folder)
    counts = read_progress(folder)
    assert (counts["to_extract"], counts["extracted"]) == (18, 18)
    assert seen_to_do.read_text().split() == ["18"] * 18


# ---------------------------------------------------------------- the display


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_line_is_redrawn_and_ended(tmp_path):
    stream = _Terminal()
    with ProgressDisplay(stream, interval=0.05) as folder:
        _counted("inputs", folder, [5])
        time.sleep(0.3)
    text = stream.getvalue()
    assert text.count("\r\x1b[2K") >= 2 and "\n" not in text[:-1] and text.endswith("\n")
    assert " reading · 5 inputs" in text
    assert text.rsplit("\r\x1b[2K", 1)[-1].endswith(" finished · 5 inputs\n")
    assert not os.path.exists(folder)  # the counts go with the display


def test_a_run_stopped_by_an_exception_does_not_end_on_finished(tmp_path):
    stream = _Terminal()
    with pytest.raises(KeyboardInterrupt):
        with ProgressDisplay(stream, interval=0.05) as folder:
            _counted("inputs", folder, [5])
            time.sleep(0.15)
            raise KeyboardInterrupt
    assert stream.getvalue().rsplit("\r\x1b[2K", 1)[-1].endswith(" stopped · 5 inputs\n")


def test_on_a_narrow_terminal_the_line_is_cut(monkeypatch):
    import newsbeam.pipeline.progress as display_module

    monkeypatch.setattr(display_module, "terminal_width", lambda stream: 20)
    stream = _Terminal()
    with ProgressDisplay(stream, interval=0.05) as folder:
        _counted("inputs", folder, [5])
        time.sleep(0.2)
    lines = [line.rstrip("\n") for line in stream.getvalue().split("\r\x1b[2K") if line]
    assert lines and all(len(line) <= 19 for line in lines)
    assert lines[-1].endswith(" finished ·…")


def test_elsewhere_plain_lines_are_logged_now_and_then(tmp_path):
    stream = io.StringIO()
    with ProgressDisplay(stream, interval=0.02, log_interval=0.1) as folder:
        _counted("errors", folder, [2])
        time.sleep(0.35)
    lines = stream.getvalue().splitlines()
    assert 2 <= len(lines) <= 4
    assert all(line.startswith("newsbeam: ") and "\r" not in line and "\x1b" not in line for line in lines)
    assert " reading · 0 inputs · 2 errors" in lines[-1]
