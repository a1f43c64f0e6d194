"""Planning: the month's dates that matter (dates), and what is scheduled on them per channel (calendar)."""
