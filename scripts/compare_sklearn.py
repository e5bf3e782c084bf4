#!/usr/bin/env python3
"""hypergrid against scikit-learn's GridSearchCV on the same grid and the same rows.

Run through scripts/compare-sklearn (which installs scikit-learn into a venv and builds
hypergrid). For each dataset shipped inside scikit-learn (digits, breast cancer, diabetes):

1. writes it as a CSV file (features f0..f{d-1}, then `target`);
2. runs hypergrid's grid (`hypergrid run --workers 2`) on it, with and without early
   stopping, and reads the rows hypergrid dealt to training and validation from the run
   directory (`dataset.json`); the script's own re-implementation of the split
   (``hypergrid_split``, mirroring HypergridData's SplitPlan) must agree with them, or it stops;
3. runs GridSearchCV(n_jobs=2) with a PredefinedSplit over exactly those rows, on the same
   12-point grid hidden (64,), (256,), (256,128) x alpha {1e-4, 1e-2} x learning rate
   {1e-3, 1e-2};
4. prints one table: best validation accuracy (or RMSE), wall time of the whole grid, and
   what starting the processes costs each side.

How the grids map (docs/scikit-learn.md says the same):
- scikit-learn minimises `loss + alpha/(2·B)·Σ‖W‖²` per minibatch of B rows (its L2 term is
  scaled by the batch), with `loss` the mean log-loss, or half the mean squared error.
  hypergrid minimises `loss + reg·Σ‖W‖²` with `loss` the mean cross-entropy or the mean
  squared error (no half), so reg = alpha/(2·B) for classification and alpha/B for
  regression (the same objective up to a factor of 2, to which Adam is insensitive).
  hypergrid's regression targets are standardised, scikit-learn's are not: on diabetes
  (deviation ≈ 77) the same alpha weighs far less against scikit-learn's squared error.
- Adam with the same learning rates, batch B = 200, ReLU. scikit-learn trains up to
  max_iter = 200 epochs of ceil(n/B) steps and stops earlier when its training loss has not
  improved by tol = 1e-4 for n_iter_no_change = 10 epochs (its defaults). hypergrid's budget
  is the same 200·ceil(n/B) steps, each a minibatch drawn with replacement; its early-stopping
  run uses the same patience, `training.early_stop: 10`, on the figure it ranks by (validation
  accuracy or RMSE, any improvement counts: `early_stop_tol` 0) and keeps the best epoch's
  weights. The "full" run trains every step with no early stopping, as before it existed.
- Initialisation differs (Glorot uniform vs He normal); features are standardised with the
  training rows' statistics on both sides.
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from sklearn import datasets
from sklearn.model_selection import GridSearchCV, PredefinedSplit
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HIDDEN = [(64,), (256,), (256, 128)]
ALPHAS = [1e-4, 1e-2]
RATES = [1e-3, 1e-2]
BATCH = 200
MAX_EPOCHS = 200
PATIENCE = 10  # scikit-learn's n_iter_no_change, as hypergrid's training.early_stop
SPLIT_SEED = 0
LOADERS = {
    "digits": (lambda: datasets.load_digits(return_X_y=True), False),
    "breast_cancer": (lambda: datasets.load_breast_cancer(return_X_y=True), False),
    "diabetes": (lambda: datasets.load_diabetes(return_X_y=True, scaled=False), True),
}
MASK = (1 << 64) - 1


def splitmix64(seed):
    """SplitMix64 (Steele, Lea & Flood 2014), as HypergridData's SplitMix64."""
    state = seed & MASK
    while True:
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def hypergrid_split(rows, classes, validation, seed):
    """The training and validation row indices hypergrid deals a file of `rows` rows into
    (no test split): HypergridData's SplitPlan.make, step for step."""
    rng = splitmix64(seed ^ 0x73706C6974732121)  # "splits!!"
    keys = [next(rng) for _ in range(rows)]
    order = list(range(rows))
    if classes is not None:
        by_key = sorted(order, key=lambda r: keys[r])
        seen, rank = {}, [0] * rows
        for r in by_key:
            rank[r] = seen.get(classes[r], 0)
            seen[classes[r]] = rank[r] + 1
        position = [(rank[r] + 0.5) / seen[classes[r]] for r in range(rows)]
        order.sort(key=lambda r: (position[r], keys[r]))
    else:
        order.sort(key=lambda r: keys[r])
    return sorted(order[validation:]), sorted(order[:validation])


def write_csv(path, x, y, regression):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{j}" for j in range(x.shape[1])] + ["target"])
        for row, label in zip(x, y):
            w.writerow([repr(float(v)) for v in row] + [repr(float(label)) if regression else str(int(label))])


def grid_yaml(path, csv_path, regression, validation, steps, epochs_only=False, early_stop=None):
    # reg from alpha: see the module docstring.
    regs = [a / BATCH if regression else a / (2 * BATCH) for a in ALPHAS]
    hidden = "[" + ", ".join("[" + ", ".join(map(str, h)) + "]" for h in HIDDEN) + "]"
    task = "regression" if regression else "classification"
    with open(path, "w") as f:
        f.write(f"dataset: {{format: csv, path: {csv_path}, label: target, task: {task}, "
                f"validation: {validation}, split_seed: {SPLIT_SEED}}}\n")
        if epochs_only:  # the fixed cost: one point, one iteration
            f.write("model: {hidden: [64]}\ntraining: {optimizer: adam, learning_rate: 0.001, "
                    f"batch_size: {BATCH}, iterations: 1}}\n")
        else:
            f.write(f"model: {{hidden: {hidden}, init: he}}\n")
            stop = f", early_stop: {early_stop}" if early_stop else ""
            f.write(f"training: {{optimizer: adam, learning_rate: {RATES}, reg: {regs}, decay: 1.0, "
                    f"batch_size: {BATCH}, iterations: {steps}{stop}}}\n")
        f.write("search: {kind: grid}\n")


def run_hypergrid(binary, grid, run_dir, cache_dir):
    start = time.perf_counter()
    done = subprocess.run([binary, "run", "--grid", grid, "--workers", "2", "--run-dir", run_dir,
                           "--cache-dir", cache_dir], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"compare-sklearn: hypergrid run failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return wall


def best_of_leaderboard(run_dir, regression):
    with open(os.path.join(run_dir, "leaderboard.csv")) as f:
        rows = list(csv.DictReader(f))
    best = next(r for r in rows if r["rank"] == "1")
    return float(best["val_rmse" if regression else "val_acc"]), best


def hypergrid_rows(run_dir):
    """The 0-based data rows hypergrid dealt to training and validation, from the run
    directory's dataset.json (CSV line numbers: the header is line 1, and these files have no
    quoted line breaks, so data row i is line i + 2)."""
    with open(os.path.join(run_dir, "dataset.json")) as f:
        split = json.load(f).get("splitRows")
    if not split or split["unit"] != "line":
        sys.exit(f"compare-sklearn: {run_dir}/dataset.json lists no CSV line numbers; is the binary older than this script?")
    return [r - 2 for r in split["train"]], [r - 2 for r in split["validation"]]


def run_sklearn(x, y, train, validation, regression):
    fold = np.full(len(y), -1)
    fold[validation] = 0
    order = np.r_[train, validation]
    estimator = MLPRegressor if regression else MLPClassifier
    key = estimator.__name__.lower()
    pipe = make_pipeline(StandardScaler(), estimator(max_iter=MAX_EPOCHS, batch_size=BATCH, random_state=0))
    grid = {f"{key}__hidden_layer_sizes": HIDDEN, f"{key}__alpha": ALPHAS, f"{key}__learning_rate_init": RATES}
    search = GridSearchCV(pipe, grid, cv=PredefinedSplit(fold[order]), n_jobs=2, refit=False,
                          scoring="neg_root_mean_squared_error" if regression else "accuracy")
    start = time.perf_counter()
    search.fit(x[order], y[order])
    wall = time.perf_counter() - start
    params = {k.split("__")[1]: v for k, v in search.best_params_.items()}
    # Epochs each point trained before its early stop (outside the clock: one more fit each).
    epochs = []
    for point in search.cv_results_["params"]:
        fitted = pipe.set_params(**point).fit(x[train], y[train])
        epochs.append(fitted[-1].n_iter_)
    return abs(search.best_score_), params, wall, epochs


def iterations_trained(run_dir):
    """Adam steps each trial of a run trained (its journal's `iterations`)."""
    steps = []
    with open(os.path.join(run_dir, "journal.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            if record.get("type") == "result":
                steps.append(record["metrics"]["iterations"])
    return steps


def python_start_cost():
    """Starting Python and importing what the search uses (outside the fit's clock)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sklearn.neural_network, sklearn.model_selection, sklearn.pipeline"],
                   check=True)
    return time.perf_counter() - start


def main():
    # scikit-learn warns for every point that reaches max_iter; the table says how many epochs
    # each trained. PYTHONWARNINGS reaches GridSearchCV's worker processes too.
    os.environ["PYTHONWARNINGS"] = "ignore"
    warnings.simplefilter("ignore")
    ap = argparse.ArgumentParser()
    ap.add_argument("--hypergrid", required=True, help="the hypergrid binary")
    ap.add_argument("--datasets", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    ap.add_argument("--repeats", type=int, default=1, help="runs of each side; medians are printed")
    ap.add_argument("--patience", type=int, default=PATIENCE,
                    help="hypergrid's training.early_stop (default 10, scikit-learn's n_iter_no_change)")
    ap.add_argument("--keep", help="write the CSV files, grids and run directories here (else a temporary folder)")
    a = ap.parse_args()
    work = a.keep or tempfile.mkdtemp(prefix="compare-sklearn-")
    os.makedirs(work, exist_ok=True)
    cache = os.path.join(work, "cache")
    table = []
    for name in a.datasets:
        load, regression = LOADERS[name]
        x, y = load()
        x = np.asarray(x, dtype=np.float64)
        rows = len(y)
        n_validation = int(np.floor(0.2 * rows + 0.5))  # Swift's rounded(): half away from zero
        train, validation = hypergrid_split(rows, None if regression else [int(v) for v in y], n_validation, SPLIT_SEED)
        steps = MAX_EPOCHS * -(-len(train) // BATCH)
        csv_path = os.path.abspath(os.path.join(work, f"{name}.csv"))
        write_csv(csv_path, x, y, regression)
        # The split files, for anyone who wants to check the rows: one index per line, 0-based.
        for split, idx in (("train", train), ("validation", validation)):
            with open(os.path.join(work, f"{name}.{split}-rows.txt"), "w") as f:
                f.write("\n".join(map(str, idx)) + "\n")
        grid = os.path.join(work, f"{name}.yaml")
        grid_yaml(grid, csv_path, regression, n_validation, steps)
        fixed = os.path.join(work, f"{name}-fixed.yaml")
        grid_yaml(fixed, csv_path, regression, n_validation, steps, epochs_only=True)
        stopping = os.path.join(work, f"{name}-early-stop.yaml")
        grid_yaml(stopping, csv_path, regression, n_validation, steps, early_stop=a.patience)

        hg_walls, hg_stop_walls, hg_fixed, sk_walls, starts = [], [], [], [], []
        for r in range(a.repeats):
            run_dir = os.path.join(work, f"{name}-run{r}")
            shutil.rmtree(run_dir, ignore_errors=True)
            hg_walls.append(run_hypergrid(a.hypergrid, grid, run_dir, cache))
            hg_best, hg_row = best_of_leaderboard(run_dir, regression)
            # The rows both sides train and validate on: hypergrid's own, checked against the
            # script's re-implementation of its split.
            hg_train, hg_validation = hypergrid_rows(run_dir)
            if (hg_train, hg_validation) != (train, validation):
                sys.exit(f"compare-sklearn: {name}: hypergrid's split (run directory {run_dir}) differs from "
                         "hypergrid_split's; fix the script's re-implementation before comparing")
            stop_dir = os.path.join(work, f"{name}-early-stop{r}")
            shutil.rmtree(stop_dir, ignore_errors=True)
            hg_stop_walls.append(run_hypergrid(a.hypergrid, stopping, stop_dir, cache))
            hg_stop_best, hg_stop_row = best_of_leaderboard(stop_dir, regression)
            hg_stop_steps = iterations_trained(stop_dir)
            fixed_dir = os.path.join(work, f"{name}-fixed{r}")
            shutil.rmtree(fixed_dir, ignore_errors=True)
            hg_fixed.append(run_hypergrid(a.hypergrid, fixed, fixed_dir, cache))
            sk_best, sk_params, sk_wall, sk_epochs = run_sklearn(x, y, hg_train, hg_validation, regression)
            sk_walls.append(sk_wall)
            starts.append(python_start_cost())
        table.append(dict(name=name, regression=regression, rows=rows, train=len(train), validation=len(validation),
                          steps=steps, hg=hg_best, hg_row=hg_row, hg_stop=hg_stop_best, hg_stop_row=hg_stop_row,
                          hg_stop_steps=hg_stop_steps, sk=sk_best, sk_params=sk_params, sk_epochs=sk_epochs,
                          hg_wall=statistics.median(hg_walls), hg_stop_wall=statistics.median(hg_stop_walls),
                          hg_fixed=statistics.median(hg_fixed),
                          sk_wall=statistics.median(sk_walls), start=statistics.median(starts)))
        print(f"{name}: done", file=sys.stderr, flush=True)

    def metric(v, regression):
        return f"RMSE {v:.2f}" if regression else f"{100 * v:.2f} %"

    print(f"{'dataset':<14} {'rows (train/val)':>17} {'metric':>8} {'scikit-learn':>13} {'hg early stop':>13} "
          f"{'hg full':>12} {'sk grid s':>9} {'sk start s':>10} {'hg stop s':>9} {'hg full s':>9} {'hg fixed s':>10} "
          f"{'speed-up':>8} {'(full)':>7}")
    for t in table:
        speed = (t["sk_wall"] + t["start"]) / t["hg_stop_wall"]
        speed_full = (t["sk_wall"] + t["start"]) / t["hg_wall"]
        print(f"{t['name']:<14} {str(t['train']) + '/' + str(t['validation']):>17} "
              f"{'RMSE' if t['regression'] else 'accuracy':>8} {metric(t['sk'], t['regression']):>13} "
              f"{metric(t['hg_stop'], t['regression']):>13} {metric(t['hg'], t['regression']):>12} "
              f"{t['sk_wall']:>9.2f} {t['start']:>10.2f} {t['hg_stop_wall']:>9.2f} {t['hg_wall']:>9.2f} "
              f"{t['hg_fixed']:>10.2f} {speed:>7.1f}x {speed_full:>6.1f}x")
    print()
    for t in table:
        h, e = t["hg_row"], t["hg_stop_row"]
        per_epoch = -(-t["train"] // BATCH)
        print(f"{t['name']}: scikit-learn best {t['sk_params']}, epochs trained {sorted(t['sk_epochs'])}; "
              f"hypergrid early stop best hidden {e['hidden']}, lr {e['lr']}, reg {e['reg']}, "
              f"epochs trained {sorted(round(s / max(t['train'] // BATCH, 1)) for s in t['hg_stop_steps'])} of "
              f"{t['steps'] // max(t['train'] // BATCH, 1)}; full best hidden {h['hidden']}, lr {h['lr']}, reg {h['reg']} "
              f"({t['steps']} Adam steps of {BATCH} = {t['steps'] // per_epoch} scikit-learn epochs)")
    print("sk grid s: GridSearchCV.fit(n_jobs=2) in a running Python; sk start s: starting Python and importing "
          "scikit-learn; hg stop s / hg full s: the whole `hypergrid run --workers 2` process (start-up, CSV, 12 trials, "
          f"report) with training.early_stop: {a.patience} / without early stopping; hg fixed s: the same run with one "
          "1-iteration trial (hypergrid's start-up cost); speed-up: (sk grid + sk start) / hg stop s, and "
          "(full): / hg full s.")
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}")


if __name__ == "__main__":
    main()
