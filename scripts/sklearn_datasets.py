"""Writes scikit-learn's bundled datasets as CSV, .npy and .npz (see scripts/sklearn-datasets)."""
import csv
import os
import sys

import numpy as np
from sklearn import datasets

VERSION = "2"  # bump when the files written change


def write_csv(path, header, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    os.replace(tmp, path)


def number(v):
    """Integers as integers, other numbers in repr (shortest round-trip) form."""
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return repr(float(v))


def main(out):
    os.makedirs(out, exist_ok=True)
    stamp = os.path.join(out, "VERSION")
    if os.path.exists(stamp) and open(stamp).read().strip() == VERSION:
        print(f"sklearn-datasets: {out} is up to date")
        return
    loaders = {
        "digits": (datasets.load_digits, "digit", False),
        "breast_cancer": (datasets.load_breast_cancer, "malignant_or_benign", False),
        "wine": (datasets.load_wine, "cultivar", True),      # label as class-name strings
        "iris": (datasets.load_iris, "species", True),       # label as class-name strings
        "diabetes": (datasets.load_diabetes, "progression", False),
    }
    for name, (load, label, named) in loaders.items():
        d = load()
        x, y = d.data, d.target
        features = list(getattr(d, "feature_names", [f"f{i}" for i in range(x.shape[1])]))
        features = [str(f).replace(" ", "_").replace("(", "").replace(")", "") for f in features]
        regression = name == "diabetes"
        if named:
            labels = [str(d.target_names[t]) for t in y]
        elif regression:
            labels = [repr(float(t)) for t in y]   # floating point: regression
        else:
            labels = [str(int(t)) for t in y]
        rows = [[number(v) for v in row] + [lab] for row, lab in zip(x, labels)]
        write_csv(os.path.join(out, f"{name}.csv"), features + [label], rows)
        xf = x.astype(np.float32) if name == "digits" else x
        yv = y.astype(np.float64) if regression else y.astype(np.int64)
        np.save(os.path.join(out, f"{name}_x.npy"), xf, allow_pickle=False)
        np.save(os.path.join(out, f"{name}_y.npy"), yv, allow_pickle=False)
        np.savez_compressed(os.path.join(out, f"{name}.npz"), x=xf, y=yv)
        np.savez(os.path.join(out, f"{name}_stored.npz"), x=xf, y=yv)
    # Digits as 8x8 images, and the first 1,500 rows / last 297 as a train file and a test file.
    d = datasets.load_digits()
    np.save(os.path.join(out, "digits_images.npy"), d.images.astype(np.uint8), allow_pickle=False)
    header = [f"pixel_{i}" for i in range(64)] + ["digit"]
    rows = [[str(int(v)) for v in row] + [str(int(t))] for row, t in zip(d.data, d.target)]
    write_csv(os.path.join(out, "digits_first1500.csv"), header, rows[:1500])
    write_csv(os.path.join(out, "digits_last297.csv"), header, rows[1500:])
    # scikit-learn ships no table with text columns or missing values, so this one is derived
    # from a real one (iris): petal width bucketed into text categories, the sepal length
    # written as 'short'/'long' in a second text column, and a seeded 5% of the cells blanked
    # (some as NA, some as empty, some as '?').
    d = datasets.load_iris()
    rng = np.random.default_rng(20261207)
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width_class", "sepal_class", "species"]
    rows = []
    for row, t in zip(d.data, d.target):
        pw = "narrow" if row[3] < 0.8 else ("medium" if row[3] < 1.7 else "wide")
        sc = "short" if row[0] < 5.8 else "long"
        rows.append([number(row[0]), number(row[1]), number(row[2]), pw, sc, str(d.target_names[t])])
    markers = ["", "NA", "?"]
    blanked = 0
    for r in rows:
        for c in range(5):
            if rng.random() < 0.05:
                r[c] = markers[int(rng.integers(0, 3))]
                blanked += 1
    write_csv(os.path.join(out, "iris_messy.csv"), header, rows)
    with open(stamp, "w") as f:
        f.write(VERSION + "\n")
    print(f"sklearn-datasets: wrote digits, breast_cancer, wine, iris, diabetes and iris_messy ({blanked} blank cells) to {out}")


if __name__ == "__main__":
    main(sys.argv[1])
