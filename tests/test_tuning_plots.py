"""Study plots: PNG files for what a study allows, and a reason for each plot it does not."""

import optuna

from sentiment_assets.models.tuning import study_plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _study(n_trials: int, fixed: dict | None = None) -> optuna.Study:
    """An in-memory study of a cheap objective that reports two intermediate values per trial."""

    def objective(trial: optuna.Trial) -> float:
        x, depth = trial.suggest_float("x", 0.0, 1.0), trial.suggest_int("depth", 1, 4)
        for step in (1, 2):
            trial.report(x * step / 2, step)
        return x + 0.01 * depth

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
    if fixed:
        for _ in range(n_trials):
            study.enqueue_trial(fixed)
    study.optimize(objective, n_trials=n_trials)
    return study


def test_a_study_yields_history_intermediate_values_and_importances_as_png_files(tmp_path):
    plots = study_plots(_study(6), tmp_path / "plots")
    assert set(plots.paths) == {"optimization_history", "intermediate_values", "param_importances"}
    assert plots.skipped == {}
    for path in plots.paths.values():
        assert path.parent == tmp_path / "plots"
        assert path.stat().st_size > 1000 and path.read_bytes()[:8] == PNG_MAGIC


def test_with_one_trial_the_importance_plot_is_absent_with_a_reason(tmp_path):
    plots = study_plots(_study(1), tmp_path)
    assert "param_importances" not in plots.paths
    assert not (tmp_path / "param_importances.png").exists()
    assert "at least 2 complete trials" in plots.skipped["param_importances"]
    assert plots.paths["optimization_history"].read_bytes()[:8] == PNG_MAGIC


def test_importances_are_absent_when_every_trial_used_the_same_values(tmp_path):
    plots = study_plots(_study(3, fixed={"x": 0.5, "depth": 2}), tmp_path)
    assert plots.skipped["param_importances"] == "no hyper-parameter took more than one value among the complete trials"
    assert "optimization_history" in plots.paths


def test_an_empty_study_draws_nothing_and_says_why(tmp_path):
    plots = study_plots(_study(0), tmp_path)
    assert plots.paths == {}
    assert set(plots.skipped) == {"optimization_history", "intermediate_values", "param_importances"}
