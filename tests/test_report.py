from harness.report import leader_changes
from tests.crafted import Crafted


def test_leader_change_takes_epochs_from_the_nearest_samples_that_know_them():
    c = Crafted().sample(0, leader=2, isr=[1, 2, 3], epoch=4).sample(0, leader=2, isr=[1, 3], epoch=None)
    c.sample(0, leader=3, isr=[1, 3], epoch=None).sample(0, leader=3, isr=[1, 3], epoch=5)
    c.sample(1, leader=1, isr=[1, 2, 3], epoch=0)
    (change,) = leader_changes(c.history())
    assert (change["partition"], change["from"], change["to"]) == (0, 2, 3)
    assert (change["epoch_from"], change["epoch_to"]) == (4, 5)
