-- The slice of cleaned reviews that training starts from: only what the feature pipeline needs,
-- one row per review, labels present. balanced_reviews balances it by sentiment.
select
    review_id,
    "date",
    review_body,
    product_category,
    sentiment,
    label_id
from {{ ref('cleaned_reviews') }}
where sentiment is not null
