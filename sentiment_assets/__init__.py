"""sentiment-assets: the Practical Data Science on AWS workflow as Dagster software-defined assets."""
