"""Render: one variant of every item for every target channel, under build/<channel>/<slug>/.

Read top to bottom: `plan` decides which variants exist, `context` builds what a
template sees, `templates` renders the text fields, `media` the images,
`manifest` writes the variant atomically, `index` remembers input hashes so an
unchanged variant is not rendered again, and `runner` ties them together.
"""
