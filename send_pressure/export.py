"""Chart images that carry their provenance: the on-screen Plotly figure, stamped with its title, period,
source and the link to the view, exported server-side as SVG or PNG.

Export uses Kaleido (pinned in requirements.txt), which drives a headless Chromium found on the PATH
(Debian's ``chromium`` works offline). :func:`export_problem` says when it cannot run, so a page can
offer the CSV only. In a PNG the same provenance is also written as text chunks (Title, Source, Period,
URL), readable by image tools.
"""

from __future__ import annotations

import functools
import io
import shutil
import textwrap
import warnings

import plotly.graph_objects as go

from send_pressure.charts import INK, chart_title

#: Size of an exported image in CSS pixels (PNG at twice this).
WIDTH, HEIGHT = 1000, 600
#: Characters per line of the stamp under the chart.
WRAP = 130
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


@functools.cache
def export_problem() -> str | None:
    """Why chart images cannot be made on this machine (Kaleido or a Chromium missing), or None."""
    try:
        import kaleido  # noqa: F401
    except ImportError as e:
        return f"The image exporter (Kaleido) is not installed: {e}."
    if not any(shutil.which(b) for b in BROWSERS):
        return "No Chromium browser is installed for the image exporter."
    return None


def stamp_lines(period: str, source: str, link: str) -> list[str]:
    """The provenance lines written under a chart: period and source (wrapped), then the view's link."""
    text = f"{source.strip()} Period: {period}." if period and "Period:" not in source else source.strip()
    return [*textwrap.wrap(text, WRAP), f"View and data: {link}"]


def stamped(fig: go.Figure, period: str, source: str, link: str, size: tuple[int, int] | None = None) -> go.Figure:
    """A copy of ``fig`` with its title on top and period, source and link under the plot.

    ``source``: plain text naming publisher, title and release (e.g. from ``ui.source_caption``);
    ``link``: the address of the view the chart came from; ``size``: (width, height) of the whole image
    (default: 1000 wide, the chart's height plus the stamp). The figure itself is not changed.
    """
    out = go.Figure(fig)
    title = chart_title(fig)
    lines = stamp_lines(period, source, link)
    extra = 22 * len(lines) + 30
    margin = out.layout.margin
    out.update_layout(
        title=dict(text=title, x=0.01, xanchor="left", y=0.99, yanchor="top", font=dict(size=18, color=INK)),
        margin=dict(l=margin.l or 10, r=margin.r or 10, t=(margin.t or 0) + 60, b=(margin.b or 0) + extra),
        width=size[0] if size else WIDTH,
        height=size[1] if size else max(out.layout.height or HEIGHT, HEIGHT) + extra,
    )
    out.add_annotation(
        text="<br>".join(lines),
        xref="paper",
        yref="paper",
        x=0,
        y=0,
        yshift=-extra + 4,
        xanchor="left",
        yanchor="bottom",
        align="left",
        showarrow=False,
        font=dict(size=12, color=INK),
    )
    return out


def to_image(fig: go.Figure, fmt: str, meta: dict[str, str] | None = None, scale: int = 2) -> bytes:
    """SVG or PNG bytes of a (stamped) figure; ``meta`` is written into a PNG's text chunks; ``scale``: pixels
    per CSS pixel of a PNG (2 for print and zoom, 1 for link previews).

    Raises RuntimeError (with :func:`export_problem`'s message) when images cannot be made here.
    """
    problem = export_problem()
    if problem:
        raise RuntimeError(problem)
    with warnings.catch_warnings():  # plotly warns that its default options are unused with a shared browser
        warnings.filterwarnings("ignore", message="The kopts argument is ignored")
        data = fig.to_image(format=fmt, scale=scale if fmt == "png" else 1)
    if fmt != "png" or not meta:
        return data
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in meta.items():
        info.add_itxt(key, value)
    out = io.BytesIO()
    Image.open(io.BytesIO(data)).save(out, format="png", pnginfo=info)
    return out.getvalue()
