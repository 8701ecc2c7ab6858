{#
  dbt-duckdb's table materialization, without what salesops does not use: ~1 s less a build.

  The adapter's version builds the new table under a temporary name, renames the
  old one to a backup, renames the new one into place and drops the backup, and
  first queries the catalog for foreign keys and indexes: a dozen statements per
  model, each costing dbt more Python time than DuckDB time at salesops' sizes.
  DuckDB's DDL is transactional, so dropping the old table and creating the new
  one inside the model's transaction is just as atomic: a reader sees the old
  table or the new one. salesops declares no foreign keys, indexes, grants,
  partitioning or Python models; contracts (create_table_as), persisted docs and
  hooks are kept.
#}
{% materialization table, adapter="duckdb" %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {#-- A build killed under the adapter's materialization may have left these behind (in the marts schema,
       the publish step would copy them): dropped if dbt's relation cache lists them, a lookup otherwise. --#}
  {{ drop_relation_if_exists(load_cached_relation(make_intermediate_relation(target_relation))) }}
  {{ drop_relation_if_exists(load_cached_relation(make_backup_relation(target_relation, 'table'))) }}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  -- `BEGIN` happens here:
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if existing_relation is not none %}
    {#-- Inside the transaction (a plain drop_relation would commit at once): a failed build keeps the old table. --#}
    {% call statement('drop_existing') -%}
      drop {{ existing_relation.type }} if exists {{ existing_relation }} cascade
    {%- endcall %}
  {% endif %}
  {% call statement('main') -%}
    {{- create_table_as(False, target_relation, compiled_code) }}
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do persist_docs(target_relation, model) %}
  -- `COMMIT` happens here
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
