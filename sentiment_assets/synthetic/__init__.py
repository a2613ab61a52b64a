"""Seeded synthetic stand-in for the Kaggle "Women's E-Commerce Clothing Reviews" CSV.

The real file cannot be downloaded at run time (the project is offline), so the pipeline,
its tests and demos run on a generated file with the same schema, the same row and category
counts after the course's cleaning, the same sentiment totals, a planted per-category bias
and review text that a model can learn only imperfectly.

Entry points live in `generator.py`: `generate_clothing_reviews`, `write_clothing_csv` and
`CLOTHING_COLUMNS`.
"""
