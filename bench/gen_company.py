#!/usr/bin/python3
"""Seeded generator of synthetic companies for the Tandem matcher (stdlib only).

Reverse mentoring: juniors (mentors) teach managers (mentees) digital skills.
  gen_company.py --size S|M|L [--seed N]          domain form on stdout
  gen_company.py --explicit --mentors N --mentees N --degree K [--seed N] [--objective O]
Sizes: S = 200 managers x 800 juniors, M = 1,000 x 4,000, L = 10,000 x 40,000, XL = 50,000 x 200,000.
"""
import argparse
import json
import random
import sys

SIZES = {"S": (200, 800), "M": (1000, 4000), "L": (10000, 40000), "XL": (50000, 200000)}
SITES = [  # (zone, weight, languages with probabilities)
    ("Europe/Paris", 0.25, [("fr", 1.0), ("en", 0.8)]),
    ("America/New_York", 0.25, [("en", 1.0), ("es", 0.2)]),
    ("Europe/Berlin", 0.12, [("de", 1.0), ("en", 0.85)]),
    ("Asia/Kolkata", 0.12, [("en", 1.0), ("hi", 0.7)]),
    ("America/Sao_Paulo", 0.08, [("pt", 1.0), ("en", 0.5), ("es", 0.4)]),
    ("Asia/Tokyo", 0.06, [("ja", 1.0), ("en", 0.4)]),
    ("Europe/London", 0.12, [("en", 1.0), ("fr", 0.15)]),
]
DEPTS = ["IT", "Sales", "Marketing", "Finance", "HR", "Operations", "Legal", "R&D"]
SKILLS = ["linkedin", "genai-prompting", "tiktok", "instagram", "excel-automation", "python",
          "sql", "data-viz", "no-code", "slack-etiquette", "video-editing", "podcasting",
          "cybersecurity-hygiene", "notion", "figma", "git", "remote-facilitation", "canva",
          "youtube", "seo", "crm-automation", "chatbots", "zapier", "powerbi", "mobile-banking",
          "esports", "streaming", "gen-z-slang", "personal-branding", "ai-image-tools"]


def zipf_choice(rng, items, s=1.1):
    weights = [1.0 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def site(rng):
    return rng.choices(SITES, weights=[s[1] for s in SITES])[0]


def languages(rng, st):
    langs = [l for l, p in st[2] if rng.random() < p]
    return langs or [st[2][0][0]]


def availability(rng, nslots):
    out = []
    days = rng.sample(["mon", "tue", "wed", "thu", "fri"], k=min(5, nslots))
    for d in days:
        start = rng.randrange(8 * 4, 16 * 4)          # local 08:00 .. 16:00
        length = rng.choice([4, 4, 6, 8, 12])          # 1 .. 3 hours
        end = min(start + length, 19 * 4)
        out.append({"day": d, "start": "%02d:%02d" % (start // 4, start % 4 * 15),
                    "end": "%02d:%02d" % (end // 4, end % 4 * 15)})
    return out


def domain(n_mgr, n_jr, seed):
    rng = random.Random(seed)
    lines = []
    # managers: a tree (CEO, VPs per department, then managers) with emails as team keys
    mentees, mentors = [], []
    next_id = 1
    mgr_ids = []
    for i in range(n_mgr):
        pid = str(next_id)
        next_id += 1
        dept = DEPTS[i % len(DEPTS)] if i > 0 else "Executive"
        boss = None if i == 0 else (mgr_ids[0] if i <= len(DEPTS) else
                                    mgr_ids[rng.randrange(max(1, i // 3), i)])
        st = site(rng)
        m = {"id": pid, "department": dept, "team": "mgr%s@corp.example" % (boss or "root"),
             "timezone": st[0], "languages": languages(rng, st),
             "goals": [{"skill": g, "current_level": rng.randint(0, 2),
                        "priority": rng.randint(1, 3)}
                       for g in sorted({zipf_choice(rng, SKILLS) for _ in range(rng.randint(1, 3))})],
             "availability": availability(rng, rng.randint(2, 4)),
             "previously_unmatched": rng.random() < 0.1}
        if boss is not None:
            lines.append({"id": pid, "manager": boss})
        mgr_ids.append(pid)
        mentees.append(m)
    for j in range(n_jr):
        pid = str(next_id)
        next_id += 1
        boss = rng.choice(mgr_ids)
        bm = mentees[int(boss) - 1]
        st = site(rng) if rng.random() < 0.3 else next(s for s in SITES if s[0] == bm["timezone"])
        teaches = {}
        for _ in range(rng.randint(2, 4)):
            teaches[zipf_choice(rng, SKILLS, 0.8)] = rng.randint(2, 5)
        mentors.append({"id": pid, "department": bm["department"],
                        "team": "mgr%s@corp.example" % boss, "timezone": st[0],
                        "languages": languages(rng, st), "capacity": rng.choice([1, 1, 2, 2, 3]),
                        "teaches": [{"skill": s, "level": l} for s, l in sorted(teaches.items())],
                        "availability": availability(rng, rng.randint(2, 5))})
        lines.append({"id": pid, "manager": boss})
    history = [{"mentor": rng.choice(mentors)["id"], "mentee": rng.choice(mentees)["id"]}
               for _ in range(n_mgr // 4)]
    forbidden = [{"mentor": rng.choice(mentors)["id"], "mentee": rng.choice(mentees)["id"]}
                 for _ in range(n_mgr // 20)]
    return {"objective": "max_matched_then_score", "reference_week": "2026-11-30",
            "session_minutes": 60,
            "weights": {"skill_gain": 1.0, "cross_department": 4.0, "overlap_per_hour": 0.5,
                        "overlap_cap_hours": 4, "previously_unmatched": 2.0},
            "mentor_capacity_cap": 3, "allow_repeat_pairs": False,
            "mentors": mentors, "mentees": mentees, "reporting_lines": lines,
            "history": history, "forbidden": forbidden, "pins": [], "keep": [],
            "constraints": {"max_mentors_per_team": None, "min_department_share": None},
            "time_limit_seconds": 120}


def explicit(n_m, n_e, degree, seed, objective, integer):
    rng = random.Random(seed)
    mentors = [{"id": "m%d" % i, "capacity": rng.choice([1, 1, 2, 3])} for i in range(n_m)]
    mentees = [{"id": "e%d" % i} for i in range(n_e)]
    edges = []
    for i in range(n_e):
        for m in sorted(rng.sample(range(n_m), min(degree, n_m))):
            sc = rng.randint(1, 100) if integer else round(rng.uniform(0.5, 50.0), 3)
            edges.append({"mentor": "m%d" % m, "mentee": "e%d" % i, "score": sc})
    return {"objective": objective, "mentors": mentors, "mentees": mentees, "edges": edges,
            "time_limit_seconds": 300}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", choices=sorted(SIZES))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--explicit", action="store_true")
    ap.add_argument("--mentors", type=int, default=300)
    ap.add_argument("--mentees", type=int, default=600)
    ap.add_argument("--degree", type=int, default=10)
    ap.add_argument("--integer", action="store_true")
    ap.add_argument("--objective", default="max_matched_then_score")
    a = ap.parse_args()
    if a.explicit:
        doc = explicit(a.mentors, a.mentees, a.degree, a.seed, a.objective, a.integer)
    else:
        n_mgr, n_jr = SIZES[a.size or "S"]
        doc = domain(n_mgr, n_jr, a.seed)
    json.dump(doc, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
