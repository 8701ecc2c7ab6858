"""The two dbt cross-database macros our models call, for sqlfluff's jinja templater only.

sqlfluff lints the SQL without dbt (offline and fast): its jinja templater
knows ref, source, var and config but not dbt's own macro namespace. These
render what dbt-duckdb renders for them.
"""


def string_literal(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def datediff(first_date, second_date, datepart) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"
