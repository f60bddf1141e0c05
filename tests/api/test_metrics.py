"""GET /metrics (issue 8): Prometheus text format, requests counted by route pattern and status,
a latency histogram, pool and queue gauges, database errors, rounds solving; counters move."""

import re

import requests

METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*)\})? (\S+)$')


def scrape(base_url):
    r = requests.get(base_url + "/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    types, samples = {}, []
    for line in r.text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = METRIC_LINE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"', m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return types, samples


def value(samples, name, **labels):
    return sum(v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in labels.items()))


def test_metrics_are_prometheus_text(server):
    types, samples = scrape(server.base_url)
    for name, kind in [("tandem_http_requests_total", "counter"),
                       ("tandem_http_request_duration_seconds", "histogram"),
                       ("tandem_db_pool_connections_in_use", "gauge"),
                       ("tandem_db_queue_depth", "gauge"),
                       ("tandem_db_errors_total", "counter"),
                       ("tandem_rounds_solving", "gauge"),
                       ("tandem_http_connections_open", "gauge")]:
        assert types.get(name) == kind, (name, types.get(name))
    names = {n for n, _, _ in samples}
    assert "tandem_http_request_duration_seconds_bucket" in names
    buckets = [(l["le"], v) for n, l, v in samples if n == "tandem_http_request_duration_seconds_bucket"]
    assert buckets[-1][0] == "+Inf"
    assert [v for _, v in buckets] == sorted(v for _, v in buckets)  # cumulative
    assert value(samples, "tandem_http_request_duration_seconds_count") == buckets[-1][1]
    assert {l.get("kind") for n, l, _ in samples if n == "tandem_db_errors_total"} == \
        {"connection", "query", "timeout"}


def test_counters_move_by_route_pattern(server, api, employee, hr_token):
    _, before = scrape(server.base_url)
    for _ in range(3):
        assert api.get("/healthz").status == 200
    assert api.get(f"/v1/employees/{employee.id}", token=hr_token).status == 200
    assert api.get("/v1/me", token=employee.token).status == 200
    assert api.get("/v1/no/such/path").status == 404
    _, after = scrape(server.base_url)

    def delta(**labels):
        return value(after, "tandem_http_requests_total", **labels) - \
            value(before, "tandem_http_requests_total", **labels)

    assert delta(route="/healthz", method="GET", status="200") >= 3
    # the route pattern, never the raw path (ids would explode the label set)
    assert delta(route="/v1/employees/{}", method="GET", status="200") >= 1
    assert not any(l.get("route") == f"/v1/employees/{employee.id}"
                   for n, l, _ in after if n == "tandem_http_requests_total")
    assert delta(route="/v1/me", method="GET", status="200") >= 1
    assert delta(route="(unmatched)", status="404") >= 1
    assert value(after, "tandem_http_request_duration_seconds_count") >= \
        value(before, "tandem_http_request_duration_seconds_count") + 6
    assert value(after, "tandem_db_pool_connections") >= 1
    assert value(after, "tandem_db_prepares_total") >= 1


def test_metrics_other_methods_are_405(api):
    r = api.post("/metrics", {})
    assert r.status == 405 and r.body["code"] == "method_not_allowed", r
