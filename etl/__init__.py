"""ETL: official SEND statistics (SEN2, tribunal, DSG, LAIT, reference data) into one DuckDB file."""

import os

# Arrow's allocator (mimalloc) asks the kernel for transparent huge pages by default; a build allocates and frees
# about a gigabyte of Arrow buffers, and zeroing (often compacting) 2 MB pages on first touch cost the first build in
# a process 1.2 s more system CPU than 4 KB pages. mimalloc reads this when pyarrow loads, hence here, before any
# module of the package imports it; a value already set is kept.
os.environ.setdefault("MIMALLOC_ALLOW_THP", "0")
