"""What the reviews look like: profiles and the figures shown in asset metadata."""
