"""One definition of series styles: the app's Plotly charts and the briefing's matplotlib charts draw the
authority, its region, England and its statistical neighbours alike."""

from __future__ import annotations

import base64

from send_pressure import charts, palette


def test_app_styles_come_from_the_palette():
    # By role (benchmark frames), whatever the series is called.
    assert charts._style("Kent", "la", None, {}) == palette.ROLES["la"].plotly
    assert charts._style("England", "england", None, {}) == palette.ROLES["england"].plotly
    assert charts._style("Statistical neighbours", "neighbours", None, {}) == palette.ROLES["neighbours"].plotly
    assert charts._style("South East", "region", None, {}) == palette.ROLES["region"].plotly
    # Frames without roles: the highlighted series is the LA's; the first other series takes the region's style.
    assert charts._style("Kent", None, "Kent", {}) == palette.ROLES["la"].plotly
    assert charts._style("Medway", None, "Kent", {}) == palette.ROLES["region"].plotly


def test_every_style_has_a_matplotlib_form():
    for style in [*palette.ROLES.values(), *palette.OTHERS]:
        assert set(style.matplotlib) == {"color", "linestyle", "marker"}


def test_briefing_chart_uses_the_app_colours(store):
    from send_pressure.briefing.figures import chart_svg

    uri = chart_svg(store, "pct_within_20_weeks", "E10000016")
    svg = base64.b64decode(uri.split(",", 1)[1]).decode().lower()
    for role in ("la", "england", "neighbours", "region"):
        assert palette.ROLES[role].colour.lower() in svg, role
