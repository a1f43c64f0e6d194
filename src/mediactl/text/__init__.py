"""Text helpers shared by render and check: CJK detection (`cjk`), platform character counting and
truncation (`textfit`), Chinese line breaking for drawn text (`linebreak`), and Markdown to each
platform's body (`markup`). They know nothing of items or channels beyond the text they are given."""
