-- One row per raw review, typed and trimmed. The sentiment comes from the source's own label
-- when it has one (raw_reviews.sentiment), else from the stars: {1,2} -> -1, 3 -> 0, {4,5} -> 1.
with typed as (
    select
        review_id,
        cast("date" as timestamp) as "date",
        nullif(trim(title), '') as title,
        nullif(trim(review_body), '') as review_body,
        cast(star_rating as integer) as star_rating,
        nullif(trim(product_category), '') as product_category,
        nullif(trim(division_name), '') as division_name,
        nullif(trim(department_name), '') as department_name,
        age,
        clothing_id,
        recommended,
        positive_feedback_count,
        coalesce(
            cast(sentiment as integer),
            case when star_rating <= 2 then -1 when star_rating = 3 then 0 when star_rating <= 5 then 1 end
        ) as sentiment,
        extra,
        source_file,
        source_row,
        source_partition
    from {{ source('ingest', 'raw_reviews') }}
)

select *, sentiment + 1 as label_id
from typed
