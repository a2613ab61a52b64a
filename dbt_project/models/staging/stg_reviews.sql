-- One row per raw review, typed and trimmed, with the sentiment label derived from the stars.
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
    case when star_rating <= 2 then -1 when star_rating = 3 then 0 else 1 end as sentiment,
    case when star_rating <= 2 then 0 when star_rating = 3 then 1 else 2 end as label_id,
    source_file,
    source_row
from {{ source('ingest', 'raw_reviews') }}
