from harness.observe.state import PartitionState, majority_view


def _view(leader: int, isr: tuple[int, ...]) -> PartitionState:
    return PartitionState("t", 0, leader, (1, 2, 3), isr)


def test_most_brokers_win_over_a_cut_off_leaders_own_view():
    answers = [(1, _view(1, (1, 2, 3))), (2, _view(2, (2, 3))), (3, _view(2, (2, 3)))]
    assert majority_view(answers).leader == 2


def test_in_a_tie_a_view_vouched_for_by_another_broker_beats_a_self_claim():
    # Broker 2 did not answer in time: broker 1 still claims to lead, broker 3 says 2 leads.
    for answers in ([(1, _view(1, (1, 2, 3))), (3, _view(2, (2, 3)))],
                    [(3, _view(2, (2, 3))), (1, _view(1, (1, 2, 3)))]):
        assert majority_view(answers).leader == 2


def test_a_lone_answer_is_taken_as_it_is():
    assert majority_view([(2, _view(2, (2,)))]).isr == (2,)
