"""Charts as inline SVG: Altair specs rendered by vl-convert, with no browser and no network."""

from __future__ import annotations

import datetime as dt

import altair as alt
import vl_convert

TEAM_COLOUR = "#1f5fa8"
COMPANY_COLOUR = "#9aa5b1"
GAIN_COLOUR = "#2e8b57"
LOSS_COLOUR = "#c0392b"
TOTAL_COLOUR = "#1f5fa8"
FONT = "DejaVu Sans"


def _svg(chart: alt.TopLevelMixin) -> str:
    spec = chart.configure(font=FONT).configure_view(strokeWidth=0).to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    # The SVG is inlined in HTML: drop the XML prolog, keep the <svg> element.
    return svg[svg.index("<svg") :]


def kpi_trend(title: str, months: list[dt.date], series: dict[str, list[float | None]], percent: bool) -> str:
    """One KPI over the trend months, a line per scope (the team and, for comparison, the company)."""
    values = [
        {"month": month.strftime("%Y-%m"), "value": value, "scope": scope}
        for scope, points in series.items()
        for month, value in zip(months, points, strict=True)
        if value is not None
    ]
    colours = [TEAM_COLOUR, COMPANY_COLOUR][: len(series)]
    chart = (
        alt.Chart(alt.Data(values=values), title=alt.TitleParams(title, anchor="start", fontSize=11))
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "month:O",
                title=None,
                sort=[m.strftime("%Y-%m") for m in months],
                axis=alt.Axis(labelAngle=-45, labelFontSize=8),
            ),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=".0%" if percent else "~s", labelFontSize=8)),
            color=alt.Color(
                "scope:N",
                scale=alt.Scale(domain=list(series), range=colours),
                legend=alt.Legend(orient="top", title=None, labelFontSize=9),
            ),
        )
        .properties(width=250, height=110)
    )
    return _svg(chart)


def waterfall(month_label: str, movements: list[tuple[str, float]]) -> str:
    """A month's waterfall: opening, each movement as a floating bar, closing."""
    values, level = [], 0.0
    for index, (label, amount) in enumerate(movements):
        is_total = index in (0, len(movements) - 1)
        start, end = (0.0, amount) if is_total else (level, level + amount)
        level = end
        values.append(
            {
                "step": label,
                "order": index,
                "start": start,
                "end": end,
                "amount": amount,
                "kind": "total" if is_total else ("gain" if amount >= 0 else "loss"),
            }
        )
    chart = (
        alt.Chart(
            alt.Data(values=values),
            title=alt.TitleParams(f"Pipeline waterfall, {month_label}", anchor="start", fontSize=11),
        )
        .mark_bar()
        .encode(
            x=alt.X(
                "step:N",
                sort=[label for label, _ in movements],
                title=None,
                axis=alt.Axis(labelAngle=-30, labelFontSize=9),
            ),
            y=alt.Y("start:Q", title=None, axis=alt.Axis(format="~s", labelFontSize=8)),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                legend=None,
                scale=alt.Scale(domain=["total", "gain", "loss"], range=[TOTAL_COLOUR, GAIN_COLOUR, LOSS_COLOUR]),
            ),
        )
        .properties(width=420, height=170)
    )
    return _svg(chart)


def forecast(segments: list[tuple[str, float]], quota: float | None) -> str:
    """Won so far, then commit, best case and pipeline, stacked against the quarter's quota."""
    values, start = [], 0.0
    for label, amount in segments:
        values.append({"segment": label, "start": start, "end": start + amount, "row": "This quarter"})
        start += amount
    layers = [
        alt.Chart(alt.Data(values=values))
        .mark_bar(height=28)
        .encode(
            x=alt.X("start:Q", title=None, axis=alt.Axis(format="~s", labelFontSize=8)),
            x2="end:Q",
            y=alt.Y("row:N", title=None, axis=None),
            color=alt.Color(
                "segment:N",
                sort=[label for label, _ in segments],
                scale=alt.Scale(
                    domain=[label for label, _ in segments], range=["#1f5fa8", "#4f8fd6", "#9cc3ee", "#d7e6f7"]
                ),
                legend=alt.Legend(orient="bottom", title=None, labelFontSize=9),
            ),
        )
    ]
    if quota:
        layers.append(
            alt.Chart(alt.Data(values=[{"quota": quota}]))
            .mark_rule(color="#222", strokeDash=[4, 3], strokeWidth=2)
            .encode(x="quota:Q")
        )
    chart = alt.layer(*layers, title=alt.TitleParams("Forecast vs quota", anchor="start", fontSize=11))
    return _svg(chart.properties(width=420, height=50))
