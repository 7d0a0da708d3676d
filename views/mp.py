"""MPs and constituencies: pick a constituency (or type an MP's name) and see the SEND figures of the local
authorities that serve it, beside England and each authority's statistical neighbours.

Link parameters: ``pcon`` (constituency code, e.g. E14001076), ``mp`` (a search text), ``rel`` (release).
"""

import streamlit as st

from send_pressure import mp
from send_pressure.escaping import md, md_table
from send_pressure.ui import cite_this, link_state, page_title, record_rows, shared, show_notices, store

PAGE_TITLE = "MPs and constituencies"

st.title(PAGE_TITLE)
page_title(PAGE_TITLE)
state = link_state()
cons = shared(("constituencies",), mp.constituency_list, store())
codes = list(cons.pcon_code)
labels = shared(("constituency labels",), lambda: dict(zip(cons.pcon_code, cons.apply(mp.label, axis=1), strict=True)))


def _pick(code: str) -> None:
    """Callback: show this constituency and clear the search box."""
    st.session_state.w_pcon = code
    st.session_state.w_mp = ""


def _search() -> None:
    """Callback (and first load from a link): a single match selects its constituency."""
    found = mp.find(store(), st.session_state.w_mp)
    if len(found.codes) == 1:
        _pick(found.codes[0])


# First run of a session: take the selection from the link.
if "w_pcon" not in st.session_state:
    raw = state.raw("pcon")
    st.session_state.w_pcon = state.choice("pcon", codes, None, "constituency") if raw else None
    if st.session_state.w_pcon is None and raw:
        state.notices[-1] = f"Unknown constituency '{raw[:40]}' in the link; choose one below."
if "w_mp" not in st.session_state:
    st.session_state.w_mp = state.raw("mp") or ""
    if st.session_state.w_mp:
        _search()
show_notices(state)

left, right = st.columns([3, 2])
with left:
    code = st.selectbox(
        "Constituency", codes, index=None, format_func=labels.get, key="w_pcon", placeholder="Choose a constituency"
    )
with right:
    text = st.text_input(
        "Or search by MP or place", key="w_mp", on_change=_search, placeholder="e.g. Scrogham, or Barrow"
    )
state.write(pcon=code, mp=text.strip() or None)

if text.strip():
    found = mp.find(store(), text)
    if found.message:
        st.warning(md(found.message))  # quotes the search text
    shown = found.suggestions or [(c, labels[c]) for c in found.codes[:12]]
    if found.codes and len(found.codes) > 1:
        st.markdown(
            f"'{md(text.strip()[:60])}' matches {len(found.codes)} constituencies"
            + (" (first 12 shown)" if len(found.codes) > 12 else "")
            + ":"
        )
    for c, lbl in shown:
        st.button(md(lbl), key=f"pick_{c}", on_click=_pick, args=(c,), type="tertiary", icon=":material/arrow_forward:")

if code is None:
    st.markdown(
        "Choose a constituency, or type an MP's name or a place. The page shows the MP and the SEND figures of "
        "each local authority that serves the constituency, against England and similar authorities."
    )
    st.stop()

row = cons.set_index("pcon_code").loc[code]
las = mp.authorities(store(), code)
page_title(PAGE_TITLE, row.pcon_name)
st.header(md(row.pcon_name))
mp_line = f"**MP:** {md(row.mp_name)} ({md(row.party)})" if isinstance(row.mp_name, str) else "**MP:** none listed"
names = [md(n) for n in las.la_name]
served = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
st.markdown(f"{mp_line}  \n**Local {'authority' if len(names) == 1 else f'authorities ({len(names)})'}:** {served}")
st.caption(
    "SEND services are run by local authorities (county, unitary, metropolitan or London borough councils), "
    "so the figures are for each authority as a whole, not for the constituency."
    + (" This constituency is served by more than one." if len(names) > 1 else "")
)

figures = shared(
    ("mp figures", code),
    lambda: {
        name: mp.headline_figures(store(), la_code) for la_code, name in zip(las.new_la_code, las.la_name, strict=True)
    },
)
# Shared frames: record_rows memoises on the very frame, so frames made at every run would pile up in the memo.
for f in shared(("mp figures rows", code), lambda: [g.assign(time_period=g.period) for g in figures.values()]):
    record_rows(f)
sentences = shared(
    ("mp sentences", code),
    lambda: [md(mp.summary_sentence(f, name, store().indicators)) for name, f in figures.items()],
)
st.markdown("\n".join(f"- {s}" if len(figures) > 1 else s for s in sentences if s))
st.table(shared(("mp table", code), lambda: md_table(mp.combined_table(figures))))  # st.table renders Markdown
flags = shared(("mp flags", code), mp.flag_notes, figures)
if flags:
    st.markdown(
        f"**{mp.FLAG_MARK} Data-quality flags.** These figures are shown as published, never changed:\n"
        + "\n".join(f"- {md(n)}" for n in flags)
    )
st.markdown("**Full profiles** (trends, rankings and benchmarks):")
links = st.columns(max(len(figures), 3))
for col, (la_code, name) in zip(links, zip(las.new_la_code, las.la_name, strict=True), strict=False):
    with col:
        st.page_link(
            "views/profile.py",
            label=md(name),
            query_params={"la": la_code},
            icon=":material/open_in_new:",
        )

st.caption(
    "Latest published figure of each headline indicator. *Neighbours (median)*: the middle figure of the "
    "authority's ten statistical neighbours, the most similar authorities (DfE, May 2025); each neighbour's own "
    "figure is on the authority's profile. Shown as published: a symbol such as 'x' or 'c' "
    "means the figure was not published (suppressed or not available)."
)
cite_this(PAGE_TITLE, "mp", also=("mp_lookup", "statistical_neighbours"))
