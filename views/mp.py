"""MPs and constituencies: pick a constituency (or type an MP's name) and see the SEND figures of the local
authorities that serve it, beside England and each authority's statistical neighbours.

Link parameters: ``pcon`` (constituency code, e.g. E14001076), ``mp`` (a search text), ``rel`` (release).
"""

import streamlit as st

from send_pressure import mp
from send_pressure.ui import cite_this, link_state, page_title, show_notices, store

PAGE_TITLE = "MPs and constituencies"

st.title(PAGE_TITLE)
page_title(PAGE_TITLE)
state = link_state()
cons = mp.constituency_list(store())
codes = list(cons.pcon_code)
labels = dict(zip(cons.pcon_code, cons.apply(mp.label, axis=1), strict=True))


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
        st.warning(found.message)
    shown = found.suggestions or [(c, labels[c]) for c in found.codes[:12]]
    if found.codes and len(found.codes) > 1:
        st.markdown(
            f"'{text.strip()[:60]}' matches {len(found.codes)} constituencies"
            + (" (first 12 shown)" if len(found.codes) > 12 else "")
            + ":"
        )
    for c, lbl in shown:
        st.button(lbl, key=f"pick_{c}", on_click=_pick, args=(c,), type="tertiary", icon=":material/arrow_forward:")

if code is None:
    st.markdown(
        "Choose a constituency, or type an MP's name or a place. The page shows the MP and the SEND figures of "
        "each local authority that serves the constituency, against England and similar authorities."
    )
    st.stop()

row = cons.set_index("pcon_code").loc[code]
las = mp.authorities(store(), code)
page_title(PAGE_TITLE, row.pcon_name)
st.header(row.pcon_name)
mp_line = f"**MP:** {row.mp_name} ({row.party})" if isinstance(row.mp_name, str) else "**MP:** none listed"
names = list(las.la_name)
served = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
st.markdown(f"{mp_line}  \n**Local {'authority' if len(names) == 1 else f'authorities ({len(names)})'}:** {served}")
st.caption(
    "SEND services are run by local authorities (county, unitary, metropolitan or London borough councils), "
    "so the figures are for each authority as a whole, not for the constituency."
    + (" This constituency is served by more than one." if len(names) > 1 else "")
)

source_ids = ["mp_lookup", "statistical_neighbours"]
figures = {
    name: mp.headline_figures(store(), la_code) for la_code, name in zip(las.new_la_code, las.la_name, strict=True)
}
for f in figures.values():
    source_ids = list(dict.fromkeys([*f.source_id, *source_ids]))
sentences = [mp.summary_sentence(f, name) for name, f in figures.items()]
st.markdown("\n".join(f"- {s}" if len(figures) > 1 else s for s in sentences if s))
st.table(mp.combined_table(figures))
st.markdown("**Full profiles** (trends, rankings and benchmarks):")
links = st.columns(max(len(figures), 3))
for col, (la_code, name) in zip(links, zip(las.new_la_code, las.la_name, strict=True), strict=False):
    with col:
        st.page_link(
            "views/profile.py",
            label=name,
            query_params={"la": la_code},
            icon=":material/open_in_new:",
        )

st.caption(
    "Latest published figure of each headline indicator. *Neighbours*: the figure for the authority's ten "
    "statistical neighbours, the most similar authorities (DfE, May 2025); percentages are recomputed from their "
    "combined numbers, counts and £ are the average authority. Shown as published: a symbol such as 'x' or 'c' "
    "means the figure was not published (suppressed or not available)."
)
cite_this(source_ids, PAGE_TITLE, "mp")
