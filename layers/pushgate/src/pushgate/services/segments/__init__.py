"""Saved segments (named filters over the directory) and previews of what an audience reaches."""
