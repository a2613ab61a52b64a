-- Reviews the cleaning step leaves out, each with the reason; with cleaned_reviews it adds up
-- to every staged review, so nothing disappears silently.
-- Trino's || only joins strings, so the count is cast to a string first (DuckDB casts implicitly).
with category_sizes as (
    select product_category, count(*) as reviews_in_category
    from {{ ref('stg_reviews') }}
    where product_category is not null
    group by product_category
)

select
    s.*,
    case
        when s.review_body is null then 'blank review_body'
        when s.product_category is null then 'blank product_category'
        else {{ dbt.concat([
            "'product_category has '",
            dbt.cast('c.reviews_in_category', dbt.type_string()),
            "' reviews (<= " ~ var('min_reviews_per_category') ~ ")'",
        ]) }}
    end as exclusion_reason
from {{ ref('stg_reviews') }} as s
left join category_sizes as c on c.product_category = s.product_category
where s.review_body is null
   or s.product_category is null
   or c.reviews_in_category <= {{ var("min_reviews_per_category") }}
