/* Admin commands run from the shell: creating HR accounts and issuing employee tokens. Each token
 * is printed once and stored only as its SHA-256. */
#include "admin.h"
#include "token.h"
#include "validate.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One token-issuing command: its SQL takes the email ($1), an optional name ($2) and the new
 * token's hash (last parameter) and returns one row (id, email); the id is printed under id_key. */
struct admin_token_cmd {
	const char *name;
	const char *sql;
	bool with_name;
	const char *id_key;
	const char *exists_message;  /* for a unique violation */
	const char *missing_message; /* for no row */
};

/* Runs a token-issuing command and prints {"<id_key>", "email", "token"} on stdout. */
static int
admin_issue(const struct admin_token_cmd *cmd, const struct settings *cfg, const char *conninfo)
{
	char token[TOKEN_LEN + 1], hash[TOKEN_HASH_LEN];
	const char *params[3];
	PGconn *pg = NULL;
	PGresult *res = NULL;
	json_t *out = NULL;
	int rc = 1, n = 0;

	if (cfg->admin_email == NULL || !validate_email(cfg->admin_email) ||
	    (cmd->with_name && (cfg->admin_name == NULL || *cfg->admin_name == '\0'))) {
		fprintf(stderr, "admin %s: --email EMAIL%s required\n", cmd->name,
		        cmd->with_name ? " and --name NAME are" : " is");
		return 2;
	}
	if (!token_generate(token, sizeof(token)) || !token_hash(token, hash)) {
		fprintf(stderr, "admin %s: cannot read random bytes\n", cmd->name);
		return 1;
	}
	pg = PQconnectdb(conninfo);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "admin %s: %s", cmd->name, PQerrorMessage(pg));
		goto out;
	}
	params[n++] = cfg->admin_email;
	if (cmd->with_name)
		params[n++] = cfg->admin_name;
	params[n++] = hash;
	res = PQexecParams(pg, cmd->sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (state != NULL && strcmp(state, "23505") == 0 && cmd->exists_message != NULL)
			fprintf(stderr, "admin %s: %s\n", cmd->name, cmd->exists_message);
		else
			fprintf(stderr, "admin %s: %s", cmd->name, PQerrorMessage(pg));
		goto out;
	}
	if (PQntuples(res) != 1) {
		fprintf(stderr, "admin %s: %s\n", cmd->name, cmd->missing_message);
		goto out;
	}
	out = json_pack("{s:I, s:s, s:s}", cmd->id_key, (json_int_t)atoll(PQgetvalue(res, 0, 0)),
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

static const struct admin_token_cmd admin_commands[] = {
    {
        .name = "create-hr",
        .sql = "SELECT id, email FROM core.admin_create_hr($1, $2, $3)",
        .with_name = true,
        .id_key = "hr_id",
        .exists_message = "an HR account with this email already exists",
        .missing_message = "the account was not created",
    },
    {
        /* a lost token, or a demo employee; older tokens stay valid */
        .name = "issue-token",
        .sql = "SELECT id, email FROM core.admin_issue_token($1, $2)",
        .with_name = false,
        .id_key = "employee_id",
        .exists_message = NULL,
        .missing_message = "no active employee with this email (a leaver gets no token)",
    },
};

int
admin_run(const struct settings *cfg, const char *conninfo)
{
	for (size_t i = 0; i < sizeof(admin_commands) / sizeof(admin_commands[0]); i++)
		if (strcmp(cfg->admin_command, admin_commands[i].name) == 0)
			return admin_issue(&admin_commands[i], cfg, conninfo);
	fprintf(stderr, "unknown admin command %s\n", cfg->admin_command);
	return 2;
}
