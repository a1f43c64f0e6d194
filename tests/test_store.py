"""The queue store's transitions: settle-and-claim, settlements only from `sending`, claim filters; in both dialects."""

from __future__ import annotations

from pathlib import Path

from mediactl.publish.store import Claim, Settlement, Store


def make_store(target: str | Path, jobs: int = 3) -> Store:
    store = Store(target)
    for n in range(jobs):
        store.enqueue("robot" if n % 2 == 0 else "other", f"item{n}", f"hash{n}", due_at=float(n))
    return store


def test_settle_and_claim_records_an_outcome_and_claims_the_next_job(store_target: str | Path) -> None:
    store = make_store(store_target)
    (first,) = store.claim_due(100.0, 1)
    assert (first.item, first.state, first.attempts) == ("item0", "sending", 1)
    applied, second = store.settle_and_claim(
        Settlement(first.id, "sent", remote_id="r1", remote_url="https://x/1"), Claim()
    )
    assert applied
    assert second is not None and (second.item, second.state) == ("item1", "sending")
    done = store.get(first.id)
    assert (done.state, done.remote_id, done.remote_url) == ("sent", "r1", "https://x/1")
    # channel filter; then a retry goes back to pending with its new time and reason
    _, third = store.settle_and_claim(
        Settlement(second.id, "pending", error="HTTP 429", due_at=500.0), Claim(channel="robot")
    )
    assert third is not None and third.item == "item2"
    again = store.get(second.id)
    assert (again.state, again.due_at, again.error) == ("pending", 500.0, "HTTP 429")
    assert store.settle_and_claim(Settlement(third.id, "failed", error="rejected"), None) == (True, None)
    assert store.get(third.id).state == "failed"
    assert store.settle_and_claim(None, Claim(ids=frozenset())) == (False, None)
    store.close()


def test_a_settlement_never_overrides_what_a_person_decided(store_target: str | Path) -> None:
    store = make_store(store_target, jobs=1)
    (job,) = store.claim_due(100.0, 1)
    store.set_state(job.id, "cancelled", allowed_from=("sending",))  # cancelled while in flight
    assert store.settle_and_claim(Settlement(job.id, "sent", remote_id="late"), None) == (False, None)
    assert (store.get(job.id).state, store.get(job.id).remote_id) == ("cancelled", None)
    store.close()


def test_nothing_due_claims_nothing(store_target: str | Path) -> None:
    store = make_store(store_target, jobs=2)
    assert store.claim_due(-1.0, 5) == []
    assert store.settle_and_claim(None, Claim(paused=frozenset({"robot", "other"}))) == (False, None)
    assert [j.state for j in store.jobs()] == ["pending", "pending"]
    store.close()


def test_release_gives_back_a_job_claimed_but_never_tried(store_target: str | Path) -> None:
    store = make_store(store_target, jobs=1)
    (job,) = store.claim_due(100.0, 1)
    store.release(job.id)
    back = store.get(job.id)
    assert (back.state, back.attempts, back.claimed_by) == ("pending", 0, None)
    store.close()


def test_a_delivery_to_everyone_counts_against_every_segments_cap() -> None:
    """A post with no audience reached every segment: a later post to one segment must count it (and the other way
    round), or a by-audience cap of one push a week lets a second push reach the same customers."""
    from mediactl.publish.store import shares_audience

    assert shares_audience("老年客群", "")  # the earlier post to everyone reached 老年客群 too
    assert shares_audience("", "老年客群")
    assert shares_audience("老年客群,财富客群", "财富客群")
    assert not shares_audience("老年客群", "财富客群")
