from harness.observe.leadership import leader_changes
from tests.crafted import Crafted


def test_leader_change_takes_epochs_from_the_nearest_samples_that_know_them():
    c = Crafted().sample(0, leader=2, isr=[1, 2, 3], epoch=4).sample(0, leader=2, isr=[1, 3], epoch=None)
    c.sample(0, leader=3, isr=[1, 3], epoch=None).sample(0, leader=3, isr=[1, 3], epoch=5)
    c.sample(1, leader=1, isr=[1, 2, 3], epoch=0)
    (change,) = leader_changes(c.history())
    assert (change["partition"], change["from"], change["to"]) == (0, 2, 3)
    assert (change["epoch_from"], change["epoch_to"]) == (4, 5)


def test_a_leader_from_outside_the_last_isr_is_an_unclean_election():
    c = Crafted().sample(0, leader=1, isr=[1, 2, 3]).sample(0, leader=1, isr=[1, 2]).sample(0, leader=-1, isr=[1])
    c.sample(0, leader=3, isr=[3]).sample(0, leader=1, isr=[1, 3])
    changes = leader_changes(c.history())
    # 1 back in the ISR and leading by the next sample: it caught up first, so that election was clean.
    assert [(ch["from"], ch["to"], ch["unclean"]) for ch in changes] == [(1, 3, True), (3, 1, False)]
    assert changes[0]["isr_before"] == [1]
