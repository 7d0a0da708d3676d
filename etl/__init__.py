"""ETL: official SEND statistics (SEN2, tribunal, DSG, LAIT, reference data) into one DuckDB file."""
