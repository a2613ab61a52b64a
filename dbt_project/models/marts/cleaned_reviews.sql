-- The course's cleaning: drop blank text and blank categories, keep categories with more than
-- `min_reviews_per_category` reviews. Everything downstream (profile, bias, features) reads this.
-- Joins use ON, not USING: Trino (Athena) and DuckDB treat a USING column's qualifier differently.
with category_sizes as (
    select product_category, count(*) as reviews_in_category
    from {{ ref('stg_reviews') }}
    where product_category is not null
    group by product_category
)

select s.*
from {{ ref('stg_reviews') }} as s
join category_sizes as c on c.product_category = s.product_category
where s.review_body is not null
  and c.reviews_in_category > {{ var("min_reviews_per_category") }}
