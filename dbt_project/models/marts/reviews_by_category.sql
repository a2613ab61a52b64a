-- A slice for analysts and the bias report: reviews per category x sentiment, with shares.
-- fraction() keeps the share a double on Athena, where integer / integer truncates to 0.
select
    product_category,
    sentiment,
    count(*) as review_count,
    {{ fraction('count(*)', 'sum(count(*)) over (partition by product_category)') }} as share_of_category,
    avg(star_rating) as mean_star_rating
from {{ ref('cleaned_reviews') }}
group by product_category, sentiment
