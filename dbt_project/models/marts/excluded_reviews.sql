-- Reviews of `train` files that the cleaning step leaves out, each with the reason; with
-- cleaned_reviews it adds up to every staged review of a train file, so nothing disappears
-- silently. (Score and holdout files are not training data: they are scored and evaluated from
-- stg_reviews / holdout_reviews, not excluded.)
-- Trino's || only joins strings, so the count is cast to a string first (DuckDB casts implicitly).
with training_rows as (
    select * from {{ ref('stg_reviews') }}
    where source_role = 'train'
),

category_sizes as (
    select product_category, count(*) as reviews_in_category
    from training_rows
    group by product_category
)

select
    s.*,
    case
        when s.review_body is null then 'blank review_body'
        when s.sentiment is null then 'no label'
        else {{ dbt.concat([
            "'product_category has '",
            dbt.cast('c.reviews_in_category', dbt.type_string()),
            "' reviews (<= " ~ var('min_reviews_per_category') ~ ")'",
        ]) }}
    end as exclusion_reason
from training_rows as s
left join category_sizes as c on c.product_category = s.product_category
where s.review_body is null
   or s.sentiment is null
   or c.reviews_in_category <= {{ var("min_reviews_per_category") }}
