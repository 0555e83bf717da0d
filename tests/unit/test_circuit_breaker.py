"""The circuit breaker's states, on a clock the test moves."""

from __future__ import annotations

from data.payments.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker(threshold=3, cooldown=30, clock=clock)


def test_it_stays_closed_below_the_threshold() -> None:
    subject = breaker(Clock())
    subject.failed()
    subject.failed()
    assert subject.retry_after() == 0
    assert not subject.is_open


def test_an_answer_resets_the_count() -> None:
    subject = breaker(Clock())
    subject.failed()
    subject.failed()
    subject.succeeded()
    subject.failed()
    subject.failed()
    assert subject.retry_after() == 0


def test_it_opens_at_the_threshold_and_says_how_long() -> None:
    clock = Clock()
    subject = breaker(clock)
    for _ in range(3):
        subject.failed()
    assert subject.is_open
    assert subject.retry_after() == 30
    clock.now += 29.5
    assert subject.retry_after() == 1


def test_after_the_cooldown_one_trial_goes_through() -> None:
    clock = Clock()
    subject = breaker(clock)
    for _ in range(3):
        subject.failed()
    clock.now += 30
    assert subject.retry_after() == 0  # asking takes nothing
    assert subject.retry_after() == 0
    assert subject.admit() == 0  # the trial
    assert subject.retry_after() == 1  # everyone else waits for it
    assert subject.admit() == 1


def test_a_good_trial_closes_it() -> None:
    clock = Clock()
    subject = breaker(clock)
    for _ in range(3):
        subject.failed()
    clock.now += 30
    subject.admit()
    subject.succeeded()
    assert not subject.is_open
    assert subject.retry_after() == 0


def test_a_bad_trial_reopens_it_for_a_whole_cooldown() -> None:
    clock = Clock()
    subject = breaker(clock)
    for _ in range(3):
        subject.failed()
    clock.now += 30
    subject.admit()
    subject.failed()
    assert subject.retry_after() == 30
