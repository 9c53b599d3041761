"""The embassy directory: every mission a letter can go to, and everything about it."""
