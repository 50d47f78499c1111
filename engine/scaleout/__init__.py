"""Scale-out: the workspace as a Parquet lake (`kith lake export`), and the same compiled
segments, funnels and goals run by Apache Spark over that lake (`--engine spark`)."""
