"""Charts as ReportLab drawings: vector in the PDF as they are, inline SVG in the HTML.

One definition serves both formats. ReportLab draws a chart in milliseconds,
where a Vega-Lite chart through vl-convert cost 44 ms to render and as much
again to turn into something a PDF can hold: at 7 charts a manager report and
400 managers, that was minutes of the report step.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String, UserNode
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from publishing.reports.fonts import BOLD, REGULAR, register_fonts

TEAM_COLOUR = colors.HexColor("#1f5fa8")
COMPANY_COLOUR = colors.HexColor("#9aa5b1")
GAIN_COLOUR = colors.HexColor("#2e8b57")
LOSS_COLOUR = colors.HexColor("#c0392b")
TOTAL_COLOUR = colors.HexColor("#1f5fa8")
FORECAST_COLOURS = [colors.HexColor(code) for code in ("#1f5fa8", "#4f8fd6", "#9cc3ee", "#d7e6f7")]
GRID_COLOUR = colors.HexColor("#e3e8ee")
AXIS_COLOUR = colors.HexColor("#888888")


def short_number(value: float) -> str:
    """An axis label: 1.2M, 350k, 40 (the team's scale at a glance, not its cents)."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:.3g}" if value else "0"


def short_percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def svg(drawing: Drawing) -> str:
    """The drawing as an ``<svg>`` element to inline in HTML, in the reports' font.

    Written straight from the drawing's plain shapes (``_primitive``): ReportLab's
    own SVG renderer builds an XML DOM node by node, a third of a manager
    report's cost. The ``<svg>`` element clips to its own box, so no clip path
    (and no id that two charts of a page could share) is needed.
    """
    height = drawing.height
    # SVG's y axis points down: the group flips it, and each text is flipped back about its baseline.
    body = "".join(_svg_node(node) for node in drawing.contents)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(drawing.width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(drawing.width)} {_n(height)}" overflow="hidden">'
        f'<g transform="matrix(1,0,0,-1,0,{_n(height)})">{body}</g></svg>'
    )


SVG_ANCHORS = {"start": "start", "middle": "middle", "end": "end", "numeric": "end"}


def _n(value: float) -> str:
    """A coordinate, short: 12, 12.5, 12.346."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _paint(colour: colors.Color | None) -> str:
    return "none" if colour is None else "#" + colour.hexval()[2:]


def _stroke(shape) -> str:
    if shape.strokeColor is None or not shape.strokeWidth:
        return ' stroke="none"'
    dashes = ""
    if shape.strokeDashArray:
        pattern = shape.strokeDashArray
        phase, pattern = pattern if isinstance(pattern[-1], (list, tuple)) else (0, pattern)  # (phase, [on, off])
        dashes = f' stroke-dasharray="{" ".join(_n(dash) for dash in pattern)}"'
        dashes += f' stroke-dashoffset="{_n(phase)}"' if phase else ""
    return f' stroke="{_paint(shape.strokeColor)}" stroke-width="{_n(shape.strokeWidth)}"{dashes}'


def _svg_node(node) -> str:
    if isinstance(node, Group):
        inner = "".join(_svg_node(child) for child in node.contents)
        if tuple(node.transform) == (1, 0, 0, 1, 0, 0):
            return inner
        return f'<g transform="matrix({",".join(_n(value) for value in node.transform)})">{inner}</g>'
    if isinstance(node, String):
        weight = ' font-weight="bold"' if node.fontName == BOLD else ""
        return (
            f'<text x="{_n(node.x)}" y="{_n(-node.y)}" transform="scale(1,-1)" style="font-family: \'DejaVu Sans\';"'
            f'{weight} font-size="{_n(node.fontSize)}" text-anchor="{SVG_ANCHORS[node.textAnchor]}" '
            f'fill="{_paint(node.fillColor)}">{html.escape(node.text)}</text>'
        )
    if isinstance(node, Line):
        return f'<line x1="{_n(node.x1)}" y1="{_n(node.y1)}" x2="{_n(node.x2)}" y2="{_n(node.y2)}"{_stroke(node)}/>'
    if isinstance(node, Rect):
        # A bar below zero has a negative height in ReportLab; SVG draws no rectangle of negative size.
        x, y = min(node.x, node.x + node.width), min(node.y, node.y + node.height)
        corners = f' rx="{_n(node.rx)}" ry="{_n(node.ry)}"' if node.rx or node.ry else ""
        return (
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(abs(node.width))}" height="{_n(abs(node.height))}"{corners} '
            f'fill="{_paint(node.fillColor)}"{_stroke(node)}/>'
        )
    if isinstance(node, Circle):
        centre = f'cx="{_n(node.cx)}" cy="{_n(node.cy)}" r="{_n(node.r)}"'
        return f'<circle {centre} fill="{_paint(node.fillColor)}"{_stroke(node)}/>'
    if isinstance(node, PolyLine):
        points = " ".join(f"{_n(x)},{_n(y)}" for x, y in zip(node.points[::2], node.points[1::2], strict=True))
        return f'<polyline points="{points}" fill="none"{_stroke(node)}/>'
    raise TypeError(f"charts.svg cannot draw a {type(node).__name__}: add it to _svg_node")


def _primitive(node):
    """The node with every chart widget in it replaced by the plain shapes it draws.

    A chart is drawn twice (PDF and SVG), and each renderer would otherwise
    compute every axis, label and bar again. (ReportLab's own ``expandUserNodes``
    copies each shape, and lines cannot be copied.)
    """
    if isinstance(node, UserNode):
        return _primitive(node.provideNode())
    if isinstance(node, Group):
        node.contents = [_primitive(child) for child in node.contents]
    return node


def _title(drawing: Drawing, text: str) -> None:
    drawing.add(String(0, drawing.height - 11, text, fontName=BOLD, fontSize=10))


def _style_value_axis(axis, label_format: Callable[[float], str]) -> None:
    axis.labels.fontName = REGULAR
    axis.labels.fontSize = 7
    axis.labelTextFormat = label_format
    axis.strokeColor = AXIS_COLOUR
    axis.gridStrokeColor = GRID_COLOUR
    axis.visibleGrid = True
    axis.forceZero = True
    # Ticks at the ends, so the highest bar or point stays under a labelled gridline.
    axis.rangeRound = "both"


def _legend(x: float, y: float, entries: list[tuple[colors.Color, str]]) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName = REGULAR
    legend.fontSize = 8
    legend.boxAnchor = "nw"
    legend.dx = legend.dy = 7
    legend.deltax = 60
    legend.strokeWidth = 0
    legend.strokeColor = None
    legend.colorNamePairs = entries
    return legend


def kpi_trend(title: str, months: list[dt.date], series: dict[str, list[float | None]], percent: bool) -> Drawing:
    """One KPI over the trend months, a line per scope (the team and, for comparison, the company)."""
    register_fonts()
    drawing = Drawing(255, 150)
    _title(drawing, title)
    scope_colours = list(zip(series, [TEAM_COLOUR, COMPANY_COLOUR], strict=False))
    drawing.add(_legend(0, drawing.height - 16, [(colour, scope) for scope, colour in scope_colours]))
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 34, 32, 215, 82
    chart.data = [list(points) for points in series.values()]
    chart.categoryAxis.categoryNames = [month.strftime("%Y-%m") for month in months]
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = 6.5
    chart.categoryAxis.labels.angle = 45
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.strokeColor = AXIS_COLOUR
    _style_value_axis(chart.valueAxis, short_percent if percent else short_number)
    for index, (_, colour) in enumerate(scope_colours):
        chart.lines[index].strokeColor = colour
        chart.lines[index].strokeWidth = 1.5
        chart.lines[index].symbol = makeMarker("FilledCircle", size=3, fillColor=colour, strokeColor=colour)
    if not any(value is not None for points in series.values() for value in points):
        chart.data = [[0.0] * len(months)]
        chart.lines[0].strokeColor = None
        chart.lines[0].symbol = None
    drawing.add(chart)
    return _primitive(drawing)


def waterfall(month_label: str, movements: list[tuple[str, float]]) -> Drawing:
    """A month's waterfall: opening, each movement as a floating bar, closing.

    Drawn as two stacked series: an invisible base up to where a bar starts, and the bar.
    """
    register_fonts()
    bases, heights, kinds, level = [], [], [], 0.0
    for index, (_, amount) in enumerate(movements):
        is_total = index in (0, len(movements) - 1)
        start, end = (0.0, amount) if is_total else (level, level + amount)
        level = end
        bases.append(min(start, end))
        heights.append(abs(end - start))
        kinds.append(TOTAL_COLOUR if is_total else (GAIN_COLOUR if amount >= 0 else LOSS_COLOUR))
    drawing = Drawing(440, 185)
    _title(drawing, f"Pipeline waterfall, {month_label}")
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 36, 395, 125
    chart.categoryAxis.style = "stacked"
    chart.data = [bases, heights]
    chart.categoryAxis.categoryNames = [label for label, _ in movements]
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.strokeColor = AXIS_COLOUR
    _style_value_axis(chart.valueAxis, short_number)
    chart.bars.strokeColor = None
    chart.bars[0].fillColor = None
    chart.bars[0].strokeColor = None
    for index, colour in enumerate(kinds):
        chart.bars[(1, index)].fillColor = colour
    drawing.add(chart)
    return _primitive(drawing)


def forecast(segments: list[tuple[str, float]], quota: float | None) -> Drawing:
    """Won so far, then commit, best case and pipeline, stacked against the quarter's quota (dashed)."""
    register_fonts()
    drawing = Drawing(440, 80)
    _title(drawing, "Forecast vs quota")
    chart = HorizontalBarChart()
    chart.x, chart.y, chart.width, chart.height = 10, 30, 420, 28
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.visible = False
    chart.data = [[max(amount, 0.0)] for _, amount in segments]
    chart.barWidth = 20
    chart.bars.strokeColor = None
    for index, colour in enumerate(FORECAST_COLOURS[: len(segments)]):
        chart.bars[index].fillColor = colour
    total = sum(max(amount, 0.0) for _, amount in segments)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(total, quota or 0.0) * 1.05 or 1.0
    _style_value_axis(chart.valueAxis, short_number)
    chart.valueAxis.visibleGrid = False
    drawing.add(chart)
    if quota:
        x = chart.x + chart.width * quota / chart.valueAxis.valueMax
        drawing.add(
            Line(
                x,
                chart.y - 2,
                x,
                chart.y + chart.height + 2,
                strokeColor=colors.HexColor("#222222"),
                strokeWidth=2,
                strokeDashArray=[4, 3],
            )
        )
    drawing.add(
        _legend(0, 8, [(colour, label) for colour, (label, _) in zip(FORECAST_COLOURS, segments, strict=False)])
    )
    drawing.contents[-1].deltax = 95
    return _primitive(drawing)
