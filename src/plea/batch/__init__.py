"""Batches: many clients × many missions in one resumable command (`plea batch`)."""
