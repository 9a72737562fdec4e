#!/usr/bin/python3
"""Batch reference for survey satisfaction classification on French free-text
reviews (Babelio + Critiques Libres, HF dataset Abirate/french_book_reviews,
CC0 as declared by the compiler; internal evaluation only).

Protocol (see tests/bench/REFERENCE.md, "Survey satisfaction (French reviews)"):
  * records in file order: babelio_reviews.jsonl then
    critiques_libres_reviews.jsonl, line order; empty reader_review dropped;
    rating 5.5 (3 rows) clamped to 5;
  * first half (integer half of the kept records) = train, rest = test;
  * class from rating: negative <= 2.5, neutral 3..3.5, positive >= 4;
  * models: (a) majority class of train (score: train median rating);
    (b) TF-IDF + multinomial LogisticRegression, class_weight in
    {None, 'balanced'} x C in {0.3, 1, 3, 10} chosen by macro-F1 on the last
    20 % of train, refit on all of train; (c) Ridge regression of the rating
    on the same TF-IDF (alpha chosen by MAE on the same validation split),
    prediction clipped to [0.5, 5].

Run with the Debian interpreter (scikit-learn from python3-sklearn):
    /usr/bin/python3 tests/bench/ref_surveys.py [--data DIR] [--json OUT] [-q]
"""

import argparse
import collections
import datetime as dt
import hashlib
import json
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(
    HERE, "..", "..", "..", "shared", "data", "fr-book-reviews"))
FILES = ["babelio_reviews.jsonl", "critiques_libres_reviews.jsonl"]

CLASSES = ["negative", "neutral", "positive"]
C_GRID = [0.3, 1.0, 3.0, 10.0]
CW_GRID = [None, "balanced"]
ALPHA_GRID = [0.3, 1.0, 3.0, 10.0]
R_MIN, R_MAX = 0.5, 5.0
VAL_FRACTION = 5          # last len(train) // 5 records of train = validation
TFIDF = dict(lowercase=True, strip_accents="unicode", analyzer="word",
             ngram_range=(1, 2), min_df=2, sublinear_tf=True)


def rating_class(r):
    if r <= 2.5:
        return "negative"
    if r <= 3.5:
        return "neutral"
    return "positive"


def read_records(data_dir):
    """Return (records, notes); records are dicts with text, rating, cls,
    file, line (1-based), in file order, empty reviews dropped."""
    recs = []
    notes = {"files": {}, "dropped_empty": [], "clamped": []}
    for fname in FILES:
        path = os.path.join(data_dir, fname)
        with open(path, "rb") as fh:
            raw = fh.read()
        notes["files"][fname] = {"sha256": hashlib.sha256(raw).hexdigest()}
        n = 0
        for lineno, line in enumerate(raw.decode("utf-8").split("\n"), 1):
            if not line.strip():
                continue
            n += 1
            o = json.loads(line)
            text = o["reader_review"] or ""
            rating = float(o["rating"])
            if text == "":
                notes["dropped_empty"].append([fname, lineno])
                continue
            if rating > R_MAX:
                notes["clamped"].append([fname, lineno, rating])
                rating = R_MAX
            recs.append({"text": text, "rating": rating,
                         "cls": rating_class(rating), "label": o["label"],
                         "file": fname, "line": lineno})
        notes["files"][fname]["records"] = n
    return recs, notes


def make_vec():
    from sklearn.feature_extraction.text import TfidfVectorizer
    return TfidfVectorizer(**TFIDF)


def fit_logreg(X, y, C, cw):
    from sklearn.linear_model import LogisticRegression
    m = LogisticRegression(C=C, class_weight=cw, multi_class="multinomial",
                           solver="lbfgs", max_iter=5000, tol=1e-4)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m.fit(X, y)
    conv = not any("converge" in str(x.message).lower() for x in w)
    return m, conv


def fit_ridge(X, y, alpha):
    from sklearn.linear_model import Ridge
    return Ridge(alpha=alpha).fit(X, y)


def cls_metrics(y_true, y_pred):
    from sklearn.metrics import accuracy_score, f1_score, recall_score
    per = f1_score(y_true, y_pred, labels=CLASSES, average=None,
                   zero_division=0)
    rec = recall_score(y_true, y_pred, labels=CLASSES, average=None,
                       zero_division=0)
    return {
        "macro_f1": float(f1_score(y_true, y_pred, labels=CLASSES,
                                   average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "recall_negative": float(rec[0]),
        "recall": {c: float(v) for c, v in zip(CLASSES, rec)},
        "f1": {c: float(v) for c, v in zip(CLASSES, per)},
    }


def mae(y, p):
    import numpy as np
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(p))))


def main():
    ap = argparse.ArgumentParser(
        description="Batch reference (majority class, TF-IDF + multinomial "
        "logistic regression, TF-IDF + ridge score) for 3-class satisfaction "
        "(negative <= 2.5 < neutral <= 3.5 < positive) on French book "
        "reviews: records in file order (babelio then critiques_libres), "
        "empty reviews dropped, first half = train, second half = test.")
    ap.add_argument("--data", default=DEFAULT_DATA,
                    help="directory holding %s (default: %%(default)s)"
                    % " and ".join(FILES))
    ap.add_argument("--json", metavar="FILE",
                    help="also write the results as JSON to FILE")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="no progress lines on stderr")
    args = ap.parse_args()
    verbose = not args.quiet

    def log(msg):
        if verbose:
            print(msg, file=sys.stderr)

    t0 = time.time()
    import numpy as np
    import scipy
    import sklearn
    from sklearn.metrics import f1_score

    recs, notes = read_records(args.data)
    t_read = time.time() - t0
    half = len(recs) // 2
    train, test = recs[:half], recs[half:]
    ytr = [r["cls"] for r in train]
    yte = [r["cls"] for r in test]
    rtr = np.array([r["rating"] for r in train])
    rte = np.array([r["rating"] for r in test])
    label_mismatch = sum(1 for r in recs
                         if {"negative": -1, "neutral": 0,
                             "positive": 1}[r["cls"]] != r["label"])

    # ---- validation split: last 20 % of train ----
    n_fit = len(train) - len(train) // VAL_FRACTION
    vec_v = make_vec()
    Xa = vec_v.fit_transform([r["text"] for r in train[:n_fit]])
    Xv = vec_v.transform([r["text"] for r in train[n_fit:]])
    ya, yv = ytr[:n_fit], ytr[n_fit:]
    ra, rv = rtr[:n_fit], rtr[n_fit:]
    log("validation: fit %d, val %d, %d features"
        % (n_fit, len(yv), Xa.shape[1]))

    grid = []
    for cw in CW_GRID:
        for C in C_GRID:
            t = time.time()
            m, conv = fit_logreg(Xa, ya, C, cw)
            pv = m.predict(Xv)
            f1 = float(f1_score(yv, pv, labels=CLASSES, average="macro",
                                zero_division=0))
            grid.append({"class_weight": cw, "C": C, "val_macro_f1": f1,
                         "n_iter": int(max(m.n_iter_)), "converged": conv,
                         "seconds": round(time.time() - t, 2)})
            log("  logreg class_weight=%-8s C=%-4g val macro-F1 %.4f%s  %.1fs"
                % (cw, C, f1, "" if conv else " (NOT converged)",
                   time.time() - t))
    # ties: smaller C, then class_weight None before 'balanced'
    best = max(grid, key=lambda g: (round(g["val_macro_f1"], 12), -g["C"],
                                    g["class_weight"] is None))

    rgrid = []
    for alpha in ALPHA_GRID:
        m = fit_ridge(Xa, ra, alpha)
        e = mae(rv, np.clip(m.predict(Xv), R_MIN, R_MAX))
        rgrid.append({"alpha": alpha, "val_mae": e})
        log("  ridge alpha=%-4g val MAE %.4f" % (alpha, e))
    best_r = min(rgrid, key=lambda g: (round(g["val_mae"], 12), g["alpha"]))

    # ---- refit on all of train, evaluate on test ----
    t = time.time()
    vec = make_vec()
    Xtr = vec.fit_transform([r["text"] for r in train])
    Xte = vec.transform([r["text"] for r in test])
    lr, conv = fit_logreg(Xtr, ytr, best["C"], best["class_weight"])
    pred_lr = list(lr.predict(Xte))
    rg = fit_ridge(Xtr, rtr, best_r["alpha"])
    score = np.clip(rg.predict(Xte), R_MIN, R_MAX)
    t_fit = time.time() - t

    maj = collections.Counter(ytr).most_common(1)[0][0]
    median = float(np.median(rtr))
    res_maj = cls_metrics(yte, [maj] * len(yte))
    res_maj.update({"class": maj, "score": "train median %.1f" % median,
                    "mae": mae(rte, np.full(len(rte), median))})
    res_lr = cls_metrics(yte, pred_lr)
    res_lr.update({"C": best["C"], "class_weight": best["class_weight"],
                   "n_iter": int(max(lr.n_iter_)), "converged": conv,
                   "grid": grid,
                   "confusion": {
                       c: {p: sum(1 for a, b in zip(yte, pred_lr)
                                  if a == c and b == p) for p in CLASSES}
                       for c in CLASSES},
                   "score": "ridge alpha=%g" % best_r["alpha"],
                   "ridge_alpha": best_r["alpha"], "ridge_grid": rgrid,
                   "mae": mae(rte, score)})
    elapsed = time.time() - t0

    ctr = collections.Counter(ytr)
    cte = collections.Counter(yte)
    n_dup = len(recs) - len({r["text"] for r in recs})
    test_first = test[0]

    # ---- report ----
    print("French book reviews: %d records read, %d empty dropped, %d kept; "
          "train %d / test %d (file order)"
          % (sum(f["records"] for f in notes["files"].values()),
             len(notes["dropped_empty"]), len(recs), len(train), len(test)))
    print("test starts at %s line %d; test holds %d critiques_libres records"
          % (test_first["file"], test_first["line"],
             sum(1 for r in test if r["file"] == FILES[1])))
    print("classes (neg/neu/pos): train %d/%d/%d, test %d/%d/%d; "
          "TF-IDF features %d" % (
              ctr["negative"], ctr["neutral"], ctr["positive"],
              cte["negative"], cte["neutral"], cte["positive"], Xtr.shape[1]))
    print()
    hdr = "%-9s %8s %8s %7s %7s %7s %7s %7s  %s" % (
        "model", "macroF1", "accuracy", "recNeg", "F1neg", "F1neu", "F1pos",
        "MAE", "settings")
    print(hdr)
    print("-" * len(hdr))
    for name, r, extra in (
            ("majority", res_maj, "class=%s; score=train median %.1f"
             % (maj, median)),
            ("logreg", res_lr, "C=%g class_weight=%s; score=ridge alpha=%g"
             % (best["C"], best["class_weight"], best_r["alpha"]))):
        print("%-9s %8.4f %8.4f %7.4f %7.4f %7.4f %7.4f %7.4f  %s" % (
            name, r["macro_f1"], r["accuracy"], r["recall_negative"],
            r["f1"]["negative"], r["f1"]["neutral"], r["f1"]["positive"],
            r["mae"], extra))
    print("(MAE = mean |rating - score| on test, score clipped to [0.5, 5])")
    print()
    print("logreg confusion on test (rows = true, cols = predicted "
          "neg/neu/pos):")
    for c in CLASSES:
        print("  %-8s %5d %5d %5d" % ((c,) + tuple(
            res_lr["confusion"][c][p] for p in CLASSES)))
    print()
    print("scikit-learn %s, numpy %s, scipy %s, python %s"
          % (sklearn.__version__, np.__version__, scipy.__version__,
             sys.version.split()[0]))
    print("time: %.1f s (reading %.1f s, final fits %.1f s)"
          % (elapsed, t_read, t_fit))

    if args.json:
        out = {
            "dataset": "fr-book-reviews (%s)" % ", ".join(FILES),
            "protocol": {
                "order": "babelio_reviews.jsonl then "
                         "critiques_libres_reviews.jsonl, line order",
                "drop": "reader_review == ''",
                "rating_clamp": [R_MIN, R_MAX],
                "classes": {"negative": "rating <= 2.5",
                            "neutral": "3 <= rating <= 3.5",
                            "positive": "rating >= 4"},
                "split": "first len//2 kept records = train, rest = test",
                "validation": "last len(train)//5 records of train",
                "tfidf": {k: (list(v) if isinstance(v, tuple) else v)
                          for k, v in TFIDF.items()},
                "logreg": "multinomial lbfgs, max_iter=5000, tol=1e-4",
                "C_grid": C_GRID, "class_weight_grid": CW_GRID,
                "selection": "val macro-F1; ties -> smaller C, then None",
                "ridge_alpha_grid": ALPHA_GRID,
                "ridge_selection": "val MAE (clipped); ties -> smaller alpha",
            },
            "n_records": len(recs), "n_train": len(train),
            "n_test": len(test),
            "test_first": {"file": test_first["file"],
                           "line": test_first["line"]},
            "class_counts": {"train": {c: ctr[c] for c in CLASSES},
                             "test": {c: cte[c] for c in CLASSES}},
            "n_features": int(Xtr.shape[1]),
            "results": {"majority": res_maj, "logreg": res_lr},
            "data_notes": {
                "files": notes["files"],
                "dropped_empty": notes["dropped_empty"],
                "clamped_5_5": notes["clamped"],
                "label_field_mismatch": label_mismatch,
                "duplicate_texts_kept": n_dup,
            },
            "versions": {"sklearn": sklearn.__version__,
                         "numpy": np.__version__, "scipy": scipy.__version__,
                         "python": sys.version.split()[0]},
            "seconds": round(elapsed, 1),
            "date": dt.date.today().isoformat(),
        }
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    main()
