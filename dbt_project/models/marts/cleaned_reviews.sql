-- The training population before balancing: reviews of `train` files only (a `score` or
-- `holdout` file never reaches training), with text and a label, in categories with more than
-- `min_reviews_per_category` reviews (the course drops categories with <= 10; Dagster's
-- dbt_models config sets it, 0 keeps every category). Profile, bias and features read this.
-- Joins use ON, not USING: Trino (Athena) and DuckDB treat a USING column's qualifier differently.
with training_rows as (
    select * from {{ ref('stg_reviews') }}
    where source_role = 'train'
),

category_sizes as (
    select product_category, count(*) as reviews_in_category
    from training_rows
    group by product_category
)

select s.*
from training_rows as s
join category_sizes as c on c.product_category = s.product_category
where s.review_body is not null
  and s.sentiment is not null
  and c.reviews_in_category > {{ var("min_reviews_per_category") }}
