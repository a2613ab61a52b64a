{#
  Small cross-database helpers for SQL that DuckDB (target `local`) and Athena/Trino (target `aws`)
  spell differently. Everything else in the models is plain ANSI SQL or dbt's own cross-database
  macros (dbt.concat, dbt.cast, dbt.type_string).
#}

{#
  numerator / denominator as a double. Trino divides two integers integer-wise (3 / 4 = 0), DuckDB
  returns a double; casting the numerator gives the same double on both. Not dbt.type_float():
  on DuckDB that is FLOAT, a 4-byte REAL, which would change the local table's values.
#}
{% macro fraction(numerator, denominator) -%}
  {{ return(adapter.dispatch('fraction')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__fraction(numerator, denominator) -%}
  cast({{ numerator }} as double precision) / {{ denominator }}
{%- endmacro %}

{# Trino has no `double precision`, only `double`. #}
{% macro athena__fraction(numerator, denominator) -%}
  cast({{ numerator }} as double) / {{ denominator }}
{%- endmacro %}
