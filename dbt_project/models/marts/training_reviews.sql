-- The slice of cleaned reviews that training starts from: only what the feature pipeline needs,
-- one row per review, labels present. balanced_reviews balances it by sentiment.
-- A label a person recorded in the review queue replaces the source's label; label_source says
-- which one the row carries, so a model can always be traced back to who labelled its data.
-- The join is ON, not USING, so `h.review_id` means the same on DuckDB and on Athena (Trino).
select
    c.review_id,
    c."date",
    c.review_body,
    c.product_category,
    coalesce(h.sentiment, c.sentiment) as sentiment,
    coalesce(h.label_id, c.label_id) as label_id,
    case when h.review_id is null then 'source' else 'human' end as label_source,
    h.reviewer as labelled_by,
    h.labelled_at
from {{ ref('cleaned_reviews') }} as c
left join {{ source('review_queue', 'human_labels') }} as h on h.review_id = c.review_id
where coalesce(h.sentiment, c.sentiment) is not null
