"""PHQ-9 / GAD-7 / PCL-5 totals over time as an inline SVG chart, built on the server.

Pure functions: points in, markup out. A point is (taken_at, total, item9_positive) with an aware
datetime. The chart shades the instrument's severity bands, rings item-9-positive points in red and
draws a change of CHANGE_THRESHOLD points or more between consecutive PHQ-9 scores as a thick red
segment. Every text is escaped; colours are SVG presentation attributes (the CSP forbids style=).
"""
from datetime import UTC, datetime
from typing import NamedTuple

from markupsafe import Markup, escape

from portal.core.measures import ITEM9_MEANING, TREND_SCALES, change_from_baseline

SCALES = TREND_SCALES  # every instrument with a total over time

CHANGE_THRESHOLD = 5
WATCHED = "phq9"  # the instrument whose large changes the chart draws and the pages list
BAND_FILLS = {"minimal": "#e6f3ea", "mild": "#eef4d9", "moderate": "#fcf1d8",
              "moderately severe": "#fbe2cf", "severe": "#f8d7d3",
              "under the cut-off": "#e6f3ea", "cut-off or above": "#fbe2cf"}
LINE, ALERT, INK, GRID = "#0f6570", "#a4231c", "#1f2a30", "#737d83"
DOSING = "#5b3a8c"  # the dashed lines marking dosing sessions
RESPONSE = "#1d5e2f"  # the dotted line at half the baseline: at or below it is a response
WIDTH, HEIGHT, TICKS = 720, 300, 5
LEFT, RIGHT, TOP, BOTTOM, INSET = 40, 170, 14, 44, 14


class Change(NamedTuple):
    """Two consecutive scores that differ by at least the threshold."""

    before: tuple
    after: tuple
    delta: int


def ordered(points):
    return sorted(points, key=lambda p: p[0])


def large_changes(points, threshold=CHANGE_THRESHOLD):
    """Consecutive pairs of scores (in time order) whose totals differ by `threshold` or more."""
    points = ordered(points)
    return [Change(a, b, b[1] - a[1]) for a, b in zip(points, points[1:], strict=False)
            if abs(b[1] - a[1]) >= threshold]


def band_name(instrument, total):
    return SCALES[instrument].band(total)


def _n(value):
    """A coordinate: short, and never anything but a number."""
    return f"{float(value):.1f}".rstrip("0").rstrip(".")


def _when(dt, tz, with_time=False):
    local = dt.astimezone(tz)
    return local.strftime("%d %b %Y %H:%M" if with_time else "%d %b %Y")


class _Frame:
    """Maps (time, score) onto the plot area."""

    def __init__(self, points, maximum):
        self.maximum = maximum
        self.plot_w, self.plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        times = [p[0].timestamp() for p in points] or [0.0]
        self.t0, self.span = min(times), max(times) - min(times)

    def x(self, dt):
        if self.span == 0:
            return LEFT + self.plot_w / 2
        return LEFT + INSET + (self.plot_w - 2 * INSET) * (dt.timestamp() - self.t0) / self.span

    def y(self, total):
        total = min(max(total, 0), self.maximum)
        return TOP + self.plot_h * (1 - total / self.maximum)


def _bands(instrument, frame):
    parts = []
    for low, high, name in SCALES[instrument].bands:
        top, bottom = frame.y(min(high + 1, frame.maximum)), frame.y(low)
        label = f"{name.capitalize()}: {low}–{high}"
        parts.append(
            f'<rect class="band" x="{LEFT}" y="{_n(top)}" width="{frame.plot_w}" '
            f'height="{_n(bottom - top)}" fill="{BAND_FILLS.get(name, "#efeee9")}">'
            f"<title>{escape(label)}</title></rect>"
            f'<text x="{LEFT + frame.plot_w + 6}" y="{_n((top + bottom) / 2 + 4)}" '
            f'font-size="12" fill="{INK}">{escape(label)}</text>'
            f'<line x1="{LEFT - 4}" y1="{_n(bottom)}" x2="{LEFT + frame.plot_w}" y2="{_n(bottom)}" '
            f'stroke="{GRID}" stroke-width="0.5"/>'
            f'<text x="{LEFT - 7}" y="{_n(bottom + 4)}" font-size="12" fill="{INK}" '
            f'text-anchor="end">{low}</text>')
    top = frame.y(frame.maximum)
    parts.append(f'<text x="{LEFT - 7}" y="{_n(top + 4)}" font-size="12" fill="{INK}" '
                 f'text-anchor="end">{frame.maximum}</text>')
    return parts


def _time_axis(frame, tz):
    """The time axis with TICKS evenly spaced dates (one in the middle for a single day)."""
    base = TOP + frame.plot_h
    parts = [f'<line x1="{LEFT}" y1="{base}" x2="{LEFT + frame.plot_w}" y2="{base}" '
             f'stroke="{INK}" stroke-width="1"/>']
    with_time = 0 < frame.span < 3 * 86400
    count = TICKS if frame.span else 1
    for n in range(count):
        when = datetime.fromtimestamp(frame.t0 + frame.span * n / max(count - 1, 1), UTC)
        x = _n(frame.x(when))
        parts.append(f'<line x1="{x}" y1="{base}" x2="{x}" y2="{base + 5}" stroke="{INK}" '
                     f'stroke-width="1"/><text x="{x}" y="{base + 19}" font-size="12" '
                     f'fill="{INK}" text-anchor="middle">'
                     f"{escape(_when(when, tz, with_time))}</text>")
    return parts


def _segments(points, frame, highlight):
    parts = []
    for a, b in zip(points, points[1:], strict=False):
        delta = b[1] - a[1]
        big = highlight is not None and abs(delta) >= highlight
        coords = (f'x1="{_n(frame.x(a[0]))}" y1="{_n(frame.y(a[1]))}" '
                  f'x2="{_n(frame.x(b[0]))}" y2="{_n(frame.y(b[1]))}"')
        if big:
            text = f"Change of {delta:+d} points ({a[1]} to {b[1]})"
            parts.append(f'<line class="change-highlight" {coords} stroke="{ALERT}" '
                         f'stroke-width="5" stroke-linecap="round"><title>{escape(text)}</title>'
                         f"</line>")
        else:
            parts.append(f'<line class="segment" {coords} stroke="{LINE}" stroke-width="2"/>')
    return parts


def _markers(instrument, points, frame, tz):
    parts = []
    for when, total, item9 in points:
        cx, cy = _n(frame.x(when)), _n(frame.y(total))
        text = f"{_when(when, tz, True)}: {total} ({band_name(instrument, total)})"
        parts.append(f'<circle class="point" cx="{cx}" cy="{cy}" r="4.5" fill="{LINE}" '
                     f'stroke="#ffffff" stroke-width="1.5"><title>{escape(text)}</title></circle>')
        if item9:
            text = f"{_when(when, tz, True)}: item 9 answered above 0 ({ITEM9_MEANING})"
            parts.append(f'<circle class="item9-marker" cx="{cx}" cy="{cy}" r="9.5" fill="none" '
                         f'stroke="{ALERT}" stroke-width="3"><title>{escape(text)}</title></circle>')
    return parts


def _dosing_marks(marks, frame, tz):
    """A dashed vertical line at each dosing session, with its date as the title."""
    parts = []
    for when in sorted(marks):
        x = _n(frame.x(when))
        parts.append(f'<line class="dosing-mark" x1="{x}" y1="{TOP}" x2="{x}" '
                     f'y2="{_n(TOP + frame.plot_h)}" stroke="{DOSING}" stroke-width="2" '
                     f'stroke-dasharray="5 4"><title>{escape(f"Dosing session, {_when(when, tz)}")}'
                     f"</title></line>")
    return parts


def _response_line(points, frame):
    """A dotted line at half the baseline (the first score): at or below it is a response."""
    baseline = points[0][1]
    if len(points) < 2 or baseline <= 0:
        return []
    y = _n(frame.y(baseline / 2))
    text = f"Response line: half the first score ({baseline / 2:g})"
    return [f'<line class="response-line" x1="{LEFT}" y1="{y}" x2="{LEFT + frame.plot_w}" '
            f'y2="{y}" stroke="{RESPONSE}" stroke-width="2" stroke-dasharray="2 3">'
            f"<title>{escape(text)}</title></line>"]


def change_words(instrument, totals):
    """Response and remission in plain words ("" without a later score than the first)."""
    change = change_from_baseline(instrument, totals)
    if change is None or len(totals) < 2:
        return ""
    text = (f"From the first score of {change.baseline} to {change.latest}: "
            + ("a response (a drop of 50 % or more). " if change.response
               else "not yet a response (a drop of 50 % or more). "))
    if change.remission is None:
        text += "This questionnaire defines no remission score."
    elif change.remission:
        text += f"In remission (below {SCALES[instrument].remission_below})."
    else:
        text += f"Not in remission (below {SCALES[instrument].remission_below})."
    return text


def describe(instrument, points, tz=UTC, highlight=None, marks=()):
    """A one-paragraph text version of the chart (its <desc>)."""
    name = SCALES[instrument].name
    if not points:
        return f"No {name} scores yet."
    first, last = points[0], points[-1]
    text = (f"{name} totals, {len(points)} score{'s' if len(points) != 1 else ''} from "
            f"{_when(first[0], tz)} to {_when(last[0], tz)}; latest {last[1]} "
            f"({band_name(instrument, last[1])}). ")
    item9 = sum(1 for p in points if p[2])
    if item9:
        text += f"Item 9 above 0 on {item9} occasion{'s' if item9 != 1 else ''}. "
    if highlight is not None:
        changes = len(large_changes(points, highlight))
        text += f"{changes} change{'s' if changes != 1 else ''} of {highlight} points or more. "
    text += change_words(instrument, [p[1] for p in points]) + " "
    if marks:
        text += "Dosing sessions: " + ", ".join(_when(m, tz) for m in sorted(marks)) + "."
    return text.strip()


def svg_chart(points, instrument, tz=UTC, id_prefix=None, highlight="auto", marks=()):
    """The chart as SVG markup (Markup: a str already escaped). `highlight` is the change
    threshold; "auto" means CHANGE_THRESHOLD for PHQ-9 and none for GAD-7. `marks`: the times of
    dosing sessions, drawn as dashed lines (the time axis stretches to show them)."""
    if highlight == "auto":
        highlight = CHANGE_THRESHOLD if instrument == WATCHED else None
    points = ordered(points)
    maximum = SCALES[instrument].max_score
    marks = list(marks) if points else []  # no scores: no axis to mark
    frame = _Frame(points + [(m, 0, False) for m in marks], maximum)
    prefix = escape(id_prefix or f"chart-{instrument}")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'aria-labelledby="{prefix}-title {prefix}-desc">',
        f'<title id="{prefix}-title">{escape(SCALES[instrument].name)} scores over time</title>',
        f'<desc id="{prefix}-desc">{escape(describe(instrument, points, tz, highlight, marks))}'
        f"</desc>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
        *_bands(instrument, frame),
    ]
    if points:
        parts += _time_axis(frame, tz)
        parts += _dosing_marks(marks, frame, tz)
        parts += _response_line(points, frame)
        parts += _segments(points, frame, highlight)
        parts += _markers(instrument, points, frame, tz)
    else:
        parts.append(f'<text x="{LEFT + frame.plot_w / 2}" y="{TOP + frame.plot_h / 2}" '
                     f'font-size="14" fill="{INK}" text-anchor="middle">No scores yet</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above went through escape())


def build_series(measures, tz=UTC, id_prefix=None, marks=(), always=("phq9", "gad7")):
    """Per instrument with scores (and those in `always`): its rows, chart, large changes and
    response/remission. `measures`: MeasureResult-like rows (instrument, taken_at, total,
    item9_positive) in time order; `marks`: dosing dates (the therapist's charts only)."""
    series = []
    for scale in SCALES.values():
        rows = [m for m in measures if m.instrument == scale.key]
        if not rows and scale.key not in always:
            continue
        points = [(m.taken_at, m.total, m.item9_positive) for m in rows]
        totals = [m.total for m in rows]
        series.append({
            "key": scale.key, "name": scale.name, "rows": rows,
            "svg": svg_chart(points, scale.key, tz=tz, marks=marks, id_prefix=(
                f"{id_prefix}-{scale.key}" if id_prefix else None)),
            "changes": large_changes(points) if scale.key == WATCHED else [],
            "change": change_from_baseline(scale.key, totals) if len(totals) > 1 else None,
            "change_words": change_words(scale.key, totals)})
    return series
