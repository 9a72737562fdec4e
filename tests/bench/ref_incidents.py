#!/usr/bin/python3
"""Batch reference for incident classification on the UCI ServiceNow
incident event log (UCI dataset 498, CC BY 4.0, DOI 10.24432/C57S4H).

Protocol (see tests/bench/REFERENCE.md):
  * rows of one incident are ordered by (sys_updated_at, sys_mod_count,
    file order); features come from the FIRST row, labels (closed_code,
    assignment_group) from the LAST row; incidents whose label is `?` are
    skipped for that label only;
  * incidents sorted by (opened_at, number); first half (integer half of
    the incident count) = train, second half = test;
  * models: majority class of train; multinomial LogisticRegression (lbfgs)
    with C picked on the last 20 % of train (by opened_at), refit on all
    of train.

Run with the Debian interpreter (scikit-learn from python3-sklearn):
    /usr/bin/python3 tests/bench/ref_incidents.py [--data FILE] [--json OUT]
"""

import argparse
import collections
import csv
import datetime as dt
import io
import json
import lzma
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(
    HERE, "..", "..", "..", "shared", "data", "uci-incident-event-log",
    "incident_event_log.csv.xz"))

NULL = "?"
NONE = "(none)"
CATEGORICAL = ["category", "subcategory", "u_symptom", "cmdb_ci", "impact",
               "urgency", "priority", "assignment_group", "contact_type",
               "location"]
NUMERIC = ["reassignment_count", "reopen_count"]
LABELS = [("closed_code", "close code"),
          ("assignment_group", "final assignment group")]
C_GRID = [0.1, 0.3, 1.0, 3.0]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def parse_dt(s):
    """d/m/yyyy HH:MM (no zero padding) -> naive datetime (taken as UTC)."""
    date, clock = s.split(" ")
    d, m, y = date.split("/")
    hh, mm = clock.split(":")
    return dt.datetime(int(y), int(m), int(d), int(hh), int(mm))


def read_incidents(path):
    """Return {number: [(key, row), ...]} with rows in event order."""
    by_inc = collections.defaultdict(list)
    n_rows = 0
    with lzma.open(path, "rb") as raw:
        reader = csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8",
                                                 newline=""))
        for i, row in enumerate(reader):
            key = (parse_dt(row["sys_updated_at"]), int(row["sys_mod_count"]),
                   i)
            by_inc[row["number"]].append((key, row))
            n_rows += 1
    for rows in by_inc.values():
        rows.sort(key=lambda kr: kr[0])
    return by_inc, n_rows


def val(row, col):
    v = row[col]
    return NONE if v == NULL else v


def features(first):
    f = {c: val(first, c) for c in CATEGORICAL}
    opened = parse_dt(first["opened_at"])
    f["opened_hour"] = "%02d" % opened.hour
    f["opened_wday"] = WEEKDAYS[opened.weekday()]
    f["cat_x_sub"] = f["category"] + "|" + f["subcategory"]
    f["sub_x_sym"] = f["subcategory"] + "|" + f["u_symptom"]
    for c in NUMERIC:
        f[c] = float(first[c]) if first[c] != NULL else 0.0
    return f


def topk_hits(proba, classes, y_true, k):
    import numpy as np
    idx = np.argsort(-proba, axis=1)[:, :k]
    pos = {c: i for i, c in enumerate(classes)}
    hits = 0
    for row, y in zip(idx, y_true):
        j = pos.get(y)
        if j is not None and j in row:
            hits += 1
    return hits


def evaluate(name, Xtr, ytr, Xte, yte, verbose):
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    test_labels = sorted(set(yte))
    res = {"n_train": len(ytr), "n_test": len(yte),
           "n_classes_train": len(set(ytr)), "n_classes_test": len(test_labels),
           "n_test_unseen_label": sum(1 for y in yte if y not in set(ytr))}

    # (a) majority class of train
    freq = collections.Counter(ytr).most_common()
    top3 = [c for c, _ in freq[:3]]
    pred = [top3[0]] * len(yte)
    res["majority"] = {
        "class": top3[0], "top3_classes": top3,
        "top1": sum(1 for y in yte if y == top3[0]) / len(yte),
        "top3": sum(1 for y in yte if y in top3) / len(yte),
        "macro_f1": f1_score(yte, pred, labels=test_labels, average="macro",
                             zero_division=0),
    }

    # (b) logistic regression, C chosen on the last 20 % of train
    n_fit = len(ytr) - len(ytr) // 5
    Xa, ya, Xv, yv = Xtr[:n_fit], ytr[:n_fit], Xtr[n_fit:], ytr[n_fit:]

    def fit(C, X, y):
        m = LogisticRegression(C=C, solver="lbfgs", max_iter=3000, tol=1e-4)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.fit(X, y)
        conv = not any("converge" in str(x.message).lower() for x in w)
        return m, conv

    grid = []
    for C in C_GRID:
        t = time.time()
        m, conv = fit(C, Xa, ya)
        acc = float(np.mean(m.predict(Xv) == np.asarray(yv)))
        grid.append({"C": C, "val_top1": acc, "n_iter": int(max(m.n_iter_)),
                     "converged": conv, "seconds": round(time.time() - t, 2)})
        if verbose:
            print("  [%s] C=%-4g val top-1 %.4f  iters %d%s  %.1fs"
                  % (name, C, acc, max(m.n_iter_),
                     "" if conv else " (NOT converged)", time.time() - t),
                  file=sys.stderr)
    best = max(grid, key=lambda g: (g["val_top1"], -g["C"]))  # tie: smaller C
    t = time.time()
    m, conv = fit(best["C"], Xtr, ytr)
    proba = m.predict_proba(Xte)
    classes = list(m.classes_)
    pred = [classes[j] for j in np.argmax(proba, axis=1)]
    res["logreg"] = {
        "C": best["C"], "grid": grid, "n_iter": int(max(m.n_iter_)),
        "converged": conv, "fit_seconds": round(time.time() - t, 2),
        "top1": topk_hits(proba, classes, yte, 1) / len(yte),
        "top3": topk_hits(proba, classes, yte, 3) / len(yte),
        "macro_f1": f1_score(yte, pred, labels=test_labels, average="macro",
                             zero_division=0),
    }
    return res


def main():
    ap = argparse.ArgumentParser(
        description="Batch reference (majority, multinomial logistic "
        "regression) for close code and final assignment group on the UCI "
        "incident event log: first-event features, last-row labels, "
        "train = first half by opened_at, test = second half.")
    ap.add_argument("--data", default=DEFAULT_DATA,
                    help="incident_event_log.csv.xz (default: %(default)s)")
    ap.add_argument("--json", metavar="FILE",
                    help="also write the results as JSON to FILE")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="no progress lines on stderr")
    args = ap.parse_args()

    t0 = time.time()
    import numpy as np
    import scipy
    import sklearn
    from sklearn.feature_extraction import DictVectorizer

    by_inc, n_rows = read_incidents(args.data)
    t_read = time.time() - t0

    # split: incidents sorted by (opened_at, number)
    order = sorted(by_inc, key=lambda n: (parse_dt(by_inc[n][0][1]["opened_at"]),
                                          n))
    half = len(order) // 2
    train_ids, test_ids = order[:half], order[half:]

    # data notes
    n_first_not_new = sum(1 for rs in by_inc.values()
                          if rs[0][1]["incident_state"] != "New")
    n_multi_closed = sum(1 for rs in by_inc.values()
                         if sum(r["incident_state"] == "Closed"
                                for _, r in rs) > 1)
    n_last_not_closed = sum(1 for rs in by_inc.values()
                            if rs[-1][1]["incident_state"] != "Closed")
    rows_code = sum(1 for rs in by_inc.values() for _, r in rs
                    if r["closed_code"] != NULL)
    n_code_varies = sum(1 for rs in by_inc.values()
                        if len({r["closed_code"] for _, r in rs}) > 1)
    n_first_code_eq_last = sum(1 for rs in by_inc.values()
                               if rs[0][1]["closed_code"] ==
                               rs[-1][1]["closed_code"] != NULL)
    notes = {
        "rows": n_rows, "incidents": len(by_inc),
        "first_row_state_not_new": n_first_not_new,
        "incidents_with_several_closed_rows": n_multi_closed,
        "last_row_state_not_closed": n_last_not_closed,
        "rows_with_closed_code": rows_code,
        "incidents_closed_code_changes": n_code_varies,
        "incidents_first_row_closed_code_equals_final": n_first_code_eq_last,
        "last_row_closed_code_null": sum(1 for rs in by_inc.values()
                                         if rs[-1][1]["closed_code"] == NULL),
        "last_row_group_null": sum(1 for rs in by_inc.values()
                                   if rs[-1][1]["assignment_group"] == NULL),
    }

    def dataset(ids, label):
        X, y = [], []
        for n in ids:
            rows = by_inc[n]
            lab = rows[-1][1][label]
            if lab == NULL:
                continue
            X.append(features(rows[0][1]))
            y.append(lab)
        return X, y

    results = {}
    for label, title in LABELS:
        Ftr, ytr = dataset(train_ids, label)
        Fte, yte = dataset(test_ids, label)
        vec = DictVectorizer(sparse=True)
        Xtr = vec.fit_transform(Ftr).tocsr()
        Xte = vec.transform(Fte).tocsr()
        r = evaluate(label, Xtr, ytr, Xte, yte, not args.quiet)
        r["n_features"] = Xtr.shape[1]
        results[label] = r

    # routing baseline: keep the first-event group
    kept = tot = 0
    for n in test_ids:
        rows = by_inc[n]
        last = rows[-1][1]["assignment_group"]
        if last == NULL:
            continue
        tot += 1
        kept += rows[0][1]["assignment_group"] == last
    keep_group = kept / tot
    elapsed = time.time() - t0

    # ---- report ----
    print("UCI incident event log: %d rows, %d incidents; train %d / test %d "
          "incidents (split by opened_at, test opens %s)"
          % (n_rows, len(by_inc), len(train_ids), len(test_ids),
             by_inc[test_ids[0]][0][1]["opened_at"]))
    print()
    hdr = "%-24s %-9s %7s %7s %8s %7s %6s %9s" % (
        "label", "model", "top-1", "top-3", "macroF1", "n_train", "n_test",
        "classes")
    print(hdr)
    print("-" * len(hdr))
    for label, title in LABELS:
        r = results[label]
        for mk, mname in (("majority", "majority"), ("logreg", "logreg")):
            m = r[mk]
            extra = "" if mk == "majority" else "  C=%g" % m["C"]
            print("%-24s %-9s %7.4f %7.4f %8.4f %7d %6d %4d/%-4d%s" % (
                title, mname, m["top1"], m["top3"], m["macro_f1"],
                r["n_train"], r["n_test"], r["n_classes_train"],
                r["n_classes_test"], extra))
    print("(classes = distinct labels in train/test; macro-F1 over the "
          "labels present in test)")
    print()
    print("routing baseline 'keep the first-event group': top-1 %.4f "
          "(%d/%d test incidents)" % (keep_group, kept, tot))
    print()
    print("data notes: first row state != New: %d; several Closed rows: %d; "
          "last row not Closed: %d;" % (n_first_not_new, n_multi_closed,
                                        n_last_not_closed))
    print("  closed_code filled on %d/%d rows; changes within an incident: %d; "
          "first row already has the final code: %d"
          % (rows_code, n_rows, n_code_varies, n_first_code_eq_last))
    print()
    print("scikit-learn %s, numpy %s, scipy %s, python %s"
          % (sklearn.__version__, np.__version__, scipy.__version__,
             sys.version.split()[0]))
    print("time: %.1f s (reading %.1f s)" % (elapsed, t_read))

    if args.json:
        out = {
            "dataset": os.path.basename(args.data),
            "protocol": {
                "order_within_incident": "sys_updated_at, sys_mod_count, file order",
                "features": "first row", "labels": "last row",
                "split": "sorted by opened_at then number; first half train",
                "validation": "last 20% of train by opened_at",
                "C_grid": C_GRID, "solver": "lbfgs multinomial",
            },
            "n_train_incidents": len(train_ids),
            "n_test_incidents": len(test_ids),
            "results": results,
            "keep_first_group_top1": keep_group,
            "keep_first_group_n": tot,
            "data_notes": notes,
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
