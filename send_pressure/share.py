"""Share cards: small static pages that give a shared link a preview (title, one-line takeaway with the
figure and period, and a chart image stamped with source and date) and forward people to the live view.

Streamlit draws pages with JavaScript, which link-preview crawlers do not run, so each shareable view gets
a plain HTML page with Open Graph and Twitter metadata and a PNG, written to ``static/share/`` and served
by Streamlit's static file serving (``server.enableStaticServing``) at ``/app/static/share/<name>.html``.
Every figure comes from the database. Built by::

    python -m send_pressure.share [--db PATH] [--base-url https://dashboard.example] [--la CODE ...] [--force]

``--base-url``: the public address of the dashboard, so crawlers get absolute links (default: the
``SEND_PUBLIC_URL`` environment variable, else links relative to the site root).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path

import pandas as pd

from send_pressure import charts, compare
from send_pressure.catalogue import format_change, format_value, lead, period_label
from send_pressure.citation import long_date
from send_pressure.queries import ENGLAND, Store

ROOT = Path(__file__).resolve().parents[1]
STATIC_DIR = ROOT / "static" / "share"
SERVED_AT = "app/static/share"
#: Open Graph's recommended image size.
CARD_WIDTH, CARD_HEIGHT = 1200, 630
#: Views with a card per local authority: url path -> (page title, catalogue topic whose lead figure is on the card).
LA_VIEWS = {
    "profile": ("Local authority profile", "timeliness"),
    "delays": ("Assessment delays", "timeliness"),
    "requests": ("Requests and assessments", "refusals"),
    "funding": ("High needs funding", "funding"),
}
#: The topic whose lead figure (the EHC plans caseload) is on the overview's card.
OVERVIEW_TOPIC = "plans"
STAMP_FILE = ".built"


def card_name(url_path: str, la_code: str | None = None) -> str | None:
    """File name (no extension) of a view's card: 'overview', or '<view>-<LA code>'; None for views without
    cards."""
    if url_path in ("", "overview"):
        return "overview"
    if url_path in LA_VIEWS and la_code:
        return f"{url_path}-{la_code}"
    return None


@dataclass
class Card:
    """One share card: what the preview says and where it leads."""

    name: str
    title: str
    takeaway: str
    live_path: str  # e.g. 'profile?la=E08000035'
    figure: object  # plotly Figure, stamped when written
    period: str
    source: str


def _source_text(store: Store, frame: pd.DataFrame) -> str:
    s = store.sources.set_index("source_id")
    names = [
        f"{s.at[sid, 'publisher']}, {s.at[sid, 'title']} ({s.at[sid, 'release']})"
        for sid in dict.fromkeys(frame.source_id.dropna())
        if sid in s.index
    ]
    return f"Source: {'; '.join(names)}."


def overview_card(store: Store) -> Card | None:
    """England's EHC plan caseload: latest figure and change on the period before."""
    ind = lead(store.indicators, OVERVIEW_TOPIC)
    series = store.series(ind.indicator_id, [ENGLAND]).assign(series="England")
    latest, previous = compare.change(series)
    if latest is None:
        return None
    takeaway = f"{ind.label}, England, {period_label(latest.time_period)}: {format_value(latest.value, None, ind.unit)}"
    if previous is not None:
        delta = format_change(latest.value - previous.value, ind.unit)
        takeaway += f" ({delta} on {period_label(previous.time_period)})"
    fig = charts.trend(series, ind, f"{ind.label}, England", highlight="England")
    return Card(
        "overview",
        "SEND in England: the latest official figures",
        takeaway + ".",
        "",
        fig,
        charts.period_span(series),
        _source_text(store, series),
    )


def la_card(store: Store, view: str, la_code: str) -> Card | None:
    """A local authority's card for ``view`` (see :data:`LA_VIEWS`): its latest figure against England."""
    page, topic = LA_VIEWS[view]
    ind = lead(store.indicators, topic)
    iid = ind.indicator_id
    la_name = store.area_name(la_code)
    rows = compare.benchmarks(store, iid, la_code)
    own = rows[(rows.role == "la") & rows.value.notna()].sort_values("year")
    if own.empty:
        return None
    last = own.iloc[-1]
    eng = rows[(rows.role == "england") & (rows.time_period == last.time_period) & rows.value.notna()]
    takeaway = f"{ind.label}, {period_label(last.time_period)}: {la_name} {format_value(last.value, None, ind.unit)}"
    if len(eng):
        takeaway += f"; England {format_value(eng.value.iloc[0], None, ind.unit)}"
    fig = charts.trend(rows, ind, f"{ind.chart_title}: {la_name} against benchmarks")
    return Card(
        f"{view}-{la_code}",
        f"{page}: {la_name}",
        takeaway + ".",
        f"{view}?la={la_code}",
        fig,
        charts.period_span(rows),
        _source_text(store, rows),
    )


def card_html(card: Card, base_url: str, built: date) -> str:
    """The card's HTML page: preview metadata, the takeaway and image, and a forward to the live view."""
    base = base_url.rstrip("/")
    live = f"{base}/{card.live_path}"
    image = f"{base}/{SERVED_AT}/{card.name}.png"
    page = f"{base}/{SERVED_AT}/{card.name}.html"
    alt = f"Chart: {charts.chart_title(card.figure)}. {card.takeaway} {card.source}"
    e = {k: escape(v, quote=True) for k, v in dict(live=live, image=image, page=page, alt=alt).items()}
    title, takeaway = escape(card.title, quote=True), escape(card.takeaway, quote=True)
    meta = [
        ("name", "description", takeaway),
        ("property", "og:type", "website"),
        ("property", "og:site_name", "SEND Pressure Dashboard"),
        ("property", "og:title", title),
        ("property", "og:description", takeaway),
        ("property", "og:url", e["page"]),
        ("property", "og:image", e["image"]),
        ("property", "og:image:width", str(CARD_WIDTH)),
        ("property", "og:image:height", str(CARD_HEIGHT)),
        ("property", "og:image:alt", e["alt"]),
        ("name", "twitter:card", "summary_large_image"),
        ("name", "twitter:title", title),
        ("name", "twitter:description", takeaway),
        ("name", "twitter:image", e["image"]),
        ("name", "twitter:image:alt", e["alt"]),
    ]
    head = "\n".join(f'<meta {a}="{k}" content="{v}">' for a, k, v in meta)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | SEND Pressure Dashboard</title>
{head}
<meta http-equiv="refresh" content="0; url={e["live"]}">
<link rel="canonical" href="{e["live"]}">
</head>
<body style="font-family: Arial, sans-serif; color: #1a1a1a; max-width: 60rem; margin: 1rem auto; padding: 1rem">
<h1>{title}</h1>
<p>{takeaway}</p>
<p><a href="{e["live"]}">Open the live view on the SEND Pressure Dashboard</a></p>
<p><img src="{e["image"]}" alt="{e["alt"]}" style="max-width: 100%; height: auto"></p>
<p>{escape(card.source)} Card made {long_date(built)} from the dashboard's database.</p>
</body></html>
"""


def cards(store: Store, la_codes: list[str] | None = None) -> list[Card]:
    """Every card: the overview, and each view in :data:`LA_VIEWS` for each current LA (or ``la_codes``)."""
    codes = la_codes or list(store.current_authorities.new_la_code)
    out = [overview_card(store)] + [la_card(store, view, code) for code in codes for view in LA_VIEWS]
    return [c for c in out if c is not None]


def build_cards(store: Store, out_dir: Path = STATIC_DIR, base_url: str = "", la_codes: list[str] | None = None) -> int:
    """Write every card's HTML and PNG to ``out_dir`` (replaced whole, only once all are written); returns
    how many. Raises RuntimeError when chart images cannot be made (``export.export_problem``)."""
    import kaleido

    from send_pressure import export

    problem = export.export_problem()
    if problem:
        raise RuntimeError(problem)
    built = date.today()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".share-", dir=out_dir.parent))
    made = cards(store, la_codes)
    kaleido.start_sync_server(silence_warnings=True)  # one browser for every image
    try:
        for card in made:
            link = f"{base_url.rstrip('/')}/{card.live_path}"
            source = f"{card.source} Chart made {long_date(built)}."
            fig = export.stamped(card.figure, card.period, source, link, size=(CARD_WIDTH, CARD_HEIGHT))
            png = export.to_image(fig, "png", {"Title": card.title, "Source": source, "URL": link}, scale=1)
            (tmp / f"{card.name}.png").write_bytes(png)
            (tmp / f"{card.name}.html").write_text(card_html(card, base_url, built), encoding="utf-8")
        (tmp / STAMP_FILE).write_text(str(store.built_at), encoding="utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
    old = out_dir.with_name(f".old-{out_dir.name}")
    shutil.rmtree(old, ignore_errors=True)
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
    return len(made)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the cards unless they are already up to date with the database."""
    parser = argparse.ArgumentParser(prog="python -m send_pressure.share", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("SEND_DB", ROOT / "data" / "send.duckdb")))
    parser.add_argument("--base-url", default=os.environ.get("SEND_PUBLIC_URL", ""))
    parser.add_argument("--out", type=Path, default=STATIC_DIR)
    parser.add_argument("--la", nargs="*", help="only these LA codes (default: every current authority)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the cards match the database")
    args = parser.parse_args(argv)
    from send_pressure.queries import DatabaseMissing

    try:
        store = Store(args.db)
    except DatabaseMissing as e:
        print(e, file=sys.stderr)
        return 2
    stamp = args.out / STAMP_FILE
    if not args.force and not args.la and stamp.exists() and stamp.read_text() == str(store.built_at):
        print(f"Share cards in {args.out} are up to date with the database.")
        return 0
    try:
        n = build_cards(store, args.out, args.base_url, args.la)
    except RuntimeError as e:
        print(f"Share cards not built: {e}", file=sys.stderr)
        return 1
    print(f"Wrote {n} share cards to {args.out}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
