"""Status resolution: the newest non-revoked covering decision; never a guess."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.ledger.decisions import resolve
from bot.model import ALL_SITES, Decision, Status

MON = date(2022, 5, 16)


def d(
    no: int,
    site: str = ALL_SITES,
    status: Status = Status.CANCELLED,
    first: date = MON,
    last: date | None = MON,
    service: str = "radiology",
    revoked: bool = False,
) -> Decision:
    return Decision(
        no=no,
        seq=no,
        service=service,
        site=site,
        status=status,
        first_day=first,
        last_day=last,
        note="",
        author_id="@a:x",
        author_name="A",
        author_roles=("cell",),
        platform="shell",
        room="shell:local",
        source_event_id=str(no),
        recorded_at=datetime(2022, 5, 15, tzinfo=UTC),
        revoked_by=100 + no if revoked else None,
    )


def test_no_covering_decision_means_none() -> None:
    assert resolve([], service="radiology", site="arlon", day=MON) is None
    assert (
        resolve([d(1, last=MON)], service="radiology", site="arlon", day=MON + timedelta(days=1))
        is None
    )
    assert resolve([d(1)], service="surgery", site="arlon", day=MON) is None


def test_site_and_all_sites_compete_on_recency() -> None:
    older_all, newer_site = d(1), d(2, site="arlon", status=Status.OPEN)
    assert (
        resolve([older_all, newer_site], service="radiology", site="arlon", day=MON) == newer_site
    )
    assert (
        resolve([older_all, newer_site], service="radiology", site="virton", day=MON) == older_all
    )
    newest_all = d(3, status=Status.CLOSED)
    decisions = [older_all, newer_site, newest_all]
    assert resolve(decisions, service="radiology", site="arlon", day=MON) == newest_all


def test_revoked_decisions_do_not_count() -> None:
    assert resolve(
        [d(1), d(2, status=Status.OPEN, revoked=True)], service="radiology", site="arlon", day=MON
    ) == d(1)


def test_until_further_notice_covers_every_later_day() -> None:
    ufn = d(1, last=None)
    assert resolve([ufn], service="radiology", site="arlon", day=MON + timedelta(days=400)) == ufn
    assert resolve([ufn], service="radiology", site="arlon", day=MON - timedelta(days=1)) is None


decision_strategy = st.builds(
    lambda no, site, off, length, revoked: d(
        no,
        site=site,
        first=MON + timedelta(days=off),
        last=None if length is None else MON + timedelta(days=off + length),
        revoked=revoked,
    ),
    no=st.integers(1, 10_000),
    site=st.sampled_from([ALL_SITES, "arlon", "virton"]),
    off=st.integers(-5, 5),
    length=st.one_of(st.none(), st.integers(0, 5)),
    revoked=st.booleans(),
)


@given(
    st.lists(decision_strategy, max_size=12, unique_by=lambda x: x.no),
    st.sampled_from(["arlon", "virton", "marche"]),
    st.integers(-6, 12),
)
def test_resolution_matches_its_definition(decisions: list[Decision], site: str, off: int) -> None:
    day = MON + timedelta(days=off)
    got = resolve(decisions, service="radiology", site=site, day=day)
    candidates = [
        x
        for x in decisions
        if x.revoked_by is None
        and x.site in (site, ALL_SITES)
        and x.first_day <= day
        and (x.last_day is None or day <= x.last_day)
    ]
    assert got == (max(candidates, key=lambda x: x.no) if candidates else None)


def test_superseded_lists_only_decisions_in_force_in_the_new_scope() -> None:
    from bot.ledger.decisions import superseded

    ufn_open = d(1, status=Status.OPEN, last=None)
    monday_reduced = d(2, status=Status.REDUCED)
    arlon_closed = d(3, site="arlon", status=Status.CLOSED)
    replaced_monday = d(4, status=Status.CANCELLED)  # replaces 2 everywhere on Monday
    earlier = [ufn_open, monday_reduced, arlon_closed, replaced_monday]
    # a new all-sites decision from Monday on: 4 (Monday, everywhere), 1 (the days after);
    # 2 and 3 were already replaced by 4 and are not in force anywhere any more
    assert superseded(earlier, site=ALL_SITES, first=MON, last=None) == (1, 4)
    # an Arlon decision for Tuesday is in force there that day: 5 is listed too
    arlon_tuesday = d(
        5,
        site="arlon",
        status=Status.CLOSED,
        first=MON + timedelta(days=1),
        last=MON + timedelta(days=1),
    )
    assert superseded([*earlier, arlon_tuesday], site=ALL_SITES, first=MON, last=None) == (1, 4, 5)
    # a new Virton decision for Monday only: just 4
    assert superseded(earlier, site="virton", first=MON, last=MON) == (4,)
    # the day before: only the open-ended one is in force
    assert (
        superseded(
            earlier, site="arlon", first=MON - timedelta(days=1), last=MON - timedelta(days=1)
        )
        == ()
    )
