"""The library stage: the content items under `content/` — one item and its validation (`content`),
the walk that finds them all (`scan`), front matter split and status edits (`frontmatter`), and the
scaffolds that create a project or an item (`scaffold`). Render, check and publish start from here."""
