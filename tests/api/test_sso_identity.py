"""Who someone is under single sign-on, through the real OpenID Provider of test_oidc_provider: a
leaver (deactivated by SCIM) is refused at sign-in and never re-created, and an employee cannot move
their account onto a colleague's email, which would hand them the colleague's first sign-in."""

from conftest import Client, assert_error, create_hr, employee_body, scim_deactivate
from test_oidc_provider import BROWSER, browser_sign_in, world  # noqa: F401 (world is a fixture)


def test_a_leaver_cannot_sign_in_through_the_provider(world):
    srv, ada = world["srv"], world["accounts"]["ada"]
    api = Client(srv.base_url)
    hr = create_hr(srv.state_dir)["token"]
    made = api.post("/v1/employees", employee_body(email=ada["email"]))
    assert made.status == 201, made
    s, cb = browser_sign_in(srv, "ada")
    assert cb.status == 302, cb  # still with the company: signed in
    scim_deactivate(api, hr, made.body["employee"]["id"])
    s, cb = browser_sign_in(srv, "ada")
    assert_error(cb, 403, "sso_deactivated", "email")
    assert "tandem_session" not in s.cookies, s.cookies
    # a browser is sent back to the app's sign-in page with the code, which the app explains
    s, cb = browser_sign_in(srv, "ada", callback_headers=BROWSER)
    assert cb.status == 303 and cb.headers["Location"] == srv.base_url + "/signin?sso_error=sso_deactivated", cb


def test_a_leaver_is_not_re_created_by_just_in_time_sign_in(world):
    jit, hr_claims = world["jit"], world["accounts"]["newcomer"]
    api = Client(jit.base_url)
    s, cb = browser_sign_in(jit, "newcomer")
    assert cb.status == 302, cb
    me = api.get("/v1/me", session=s).body
    assert me["email"] == hr_claims["email"], me
    scim_deactivate(api, create_hr(jit.state_dir)["token"], me["id"])
    s, cb = browser_sign_in(jit, "newcomer")
    assert_error(cb, 403, "sso_deactivated", "email")


def test_under_single_sign_on_the_email_is_the_provider_s(world):
    srv, accounts = world["srv"], world["accounts"]
    api = Client(srv.base_url)
    mover = api.post("/v1/employees", employee_body())
    assert mover.status == 201, mover
    token = mover.body["token"]
    victim = accounts["stranger"]["email"]
    assert_error(api.patch("/v1/me", {"email": victim}, token=token), 403, "email_managed", "email")
    # the same email again, with other fields, is a normal update
    r = api.patch("/v1/me", {"email": mover.body["employee"]["email"].upper(), "job_title": "Analyst"}, token=token)
    assert r.status == 200 and r.body["job_title"] == "Analyst", r
    # the colleague's first sign-in is theirs (refused here: not a Tandem employee, no JIT)
    s, cb = browser_sign_in(srv, "stranger")
    assert_error(cb, 403, "sso_unknown_employee", "email")
    assert api.get("/v1/me", token=token).body["email"] == mover.body["employee"]["email"]


def test_a_name_claim_s_control_characters_never_reach_a_profile(world):
    api = Client(world["jit"].base_url)
    s, cb = browser_sign_in(world["jit"], "multiline")
    assert cb.status == 302, cb
    me = api.get("/v1/me", session=s).body
    # a name with a control character is not used (validate.c's rule): the email names the profile
    assert me["display_name"] == me["email"].split("@")[0], repr(me["display_name"])


def test_a_leaver_in_the_hr_group_loses_hr_access_and_cannot_sign_in_as_hr(world):
    srv, hr_claims = world["srv"], world["accounts"]["hr"]
    api = Client(srv.base_url)
    admin = create_hr(srv.state_dir)["token"]
    made = api.post("/v1/employees", employee_body(email=hr_claims["email"]))  # the same person, as an employee
    assert made.status == 201, made
    s, cb = browser_sign_in(srv, "hr")
    assert cb.status == 302 and api.get("/v1/employees", session=s).status == 200, cb
    scim_deactivate(api, admin, made.body["employee"]["id"])
    assert_error(api.get("/v1/employees", session=s), 401, "unauthorized")
    s, cb = browser_sign_in(srv, "hr")
    assert_error(cb, 403, "sso_deactivated", "email")
