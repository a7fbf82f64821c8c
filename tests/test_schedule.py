"""The budget-following cosine learning-rate schedule."""
import math
from types import SimpleNamespace

import pytest
from lightning.pytorch.callbacks import Timer

from quality.training.schedule import BudgetCosineLR, check_scheduler, cosine_factor


def test_cosine_factor_warms_up_then_falls_to_the_final_rate():
    assert cosine_factor(0.05, warmup=0.1) == pytest.approx(0.5)
    assert cosine_factor(0.1, warmup=0.1) == pytest.approx(1.0)
    assert cosine_factor(0.55, warmup=0.1, final=0.0) == pytest.approx(0.5)
    assert cosine_factor(1.0, final=0.02) == pytest.approx(0.02)
    assert cosine_factor(3.0, final=0.02) == pytest.approx(0.02)  # past the budget: stays at the end
    values = [cosine_factor(p / 100) for p in range(101)]
    assert all(a >= b for a, b in zip(values, values[1:]))
    assert cosine_factor(0.25) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)))


def test_progress_is_the_larger_of_the_time_and_step_fractions(monkeypatch):
    timer = Timer(duration={"minutes": 10})
    monkeypatch.setattr(timer, "time_elapsed", lambda stage="train": 150.0)  # a quarter of 10 minutes
    monkeypatch.setattr(timer, "time_remaining", lambda stage="train": 450.0)
    schedule = BudgetCosineLR(0.0, 0.0, epoch_batches=10)
    trainer = SimpleNamespace(max_epochs=10, global_step=10, callbacks=[timer])
    assert schedule.progress(trainer) == pytest.approx(0.25)
    trainer.global_step = 50
    assert schedule.progress(trainer) == pytest.approx(0.5)
    assert schedule.progress(SimpleNamespace(max_epochs=-1, global_step=50, callbacks=[])) == 0.0


@pytest.mark.parametrize("spec, message", [
    ({"name": "step"}, "name one of"),
    ({"name": "cosine", "warmup": 1.0}, "lr_scheduler.warmup"),
    ({"name": "cosine", "final": -0.1}, "lr_scheduler.final"),
    ({"name": "cosine", "factor": 0.5}, "unknown options"),
    ("cosine", "mapping"),
])
def test_bad_schedules_are_named(spec, message):
    with pytest.raises(ValueError, match=message):
        check_scheduler(spec)
    check_scheduler({"name": "cosine", "warmup": 0.02, "final": 0.05})
    check_scheduler({"name": "plateau", "patience": 2})
    check_scheduler(None)
