#!/usr/bin/python3
"""Solve an explicit-edges instance with tandem-match and with scipy's linear_sum_assignment
(capacity expanded into mentor copies, non-edges forbidden) and compare objectives.
usage: ref_compare.py TANDEM_MATCH instance.json"""
import json, subprocess, sys, time
import numpy as np
from scipy.optimize import linear_sum_assignment

exe, path = sys.argv[1], sys.argv[2]
inst = json.load(open(path))
t0 = time.time()
res = json.loads(subprocess.run([exe], stdin=open(path), capture_output=True, check=True).stdout)
t_tm = time.time() - t0

t0 = time.time()
ids = {m["id"]: i for i, m in enumerate(inst["mentees"])}
cols = []
for m in inst["mentors"]:
    cols += [m["id"]] * m["capacity"]
colidx = {}
for j, mid in enumerate(cols):
    colidx.setdefault(mid, []).append(j)
n, k = len(ids), len(cols)
lexi = inst.get("objective", "max_matched_then_score") == "max_matched_then_score"
scores = [e["score"] for e in inst["edges"]]
# lexicographic reference: a per-edge bonus larger than any possible score total (reference only)
big = (sum(abs(s) for s in scores) + 1.0) if lexi else 0.0
W = np.zeros((n, k))          # 0 = "not matched" (non-edge); allowed edges get score (+ big)
mask = np.zeros((n, k), dtype=bool)
for e in inst["edges"]:
    i = ids[e["mentee"]]
    for j in colidx.get(e["mentor"], []):
        W[i, j] = e["score"] + big
        mask[i, j] = True
if not lexi:
    W[W < 0] = 0              # a negative edge is never better than leaving both free
r, c = linear_sum_assignment(W, maximize=True)
sel = [(a, b) for a, b in zip(r, c) if mask[a, b] and (lexi or W[a, b] > 0)]
ref_obj = sum(W[a, b] - big for a, b in sel)
t_ref = time.time() - t0
print("tandem: objective %.6f matched %d status %s time %.3f s" %
      (res["objective"], res["matched"], res["status"], t_tm))
print("scipy : objective %.6f matched %d time %.3f s  (ratio tandem/scipy %.2f)" %
      (ref_obj, len(sel), t_ref, t_tm / max(t_ref, 1e-9)))
ok = abs(res["objective"] - ref_obj) <= 1e-6 * max(1, abs(ref_obj)) and (not lexi or res["matched"] == len(sel))
print("EQUAL" if ok else "DIFFERENT")
sys.exit(0 if ok else 1)
