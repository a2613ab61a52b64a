-- Labelled reviews of `holdout` files: kept back to judge the model (model_evaluation scores
-- each holdout file on its own), never trained on.
select
    review_id,
    "date",
    review_body,
    product_category,
    sentiment,
    label_id,
    source_file,
    source_partition
from {{ ref('stg_reviews') }}
where source_role = 'holdout'
  and review_body is not null
  and sentiment is not null
