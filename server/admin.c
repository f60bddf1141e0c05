/* Admin commands: creating HR accounts, whose token is printed once and stored only hashed. */
#include "admin.h"
#include "token.h"
#include "validate.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Creates an HR account and prints {"hr_id", "email", "token"} on stdout. */
static int
admin_create_hr(const struct settings *cfg, const char *conninfo)
{
	char token[TOKEN_LEN + 1];
	const char *params[3];
	PGconn *pg = NULL;
	PGresult *res = NULL;
	json_t *out = NULL;
	int rc = 1;

	if (cfg->admin_email == NULL || !validate_email(cfg->admin_email) ||
	    cfg->admin_name == NULL || *cfg->admin_name == '\0') {
		fprintf(stderr, "admin create-hr: --email EMAIL and --name NAME are required\n");
		return 2;
	}
	if (!token_generate(token, sizeof(token))) {
		fprintf(stderr, "admin create-hr: cannot read random bytes\n");
		return 1;
	}
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "admin create-hr: %s", PQerrorMessage(pg));
		goto out;
	}
	params[0] = cfg->admin_email;
	params[1] = cfg->admin_name;
	params[2] = token;
	res = PQexecParams(pg,
	                   "WITH hr AS (INSERT INTO hr_accounts (email, display_name) "
	                   "VALUES (lower($1), $2) RETURNING id, email) "
	                   "INSERT INTO api_tokens (token_hash, hr_id) "
	                   "SELECT sha256(convert_to($3, 'UTF8')), id FROM hr RETURNING hr_id, "
	                   "(SELECT email FROM hr)",
	                   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (state != NULL && strcmp(state, "23505") == 0)
			fprintf(stderr,
			        "admin create-hr: an HR account with this email already exists\n");
		else
			fprintf(stderr, "admin create-hr: %s", PQerrorMessage(pg));
		goto out;
	}
	out = json_pack("{s:I, s:s, s:s}", "hr_id", (json_int_t)atoll(PQgetvalue(res, 0, 0)),
	                "email", PQgetvalue(res, 0, 1), "token", token);
	if (out == NULL || json_dumpf(out, stdout, JSON_COMPACT) != 0)
		goto out;
	fputc('\n', stdout);
	fflush(stdout);
	rc = 0;
out:
	json_decref(out);
	PQclear(res);
	PQfinish(pg);
	return rc;
}

/* Issues a new token for an existing employee (lost token, or a demo employee); older tokens stay
 * valid. */
static int
admin_issue_token(const struct settings *cfg, const char *conninfo)
{
	char token[TOKEN_LEN + 1];
	const char *params[2];
	PGconn *pg = NULL;
	PGresult *res = NULL;
	json_t *out = NULL;
	int rc = 1;

	if (cfg->admin_email == NULL || !validate_email(cfg->admin_email)) {
		fprintf(stderr, "admin issue-token: --email EMAIL is required\n");
		return 2;
	}
	if (!token_generate(token, sizeof(token))) {
		fprintf(stderr, "admin issue-token: cannot read random bytes\n");
		return 1;
	}
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "admin issue-token: %s", PQerrorMessage(pg));
		goto out;
	}
	params[0] = cfg->admin_email;
	params[1] = token;
	res = PQexecParams(pg,
	                   "INSERT INTO api_tokens (token_hash, employee_id) "
	                   "SELECT sha256(convert_to($2, 'UTF8')), id FROM employees "
	                   "WHERE lower(email) = lower($1) RETURNING employee_id",
	                   2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "admin issue-token: %s", PQerrorMessage(pg));
		goto out;
	}
	if (PQntuples(res) != 1) {
		fprintf(stderr, "admin issue-token: no employee with this email\n");
		goto out;
	}
	out = json_pack("{s:I, s:s, s:s}", "employee_id", (json_int_t)atoll(PQgetvalue(res, 0, 0)),
	                "email", cfg->admin_email, "token", token);
	if (out == NULL || json_dumpf(out, stdout, JSON_COMPACT) != 0)
		goto out;
	fputc('\n', stdout);
	fflush(stdout);
	rc = 0;
out:
	json_decref(out);
	PQclear(res);
	PQfinish(pg);
	return rc;
}

int
admin_run(const struct settings *cfg, const char *conninfo)
{
	if (strcmp(cfg->admin_command, "create-hr") == 0)
		return admin_create_hr(cfg, conninfo);
	if (strcmp(cfg->admin_command, "issue-token") == 0)
		return admin_issue_token(cfg, conninfo);
	fprintf(stderr, "unknown admin command %s\n", cfg->admin_command);
	return 2;
}
