"""Who owns an employee's email without single sign-on: a record provisioned by the HR system (SCIM or
the HR import) keeps the email HR gave it, and a leaver gets no new token from the admin command."""

from conftest import assert_error, employee_body, scim_deactivate
from test_admin_tokens import issue
from test_scim import issue_token, scim, user_body


def test_a_provisioned_employee_s_email_is_the_hr_system_s(server, api, hr_token):
    made = scim(api, "POST", "/scim/v2/Users", hr_token, user_body("owned-email"))
    assert made.status == 201, made
    email = made.body["userName"]
    token = issue_token(server, email)
    assert_error(api.patch("/v1/me", {"email": "someone-else@example.com"}, token=token), 403, "email_managed",
                 "email")
    assert api.get("/v1/me", token=token).body["email"] == email
    r = api.patch("/v1/me", {"email": email, "job_title": "Buyer"}, token=token)
    assert r.status == 200 and r.body["job_title"] == "Buyer", r
    # someone who signed up themselves (no identity provider here) still changes their own
    own = api.post("/v1/employees", employee_body())
    assert own.status == 201, own
    moved = employee_body()["email"]
    r = api.patch("/v1/me", {"email": moved}, token=own.body["token"])
    assert r.status == 200 and r.body["email"] == moved.lower(), r


def test_a_leaver_gets_no_token_from_the_admin_command(server, api, hr_token):
    made = scim(api, "POST", "/scim/v2/Users", hr_token, user_body("leaver-token"))
    assert made.status == 201, made
    email = made.body["userName"]
    issue_token(server, email)
    scim_deactivate(api, hr_token, made.body["id"])
    proc = issue(server, email)
    assert proc.returncode != 0 and proc.stdout == b"" and b"no active employee" in proc.stderr, proc
