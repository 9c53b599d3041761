"""Post as a channel: a mailing for window envelopes (plea.post.mailing), the envelopes, label
sheets and the posting list drawn with reportlab (plea.post.draw), on the sizes of plea.post.sheets.
The addresses come from plea.postal; the letters from the one letters pipeline (plea.letters)."""
