"""Publish: the gate, the queue, delivery through adapters, and the audit trail.

Top to bottom: `approvals` (maker-checker records), `gate` (may this variant go
out?), `store` (the SQLite job queue and its state machine), `adapters/` (one per
platform, plug-ins through the `mediactl.adapters` entry-point group), `runner`
(enqueue, claim, deliver, reconcile) and `audit` (the append-only, hash-chained log).
"""
