-- One row per raw review, typed, with the text the models read. The sentiment comes from the
-- source's own label when it has one (raw_reviews.sentiment), else from the stars:
-- {1,2} -> -1, 3 -> 0, {4,5} -> 1; null for an unlabelled review (a `score` file).
-- review_body is the normalised text (HTML entities decoded, wrapping quotes, zero-width
-- characters and extra whitespace removed, Unicode NFC: sentiment_assets/features/text_normalisation.py,
-- applied at ingest because neither SQL engine can decode HTML entities); the text as read stays
-- in raw_reviews.review_body and here as review_body_raw. Rows written before normalisation
-- existed fall back to their trimmed text.
with typed as (
    select
        review_id,
        cast("date" as timestamp) as "date",
        nullif(trim(title), '') as title,
        nullif(trim(coalesce(review_body_normalised, review_body)), '') as review_body,
        review_body as review_body_raw,
        cast(star_rating as integer) as star_rating,
        coalesce(nullif(trim(product_category), ''), 'unknown') as product_category,
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
        source_partition,
        -- Partitions ingested before roles existed were all training data.
        coalesce(source_role, 'train') as source_role
    from {{ source('ingest', 'raw_reviews') }}
)

select *, sentiment + 1 as label_id
from typed
