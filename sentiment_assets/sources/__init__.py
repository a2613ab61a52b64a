"""Readers that turn a review file into the normalised raw_reviews table plus rejected rows."""
