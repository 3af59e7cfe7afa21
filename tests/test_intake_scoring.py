"""PHQ-9 and GAD-7 scoring: every band edge, item 9, item 10 left unscored, bad answers refused."""
import pytest

from portal.core.measures import band_for, items_from, score

COUNTS = {"phq9": 9, "gad7": 7}


def items_summing_to(instrument, total, item9=None):
    """Answers (0–3 each) that add up to total, filled from the first item; item 9 fixed if given."""
    items = [0] * COUNTS[instrument]
    slots = [n for n in range(len(items)) if item9 is None or n != 8]
    remaining = total
    if item9 is not None:
        items[8], remaining = item9, total - item9
    for n in slots:
        items[n] = min(3, remaining)
        remaining -= items[n]
    assert remaining == 0 and sum(items) == total, "total not reachable"
    return items


@pytest.mark.parametrize("total, band", [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe"),
])
def test_phq9_band_edges(total, band):
    result = score("phq9", items_summing_to("phq9", total))
    assert (result.instrument, result.total, result.band) == ("phq9", total, band)


@pytest.mark.parametrize("total, band", [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "severe"), (21, "severe"),
])
def test_gad7_band_edges(total, band):
    result = score("gad7", items_summing_to("gad7", total))
    assert (result.instrument, result.total, result.band) == ("gad7", total, band)
    assert result.item9_positive is False


@pytest.mark.parametrize("instrument, total", [("phq9", -1), ("phq9", 28), ("gad7", -1),
                                               ("gad7", 22)])
def test_totals_outside_the_scale_have_no_band(instrument, total):
    with pytest.raises(ValueError):
        band_for(instrument, total)


@pytest.mark.parametrize("item9", [1, 2, 3])
@pytest.mark.parametrize("total", [3, 15, 24])
def test_phq9_item9_above_zero_is_positive_whatever_the_total(item9, total):
    result = score("phq9", items_summing_to("phq9", total + item9, item9=item9))
    assert result.item9_positive is True


@pytest.mark.parametrize("total", [0, 4, 14, 24])
def test_phq9_item9_zero_is_not_positive_whatever_the_total(total):
    result = score("phq9", items_summing_to("phq9", total, item9=0))
    assert result.total == total and result.item9_positive is False


def test_only_item9_positive_still_flags_a_minimal_score():
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert (result.total, result.band, result.item9_positive) == (1, "minimal", True)


@pytest.mark.parametrize("difficulty", [0, 3])
def test_phq9_difficulty_item_is_recorded_but_not_scored(difficulty):
    answers = {f"phq9_{n}": 1 for n in range(1, 10)} | {"phq9_difficulty": difficulty}
    items = items_from(answers, "phq9")
    assert items == [1] * 9
    assert score("phq9", items).total == 9


def test_items_from_reads_each_instrument_by_its_own_keys():
    answers = ({f"phq9_{n}": 2 for n in range(1, 10)} | {"phq9_difficulty": 3}
               | {f"gad7_{n}": "1" for n in range(1, 8)})
    assert items_from(answers, "phq9") == [2] * 9
    assert items_from(answers, "gad7") == [1] * 7
    assert score("gad7", items_from(answers, "gad7")).total == 7


@pytest.mark.parametrize("instrument", ["phq9", "gad7"])
@pytest.mark.parametrize("bad", [-1, 4, "2", True, False, None, 1.0, 2.5])
@pytest.mark.parametrize("position", [0, -1])
def test_answers_outside_0_to_3_or_not_whole_numbers_are_refused(instrument, bad, position):
    items = [1] * COUNTS[instrument]
    items[position] = bad
    with pytest.raises(ValueError):
        score(instrument, items)


@pytest.mark.parametrize("instrument, count", [
    ("phq9", 0), ("phq9", 7), ("phq9", 8), ("phq9", 10), ("gad7", 0), ("gad7", 6), ("gad7", 8),
    ("gad7", 9),
])
def test_the_wrong_number_of_answers_is_refused(instrument, count):
    with pytest.raises(ValueError):
        score(instrument, [1] * count)
