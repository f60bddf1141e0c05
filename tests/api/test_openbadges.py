"""Issue 4 — hosted Open Badges 2.0 documents: Issuer, BadgeClass, image, Assertion (hashed recipient
recomputed here), URLs that resolve on the server, revocation (410), settings for the public base URL and
issuer."""

import re
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import (SPEC, Client, Tandemd, achievements, build_pairs, confirmed_session, make_state_dir,
                      recipient_identity)


CONTEXT = "https://w3id.org/openbadges/v2"
ISSUER_REQUIRED = ("id", "type", "name", "url", "email")
BADGECLASS_REQUIRED = ("id", "type", "name", "description", "image", "criteria", "issuer")
ASSERTION_REQUIRED = ("id", "type", "recipient", "badge", "verification", "issuedOn")


@pytest.fixture(scope="module")
def earned(api, hr_token):
    """A cross-department pair with one confirmed session; the mentor's email has upper-case letters."""
    email = f"Mixed.Case-{uuid.uuid4().hex[:8]}@Example.COM"
    pair = build_pairs(api, hr_token, [{"mentor": {"email": email}}])[0]
    confirmed_session(api, pair)
    return pair


@pytest.fixture(scope="module")
def base(api):
    """The public base URL the documents use (tandemd's --public-base-url, default http://127.0.0.1:8080)."""
    r = api.get("/ob/issuer")
    assert r.status == 200, r
    return r.body["url"].rstrip("/")


def fetch(api, base, url):
    """GETs a document URL on the test server: strips the public base URL, keeps the path."""
    assert url.startswith(base + "/"), (url, base)
    return api.get(url[len(base):])


def assert_ld_json(r):
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/ld+json", r.headers


def test_issuer(api, base):
    r = api.get("/ob/issuer")
    assert_ld_json(r)
    doc = r.body
    assert doc["@context"] == CONTEXT and doc["type"] == "Issuer"
    for k in ISSUER_REQUIRED:
        assert doc.get(k), k
    assert doc["id"] == base + "/ob/issuer"
    assert doc["name"] == "Tandem reverse mentoring" and doc["email"] == "tandem@example.com"
    assert re.match(r"^https?://", doc["url"])


@pytest.mark.parametrize("slug", ["first_step", "bridge_builder", "master_linkedin", "lead_by_example"])
def test_badge_class_and_image(api, base, slug):
    r = api.get(f"/ob/badges/{slug}")
    assert r.status == 200, r
    assert_ld_json(r)
    bc = r.body
    assert bc["@context"] == CONTEXT and bc["type"] == "BadgeClass"
    for k in BADGECLASS_REQUIRED:
        assert bc.get(k), k
    assert bc["id"] == f"{base}/ob/badges/{slug}"
    assert bc["criteria"]["narrative"]
    catalogue = {b["slug"]: b for b in api.get("/v1/badges").body["items"]}
    assert bc["name"] == catalogue[slug]["name"] and bc["description"] == catalogue[slug]["description"]
    assert bc["criteria"]["narrative"] == catalogue[slug]["criteria_narrative"]
    issuer = fetch(api, base, bc["issuer"])
    assert issuer.status == 200 and issuer.body["type"] == "Issuer" and issuer.body["id"] == bc["issuer"]
    img = fetch(api, base, bc["image"])
    assert img.status == 200 and img.headers["Content-Type"].split(";")[0] == "image/svg+xml", img
    root = ET.fromstring(img.raw.content)
    assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg"), root.tag
    assert catalogue[slug]["color"] in img.raw.content.decode("utf-8")


def test_unknown_badge_and_assertion_are_404(api):
    from conftest import assert_error
    assert_error(api.get("/ob/badges/no_such_badge"), 404, "not_found")
    assert_error(api.get("/ob/badges/no_such_badge/image.svg"), 404, "not_found")
    assert_error(api.get("/ob/assertions/00000000-0000-4000-8000-000000000000"), 404, "not_found")
    assert_error(api.get("/ob/assertions/not-a-uuid"), 404, "not_found")


def test_assertions_verify(api, base, earned):
    a = achievements(api, earned.mentor)
    assert sorted(b["badge"] for b in a["badges"]) == ["bridge_builder", "first_step"]
    uids = set()
    for b in a["badges"]:
        r = fetch(api, base, b["assertion_url"])
        assert r.status == 200, r
        assert_ld_json(r)
        doc = r.body
        assert doc["@context"] == CONTEXT and doc["type"] == "Assertion"
        for k in ASSERTION_REQUIRED:
            assert doc.get(k), k
        assert doc["id"] == b["assertion_url"]
        rec = doc["recipient"]
        assert rec["type"] == "email" and rec["hashed"] is True and rec["salt"]
        # the hash of the lower-cased email with the salt; the stored email is lower-case, the sign-up was not
        assert earned.mentor.email == earned.mentor.email.lower()
        assert rec["identity"] == recipient_identity(earned.mentor.email, rec["salt"])
        assert rec["identity"] != recipient_identity(earned.mentee.email, rec["salt"])
        assert earned.mentor.email not in r.text  # no clear-text email in the public document
        assert doc["verification"] == {"type": "hosted"} or doc["verification"]["type"] == "hosted"
        assert doc["issuedOn"] == b["awarded_at"]
        bc = fetch(api, base, doc["badge"])
        assert bc.status == 200 and bc.body["type"] == "BadgeClass" and bc.body["id"] == doc["badge"]
        assert bc.body["name"] == b["name"]
        assert doc["image"] == b["image_url"]
        assert fetch(api, base, doc["image"]).status == 200
        uid = b["assertion_url"].rsplit("/", 1)[1]
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", uid), uid
        uids.add(uid)
        # LinkedIn "add to profile": certUrl is the assertion, certId its id
        q = parse_qs(urlsplit(b["add_to_profile_url"]).query)
        assert q["certUrl"] == [b["assertion_url"]] and q["certId"] == [uid] and q["name"] == [b["name"]]
        assert q["startTask"] == ["CERTIFICATION_NAME"]
    assert len(uids) == 2
    # salts differ between awards, so two assertions of one person are not linkable by their hash
    salts = {fetch(api, base, b["assertion_url"]).body["recipient"]["salt"] for b in a["badges"]}
    assert len(salts) == 2


def test_revoked_assertion_is_410(api, base, hr_token):
    pair = build_pairs(api, hr_token, [{}])[0]
    confirmed_session(api, pair)
    award = next(b for b in achievements(api, pair.mentee)["badges"] if b["badge"] == "first_step")
    assert fetch(api, base, award["assertion_url"]).status == 200
    r = api.post(f"/v1/awards/{award['award_id']}/revoke", {"reason": "Session logged twice"}, token=hr_token)
    assert r.status == 200, r
    g = fetch(api, base, award["assertion_url"])
    assert g.status == 410, g
    assert_ld_json(g)
    assert g.body["revoked"] is True and g.body["revocationReason"] == "Session logged twice"
    assert g.body["id"] == award["assertion_url"] and g.body["type"] == "Assertion"
    assert g.body["@context"] == CONTEXT
    assert "recipient" not in g.body


def test_documents_are_public(api):
    """No token needed; a token does not change anything."""
    for path in ("/ob/issuer", "/ob/badges/first_step", "/ob/badges/first_step/image.svg"):
        assert api.get(path).status == 200
        assert api.get(path, token="tdm_" + "A" * 43).status == 200


def test_public_base_url_and_issuer_settings(server):
    """--public-base-url, --issuer-name, --issuer-email shape every document id and the Issuer."""
    from test_external_db import conninfo
    d = make_state_dir("tandem-api-ob-")
    srv = Tandemd(["--database-url", conninfo(server.state_dir), "--state-dir", d,
                   "--public-base-url", "https://mentoring.example.org/tandem", "--issuer-name", "ACME & Co mentoring",
                   "--issuer-email", "mentoring@acme.example"], d, name="tandemd-ob")
    try:
        c = Client(srv.base_url)
        i = c.get("/ob/issuer")
        assert i.status == 200, i
        assert i.body["id"] == "https://mentoring.example.org/tandem/ob/issuer"
        assert i.body["url"] == "https://mentoring.example.org/tandem"
        assert i.body["name"] == "ACME & Co mentoring" and i.body["email"] == "mentoring@acme.example"
        bc = c.get("/ob/badges/first_step").body
        assert bc["id"] == "https://mentoring.example.org/tandem/ob/badges/first_step"
        assert bc["issuer"] == i.body["id"]
        assert bc["image"] == "https://mentoring.example.org/tandem/ob/badges/first_step/image.svg"
    finally:
        code = srv.terminate()
    assert code == 0, f"exit {code} after SIGTERM\n{srv.tail()}"
    srv.cleanup()


def test_spec_schemas_hold_for_ob_documents(api, base, earned):
    """The +json validator of conftest checks these too; here explicitly against the spec's schemas."""
    docs = {"ObIssuer": api.get("/ob/issuer").body, "ObBadgeClass": api.get("/ob/badges/streak").body}
    b = achievements(api, earned.mentor)["badges"][0]
    docs["ObAssertion"] = fetch(api, base, b["assertion_url"]).body
    for name, doc in docs.items():
        SPEC.validate_instance({"$ref": f"#/components/schemas/{name}"}, doc, name)


def test_issuer_settings_from_environment(server):
    """TANDEM_ISSUER_NAME / TANDEM_ISSUER_EMAIL / TANDEM_PUBLIC_BASE_URL, as documented in --help."""
    from test_external_db import conninfo
    d = make_state_dir("tandem-api-obenv-")
    srv = Tandemd(["--database-url", conninfo(server.state_dir), "--state-dir", d], d, name="tandemd-obenv",
                  env={"TANDEM_ISSUER_NAME": "Env Issuer", "TANDEM_ISSUER_EMAIL": "env@issuer.example",
                       "TANDEM_PUBLIC_BASE_URL": "http://env.example:8081"})
    try:
        i = Client(srv.base_url).get("/ob/issuer")
        assert i.status == 200, i
        assert i.body["id"] == "http://env.example:8081/ob/issuer"
        assert (i.body["name"], i.body["email"]) == ("Env Issuer", "env@issuer.example"), i.body
    finally:
        code = srv.terminate()
    assert code == 0, f"exit {code} after SIGTERM\n{srv.tail()}"
    srv.cleanup()
