"""The declarative list of official sources the build reads.

A source names a *publication* and, usually, follows its latest release: an
:class:`~etl.model.EesRelease` with ``release_slug=None`` is resolved at run time
through the EES release list (``latestRelease``), so a new release is picked up
with no change here. Pinned releases (a slug) stay listed only for what the latest
lacks (older periods, dropped files); where both publish a figure the newer release
wins (``etl/load.py``). ``mirror_path``/``mirror_release`` say which file of a local
mirror stands for the source, and which release that copy is. A source with
``required=False`` may be missing from a build without failing it.
"""

from __future__ import annotations

from etl.model import DirectUrl, EesRelease, GovUkAttachment, Source

EES_PAGE = "https://explore-education-statistics.service.gov.uk/find-statistics/education-health-and-care-plans"
DSG_PAGE = "https://www.gov.uk/government/publications/dedicated-schools-grant-dsg-{}"
LAIT_PAGE = "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait"
LAIT_REPO_RAW = (
    "https://raw.githubusercontent.com/dfe-analytical-services/local-authority-interactive-tool/main/01_data/02_prod/"
)
ONS_CTYUA_2023 = (
    "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
    "Counties_and_Unitary_Authorities_December_2023_Boundaries_UK_BSC/FeatureServer/0/query"
    "?where=1%3D1&outFields=*&outSR=4326&f=geojson"
)

EHCP = "education-health-and-care-plans"
#: The tribunal table among a release's supporting files, under either of its published names.
TRIBUNAL_MEMBER = "supporting-files/SEND*appeal*rate*.csv"


#: The combined multi-year DSG file ("..._2019-20_to_2023-24.ods") listed on some years' pages too.
DSG_COMBINED_NAME = r"\d{4}-\d{2}_to_\d{4}-\d{2}"


def _dsg(fy: str, mirror_name: str, published: str, required: bool = True) -> Source:
    """One year's DSG allocations file (its own publication page on GOV.UK).

    The attachment is the page's one ODS whose title names allocations and which is not the combined
    multi-year file; a year not in the mirror (``required=False``) is loaded by a live build only.
    """
    start, end = fy.split("-")
    slug = f"{start}-to-20{end}"
    return Source(
        source_id=f"dsg_{start}_{end}",
        title=f"Dedicated schools grant (DSG): {fy} allocations",
        publisher="Department for Education (ESFA)",
        page_url=DSG_PAGE.format(slug),
        locator=GovUkAttachment(
            content_path=f"government/publications/dedicated-schools-grant-dsg-{slug}",
            filename_pattern=r"\.ods$",
            title_pattern=r"allocations",
            exclude_pattern=DSG_COMBINED_NAME,
        ),
        mirror_path=f"dedicated-schools-grant/{mirror_name}",
        parser="dsg_allocations",
        release=f"{fy} allocations, {published}",
        precedence=20,
        options={"financial_year": fy},
        required=required,
    )


SOURCES: list[Source] = [
    # The EHC plans publication: its latest release (resolved at run time), then pinned older releases that
    # fill what the latest lacks (periods it no longer carries, files it dropped). Where releases overlap the
    # newer one wins; a pinned release that the latest resolves to is read once.
    Source(
        source_id="ehcp",
        title="Education, health and care plans (SEN2)",
        publisher="Department for Education",
        page_url=EES_PAGE,
        locator=EesRelease(EHCP, None),
        mirror_path=f"{EHCP}/education-health-and-care-plans_2025.zip",
        mirror_release="2025",
        parser="ehcp_release",
        release="Reporting year 2025 (June 2025)",
        # observation: headline rows and primary need only (list e.g. "Sex" here to add those rows to it); every
        # breakdown of every file is in breakdown_value regardless (etl/breakdowns.py).
        options={"breakdown_topics": []},
    ),
    Source(
        source_id="ehcp_2025",
        title="Education, health and care plans, reporting year 2025 (SEN2)",
        publisher="Department for Education",
        page_url=f"{EES_PAGE}/2025",
        locator=EesRelease(EHCP, "2025"),
        mirror_path=f"{EHCP}/education-health-and-care-plans_2025.zip",
        mirror_release="2025",
        parser="ehcp_release",
        release="Reporting year 2025 (June 2025)",
        required=False,
        options={"breakdown_topics": []},
    ),
    Source(
        source_id="ehcp_2022",
        title="Education, health and care plans, reporting year 2022 (SEN2, aggregate collection)",
        publisher="Department for Education",
        page_url=f"{EES_PAGE}/2022",
        locator=EesRelease(EHCP, "2022"),
        mirror_path=f"{EHCP}/education-health-and-care-plans_2022.zip",
        mirror_release="2022",
        parser="ehcp_release_2022",
        release="Reporting year 2022 (June 2022)",
    ),
    # The SEND Tribunal table is a supporting file of the same publication; its name changes with each release
    # (2025: "SEND Tribunals and appeal rate 2014-2024.csv", 2026: "SEND appealable decisions rate 2024-2025.csv").
    Source(
        source_id="tribunal",
        title="SEND Tribunal appeals and appealable decisions (supporting file)",
        publisher="Ministry of Justice / Department for Education",
        page_url=EES_PAGE,
        locator=EesRelease(EHCP, None, member=TRIBUNAL_MEMBER),
        mirror_path=f"{EHCP}/SEND appealable decisions rate 2024-2025.csv",
        mirror_release="2026",
        parser="tribunal_appeal_rate",
        release="Reporting year 2026 (June 2026)",
    ),
    Source(
        source_id="tribunal_2025",
        title="SEND Tribunals and appeal rate 2014-2024 (supporting file)",
        publisher="Ministry of Justice / Department for Education",
        page_url=f"{EES_PAGE}/2025",
        locator=EesRelease(EHCP, "2025", member=TRIBUNAL_MEMBER),
        mirror_path=f"{EHCP}/SEND Tribunals and appeal rate 2014-2024.csv",
        mirror_release="2025",
        parser="tribunal_appeal_rate",
        release="Reporting year 2025 (June 2025)",
        required=False,
    ),
    _dsg("2020-21", "dedicated-schools-grant_2021_11_18.ods", "published 18 November 2021"),
    _dsg("2021-22", "dedicated-schools-grant_2022_07_18.ods", "published 18 July 2022"),
    _dsg("2022-23", "dedicated-schools-grant_2023_07_20.ods", "published 20 July 2023"),
    # The file is named 2024_07_20, but its Information sheet and zip entries date it 20 July 2023.
    _dsg("2023-24", "dedicated-schools-grant_2024_07_20.ods", "published 20 July 2023"),
    # Later years: their layouts are not in the mirror; a live build takes the page's current file.
    _dsg("2024-25", "dedicated-schools-grant_2024-25.ods", "latest file on the GOV.UK page", required=False),
    _dsg("2025-26", "dedicated-schools-grant_2025-26.ods", "latest file on the GOV.UK page", required=False),
    _dsg("2026-27", "dedicated-schools-grant_2026-27.ods", "latest file on the GOV.UK page", required=False),
    Source(
        source_id="dsg_combined",
        title="Dedicated schools grant allocations 2019-20 to 2023-24 (combined summary)",
        publisher="Department for Education (ESFA)",
        page_url=DSG_PAGE.format("2023-to-2024"),
        locator=GovUkAttachment(
            content_path="government/publications/dedicated-schools-grant-dsg-2023-to-2024",
            filename_pattern=r"_allocations_2019-20_to_2023-24\.ods$",
        ),
        mirror_path="dedicated-schools-grant/dedicated-schools-grant_allocations_2019-20_to_2023-24.ods",
        parser="dsg_combined",
        release="Allocations 2019-20 to 2023-24 (combined file)",
        # Lower than the per-year files: used only for 2019-20, which has no file of its own.
        precedence=10,
        options={"financial_years": ["2019-20"]},
    ),
    Source(
        source_id="lait",
        title="Local Authority Interactive Tool (LAIT) dataset",
        publisher="Department for Education",
        page_url=LAIT_PAGE,
        locator=DirectUrl(LAIT_REPO_RAW + "bds_long_0.parquet"),
        mirror_path="lait/bds_long_0.parquet",
        parser="lait",
        release="LAIT data, June 2025 update",
        precedence=5,
        options={"dictionary_source": "lait_dictionary"},
    ),
    Source(
        source_id="lait_dictionary",
        title="LAIT data dictionary",
        publisher="Department for Education",
        page_url=LAIT_PAGE,
        locator=DirectUrl(LAIT_REPO_RAW + "lait_data_dictionary.csv"),
        mirror_path="lait/lait_data_dictionary.csv",
        parser="none",
        release="LAIT data, June 2025 update",
    ),
    Source(
        source_id="statistical_neighbours",
        title="Children's services statistical neighbours, May 2025",
        publisher="Department for Education",
        page_url=LAIT_PAGE,
        locator=GovUkAttachment(
            content_path="government/publications/local-authority-interactive-tool-lait",
            filename_pattern=r"\.xlsx$",
            title_pattern=r"statistical neighbour",
        ),
        mirror_path="lait/sn_may_2025.xlsx",
        parser="statistical_neighbours",
        release="May 2025",
        options={"version": "May 2025"},
    ),
    Source(
        source_id="mp_lookup",
        title="MP look-up: constituencies, MPs and local authorities",
        publisher="Department for Education",
        page_url="https://www.gov.uk/government/publications/mp-look-up",
        locator=GovUkAttachment(
            content_path="government/publications/mp-look-up",
            filename_pattern=r"\.csv$",
        ),
        mirror_path="mp-lookup/mp_lookup.csv",
        parser="mp_lookup",
        release="2024 Parliament",
        # England's Westminster constituencies under the 2024 boundaries: a file with fewer was cut short.
        options={"english_constituencies": 543},
    ),
    Source(
        source_id="boundaries_2023",
        title="Counties and Unitary Authorities (December 2023) Boundaries UK BSC",
        publisher="Office for National Statistics (Open Geography Portal)",
        page_url="https://geoportal.statistics.gov.uk/",
        locator=DirectUrl(ONS_CTYUA_2023),
        mirror_path="boundaries/Counties_and_Unitary_Authorities_December_2023_Boundaries_UK_BSC.geojson",
        parser="boundaries",
        release="December 2023",
        licence="Open Government Licence v3.0; contains OS data © Crown copyright and database right",
    ),
]


def source_by_id(source_id: str) -> Source:
    """Return the source with this id; raises KeyError naming the known ids."""
    for source in SOURCES:
        if source.source_id == source_id:
            return source
    raise KeyError(f"unknown source {source_id!r}; known: {', '.join(s.source_id for s in SOURCES)}")


#: Expected SHA-256 of the sources that are fixed files (a closed year's allocations, a dated
#: workbook, a supporting file of a published release). Every download and every read of the
#: cache is checked against it (``etl.fetch.Fetcher``): a file the publisher replaced fails
#: with a message saying so, and the previous copy stays in use. Files that change in place
#: (the MP look-up, LAIT on its main branch, generated zips and ArcGIS queries) are not pinned.
#: A local mirror (``--source-dir``) is read as it is.
PINNED_SHA256: dict[str, str] = {
    "dsg_2020_21": "9838690f076b3ed75ee78cca431b32dba5dd73cc7b05f228f21b113719f85cc5",
    "dsg_2021_22": "d73a07670583649dfbd87b4d0dab7301ec6d5ade4f5d382d80e4567211771111",
    "dsg_2022_23": "26e40dbf2999784d0577dafef15460d210ee5b008cac997f2b7dfbedfe666e64",
    "dsg_2023_24": "efa4ecae92b0b03c71e080c3a6a64f1b3bb881281f454210b4349b74dee3cdc6",
    "dsg_combined": "aeaa3d64b43389e79b41e1b5fdb20ccfe7e1e2a87432bad3a207b8f277c0ab9a",
    "statistical_neighbours": "8741494be7bbced69706589b7064b57d33737fc42ebbb3e778770f6bb78b1739",
    "tribunal_2025": "3a0d9e0c3b8d6da3678213d759e128f9e636e570079050c3e1ed4e8452c4ba89",
}
