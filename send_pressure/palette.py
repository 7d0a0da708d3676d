"""Colours and line styles of every chart, the app's (Plotly) and the briefing's (matplotlib): one definition.

Okabe-Ito colours (safe for colour-blind readers), and each comparison series has its own line style and
symbol as well as colour, so a chart still reads in greyscale or print. The authority itself is always
vermilion and solid, England always blue and dashed, the statistical neighbours' median green and dotted,
the region orange, dash-dot.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Okabe-Ito colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
#: The authority a chart is about.
HIGHLIGHT = "#D55E00"
#: Text colour of every chart label (about 17:1 on white).
INK = "#1A1A1A"
#: Horizontal grid lines.
GRID = "#E8E8E8"
#: The dashed line drawn where a series changes method.
BREAK_COLOUR = "#444444"


@dataclass(frozen=True)
class Style:
    """How one series is drawn: colour, Plotly dash and symbol names, and the same in words for captions."""

    colour: str
    dash: str  # Plotly: solid | dash | dot | dashdot | longdash
    symbol: str  # Plotly: circle | square | diamond | triangle-up | x | star
    words: str  # 'vermilion, solid line, circles'

    @property
    def plotly(self) -> tuple[str, str, str]:
        """(colour, dash, symbol) as Plotly takes them."""
        return self.colour, self.dash, self.symbol

    @property
    def matplotlib(self) -> dict:
        """``color``, ``linestyle`` and ``marker`` keyword arguments for matplotlib's ``plot``."""
        return dict(color=self.colour, linestyle=_MPL_DASH[self.dash], marker=_MPL_MARKER[self.symbol])


_MPL_DASH = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-.", "longdash": (0, (8, 3))}
_MPL_MARKER = {"circle": "o", "square": "s", "diamond": "D", "triangle-up": "^", "x": "x", "star": "*"}

#: Each role a benchmark series plays.
ROLES = {
    "la": Style(HIGHLIGHT, "solid", "circle", "vermilion, solid line, circles"),
    "england": Style("#0072B2", "dash", "square", "blue, dashes, squares"),
    "neighbours": Style("#009E73", "dot", "diamond", "green, dots, diamonds"),
    "region": Style("#E69F00", "dashdot", "triangle-up", "orange, dash-dot, triangles"),
}
#: Any further series (another authority on the Compare page), in order of appearance.
OTHERS = [
    Style("#CC79A7", "longdash", "x", "pink, long dashes, crosses"),
    Style("#56B4E9", "dot", "star", "sky blue, dots, stars"),
]
