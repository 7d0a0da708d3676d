-- The database contract between the ETL and the dashboard (documented in docs/database.md).
-- Every figure is one row of `observation`; everything else describes it.

CREATE TABLE source (
    source_id    VARCHAR PRIMARY KEY,
    title        VARCHAR NOT NULL,
    publisher    VARCHAR NOT NULL,
    page_url     VARCHAR NOT NULL,
    file_url     VARCHAR,
    release      VARCHAR NOT NULL,
    file_name    VARCHAR NOT NULL,
    sha256       VARCHAR NOT NULL,
    retrieved_at TIMESTAMP,
    licence      VARCHAR NOT NULL,
    publication  VARCHAR,              -- EES publication slug, GOV.UK page path or direct URL
    release_slug VARCHAR,              -- the release the file belongs to ('2026'), when the publisher names one
    newest_release VARCHAR,            -- newest release of the publication the build knew of
    follows_latest BOOLEAN NOT NULL DEFAULT false, -- resolved to the newest release (else a pinned older one)
    status       VARCHAR NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'cached copy', 'previous copy', 'not loaded')),
    status_note  VARCHAR               -- why a cached or previous copy stands in for the newest file
);

CREATE TABLE local_authority (
    new_la_code VARCHAR PRIMARY KEY,   -- current GSS code (E06000065 for North Yorkshire in every year)
    old_la_code VARCHAR NOT NULL UNIQUE, -- 3-digit DfE number: the key sources are joined on
    la_name     VARCHAR NOT NULL,
    region_code VARCHAR NOT NULL,
    region_name VARCHAR NOT NULL,
    first_year  INTEGER,               -- NULL: existed before the earliest data
    last_year   INTEGER                -- NULL: still exists
);

CREATE TABLE region (
    region_code VARCHAR PRIMARY KEY,
    region_name VARCHAR NOT NULL
);

CREATE TABLE la_succession (
    predecessor_code VARCHAR NOT NULL,
    successor_code   VARCHAR NOT NULL,
    year             INTEGER NOT NULL,  -- calendar year the change took effect (1 April)
    kind             VARCHAR NOT NULL,  -- split | merge | recode
    PRIMARY KEY (predecessor_code, successor_code)
);

CREATE TABLE indicator (
    -- One row per etl.catalogue.Indicator field (Indicator.to_row); the app reads rows back with Indicator.from_row.
    indicator_id    VARCHAR PRIMARY KEY,
    label           VARCHAR NOT NULL,
    unit            VARCHAR NOT NULL CHECK (unit IN ('count', 'percent', 'gbp', 'rate_per_1000')),
    polarity        VARCHAR NOT NULL CHECK (polarity IN ('higher_is_better', 'lower_is_better', 'neutral')),
    definition      VARCHAR NOT NULL,
    source_id       VARCHAR NOT NULL REFERENCES source (source_id),
    time_identifier VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL CHECK (kind IN ('count', 'rate', 'money', 'share')),
    topic           VARCHAR NOT NULL,   -- etl.catalogue.TOPICS: pages choose their indicators by topic
    short_label     VARCHAR NOT NULL,   -- a few words for headings and legends
    decimals        INTEGER NOT NULL,   -- decimal places shown
    sentence        VARCHAR NOT NULL,   -- str.format template with {period}, {area}, {value}
    chart_title     VARCHAR NOT NULL,   -- title of the indicator's trend chart
    numerator_id    VARCHAR,            -- for rates: group figures are sum(numerator) / sum(denominator) * scale
    denominator_id  VARCHAR,
    scale           DOUBLE,
    derived         BOOLEAN NOT NULL,   -- true: computed by the build from numerator and denominator
    additive        BOOLEAN NOT NULL,   -- a count or £ total: region and England figures are sums of LAs
    headline        BOOLEAN NOT NULL,   -- shown on overview tiles, profiles and briefings
    first_release   VARCHAR,            -- first release publishing it (no figures before is not an error)
    comparable      BOOLEAN NOT NULL,   -- may be ranked / banded / map-coloured across authorities
    not_comparable_because VARCHAR,     -- why not (size counts, £ totals), else NULL
    long_series_id  VARCHAR,            -- the indicator continuing its history under an older method, else NULL
    position        INTEGER NOT NULL    -- order of the catalogue (etl/catalogue.py): display order
);

CREATE TABLE observation (
    indicator_id     VARCHAR NOT NULL,  -- indicator.indicator_id
    geographic_level VARCHAR NOT NULL CHECK (geographic_level IN ('National', 'Regional', 'Local authority')),
    area_code        VARCHAR NOT NULL,  -- E92000001, an E12 region code or local_authority.new_la_code
    breakdown_topic  VARCHAR NOT NULL,
    breakdown        VARCHAR NOT NULL,
    time_period      VARCHAR NOT NULL,  -- as published now: '2024', '202425' (January 2025), '2023-24'
    year             INTEGER NOT NULL,  -- calendar year in which the period ends
    value            DOUBLE,
    marker           VARCHAR,           -- published symbol when value is not a number, else NULL
    source_id        VARCHAR NOT NULL,  -- source.source_id
    -- Key: (indicator_id, geographic_level, area_code, breakdown_topic, breakdown, time_period), one row each.
    -- The build guarantees and validates it; no index is declared because building one costs more than the
    -- whole rest of the load, and the app reads by indicator. For the same reason indicator_id and source_id
    -- are not declared foreign keys (checking them cost a build 0.1 s): the build validates both
    -- (etl/validate.py).
    CHECK ((value IS NULL) <> (marker IS NULL))
);

-- Every published cell of the EHC plans releases' data files (etl/breakdowns.py), one row each: a measure (one
-- published column of one data file) for one area, period and breakdown. `observation` keeps the curated headline
-- indicators; this table keeps everything else too (placements, ages, reasons, timeliness bands ...).
CREATE TABLE measure (
    measure_id      VARCHAR PRIMARY KEY, -- '<dataset>.<column>', e.g. 'requests.request_outcome_six_weeks'
    measure_no      SMALLINT NOT NULL UNIQUE, -- the key breakdown_cell uses (position in measure_id order)
    publication     VARCHAR NOT NULL,    -- EES publication slug
    dataset         VARCHAR NOT NULL,    -- the data file's name without .csv (our name where releases differ)
    file_name       VARCHAR NOT NULL,    -- as the newest release publishing it names the file
    column_name     VARCHAR NOT NULL,    -- as that release spells the column
    topic           VARCHAR NOT NULL,    -- the stage of the EHC plan journey / the file's subject
    label           VARCHAR NOT NULL,    -- the data guidance's description of the column
    unit            VARCHAR NOT NULL CHECK (unit IN ('count', 'percent', 'weeks')),
    numerator_id    VARCHAR,             -- percentages: the published count and total they are computed from
    denominator_id  VARCHAR,
    indicator_id    VARCHAR,             -- the headline indicator this column feeds (its Total rows), if any
    definition      VARCHAR NOT NULL,
    time_identifier VARCHAR NOT NULL,    -- 'Academic year' (January snapshot) or 'Calendar year'
    source_id       VARCHAR NOT NULL     -- the newest release that publishes it
);

-- Stored as rows (one per data row of a file), numbers and markers (one per non-empty cell): a long table would
-- repeat every row's geography and breakdown for each of its ~40 columns and take five times longer to write.
CREATE TABLE breakdown_row (
    row_id           INTEGER NOT NULL,   -- unique in a build (no index declared: it costs more than it saves)
    geographic_level VARCHAR NOT NULL CHECK (geographic_level IN ('National', 'Regional', 'Local authority')),
    area_code        VARCHAR NOT NULL,   -- E92000001, an E12 region, E13000001/2 (Inner/Outer London) or new_la_code
    breakdown_topic  VARCHAR NOT NULL,   -- 'Total' for the file's headline row; 'Sex', 'Age when plan started' ...
    breakdown        VARCHAR NOT NULL,   -- 'Total' or the published label ('Female', 'Age 5', ...)
    time_period      VARCHAR NOT NULL,   -- as in observation ('2024', '202425')
    year             INTEGER NOT NULL,
    source_id        VARCHAR NOT NULL
);

-- The cell tables name the compression DuckDB would pick for their millions of rows (the cells come column by
-- column: long runs of one measure_no, rising row ids): storing the same, it skips trying the others on every
-- column segment (about an eighth of the time the numbers take to write).
CREATE TABLE breakdown_cell (            -- cells holding a number
    row_id     INTEGER NOT NULL USING COMPRESSION bitpacking,  -- breakdown_row.row_id
    measure_no SMALLINT NOT NULL USING COMPRESSION rle,        -- measure.measure_no
    value      DOUBLE NOT NULL USING COMPRESSION alp
);

CREATE TABLE breakdown_marker (          -- cells holding a marker instead (one of each cell's two tables)
    row_id     INTEGER NOT NULL USING COMPRESSION bitpacking,
    measure_no SMALLINT NOT NULL USING COMPRESSION rle,
    marker     VARCHAR NOT NULL          -- as in observation
);

CREATE VIEW breakdown_value_cells AS
SELECT row_id, measure_no, value, NULL::VARCHAR AS marker FROM breakdown_cell
UNION ALL
SELECT row_id, measure_no, NULL::DOUBLE AS value, marker FROM breakdown_marker;

-- The long shape pages and analysts read: one row per published cell.
-- Key: (measure_id, geographic_level, area_code, breakdown_topic, breakdown, time_period).
CREATE VIEW breakdown_value AS
SELECT m.measure_id, r.geographic_level, r.area_code, r.breakdown_topic, r.breakdown, r.time_period, r.year,
       c.value, c.marker, r.source_id
FROM breakdown_value_cells c
JOIN breakdown_row r ON r.row_id = c.row_id
JOIN measure m ON m.measure_no = c.measure_no;

CREATE TABLE statistical_neighbour (
    new_la_code    VARCHAR NOT NULL,
    neighbour_code VARCHAR NOT NULL,
    rank           INTEGER NOT NULL,
    closeness      VARCHAR,
    version        VARCHAR NOT NULL,
    PRIMARY KEY (new_la_code, rank, version)
);

CREATE TABLE constituency (
    pcon_code   VARCHAR NOT NULL,
    pcon_name   VARCHAR NOT NULL,
    mp_name     VARCHAR,
    party       VARCHAR,
    new_la_code VARCHAR NOT NULL,
    PRIMARY KEY (pcon_code, new_la_code)
);

CREATE TABLE boundary (
    new_la_code VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    geometry    VARCHAR NOT NULL        -- GeoJSON geometry (EPSG:4326) as text
);

CREATE TABLE data_note (
    source_id    VARCHAR NOT NULL,
    area_code    VARCHAR,
    time_period  VARCHAR,
    indicator_id VARCHAR,
    note         VARCHAR NOT NULL
);

CREATE TABLE series_break (
    indicator_id VARCHAR NOT NULL,
    first_period VARCHAR NOT NULL,      -- first period counted the new way (time_period convention)
    first_year   INTEGER NOT NULL,
    description  VARCHAR NOT NULL,      -- what changed
    source_id    VARCHAR NOT NULL,      -- the first loaded release using the new method
    PRIMARY KEY (indicator_id, first_period)
);

CREATE TABLE revision (
    indicator_id     VARCHAR NOT NULL,
    geographic_level VARCHAR NOT NULL,
    area_code        VARCHAR NOT NULL,
    breakdown_topic  VARCHAR NOT NULL,
    breakdown        VARCHAR NOT NULL,
    time_period      VARCHAR NOT NULL,
    old_value        DOUBLE,             -- as the next older release printed it (value or marker)
    old_marker       VARCHAR,
    old_source_id    VARCHAR NOT NULL,
    new_value        DOUBLE,             -- as the newest release prints it
    new_marker       VARCHAR,
    new_source_id    VARCHAR NOT NULL,
    series_break     BOOLEAN NOT NULL    -- the two figures are counted by different methods
);

CREATE TABLE new_period (
    indicator_id VARCHAR NOT NULL,
    time_period  VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    source_id    VARCHAR NOT NULL,      -- the newest release of its table, the only one to publish the period
    PRIMARY KEY (indicator_id, time_period)
);

CREATE TABLE correction (
    correction_id VARCHAR PRIMARY KEY,
    publication   VARCHAR NOT NULL,
    source_table  VARCHAR NOT NULL,     -- the parser of the table the error occurs in
    kind          VARCHAR NOT NULL CHECK (kind IN ('code', 'reattribute', 'caveat', 'withhold')),
    description   VARCHAR NOT NULL,
    status        VARCHAR NOT NULL CHECK (status IN ('active', 'retired', 'not loaded')),
    applied_to    VARCHAR,              -- source ids whose files showed the error (comma-separated)
    newest_source_id VARCHAR            -- the newest loaded source of that table
);

-- Published figures that look implausible (etl/flags.py). Never changes a figure; shown beside it.
CREATE TABLE data_flag (
    indicator_id VARCHAR NOT NULL,
    area_code    VARCHAR NOT NULL,
    time_period  VARCHAR NOT NULL,
    rule         VARCHAR NOT NULL,      -- jump | zero_refusals | breakdown_sum | plans_without_requests
    explanation  VARCHAR NOT NULL       -- 'As published; looks implausible because ...'
);

CREATE TABLE build_info (
    fingerprint VARCHAR NOT NULL,
    built_at    TIMESTAMP NOT NULL,
    observation_rows BIGINT NOT NULL
);
