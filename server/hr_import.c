/* POST /v1/employees/import: the HR system's extract (CSV as common HRIS export it, or JSON) is
 * turned into rows of canonical fields, each checked here (formats, lengths) or marked rejected
 * with its line and field; api.hr_import then matches, diffs and (unless a dry run) applies them
 * in one statement. */
#include "csv.h"
#include "handlers.h"
#include "server.h"
#include "validate.h"

#include <event2/buffer.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum hr_field {
	HR_EMPLOYEE_ID,
	HR_EMAIL,
	HR_DISPLAY_NAME,
	HR_FIRST_NAME,
	HR_LAST_NAME,
	HR_DEPARTMENT,
	HR_SITE,
	HR_JOB_TITLE,
	HR_TIMEZONE,
	HR_LANGUAGES,
	HR_MANAGER,
	HR_NFIELDS
};

/* A canonical column: its name, the most it holds, and the header names accepted for it
 * (compared lower-case with spaces, '_', '-' and '.' left out). The README lists the same. */
struct hr_column {
	const char *name;
	size_t max;
	const char *aliases[12];
};

static const struct hr_column hr_columns[HR_NFIELDS] = {
    [HR_EMPLOYEE_ID] = {"employee_id",
                        64,
                        {"employeeid", "employeenumber", "employeeno", "workerid",
                         "personnelnumber", "personid", "externalid", "staffid", "id",
                         "matricule"}},
    [HR_EMAIL] = {"email",
                  254,
                  {"email", "workemail", "emailaddress", "workemailaddress", "primaryworkemail",
                   "businessemail", "mail", "courriel"}},
    [HR_DISPLAY_NAME] = {"display_name",
                         100,
                         {"displayname", "name", "fullname", "preferredname", "employeename"}},
    [HR_FIRST_NAME] = {"first_name",
                       100,
                       {"firstname", "givenname", "preferredfirstname", "legalfirstname",
                        "prenom"}},
    [HR_LAST_NAME] = {"last_name",
                      100,
                      {"lastname", "familyname", "surname", "legallastname", "nom"}},
    [HR_DEPARTMENT] = {"department",
                       100,
                       {"department", "dept", "departmentname", "organization", "orgunit",
                        "organizationalunit", "supervisoryorganization", "service"}},
    [HR_SITE] = {"site",
                 100,
                 {"site", "location", "office", "worklocation", "locationname",
                  "primaryworklocation"}},
    [HR_JOB_TITLE] = {"job_title",
                      100,
                      {"jobtitle", "title", "position", "jobprofile", "businesstitle", "poste"}},
    [HR_TIMEZONE] = {"timezone", 64, {"timezone", "tz", "worktimezone"}},
    [HR_LANGUAGES] = {"languages",
                      200,
                      {"languages", "language", "preferredlanguage", "spokenlanguages", "locale"}},
    [HR_MANAGER] = {"manager",
                    254,
                    {"manager", "managerid", "manageremployeeid", "manageremail", "supervisor",
                     "supervisorid", "supervisoremail", "reportsto", "reportstoemail",
                     "linemanager", "managerworkemail"}},
};

/* The fields a person reads (in the app, in calendar invitations): plain text on one line. */
static const int hr_plain_fields[] = {HR_DISPLAY_NAME, HR_FIRST_NAME, HR_LAST_NAME,
                                      HR_DEPARTMENT,   HR_SITE,       HR_JOB_TITLE};

/* The field a header name stands for, or -1: compares without case, spaces, '_', '-', '.'. */
static int
hr_import_column_of(const char *header)
{
	char norm[64];
	size_t n = 0;

	for (const char *p = header; *p && n < sizeof(norm) - 1; p++)
		if (isalnum((unsigned char)*p))
			norm[n++] = (char)tolower((unsigned char)*p);
	norm[n] = '\0';
	for (int f = 0; f < HR_NFIELDS; f++)
		for (int a = 0; a < 12 && hr_columns[f].aliases[a] != NULL; a++)
			if (strcmp(norm, hr_columns[f].aliases[a]) == 0)
				return f;
	return -1;
}

/* Marks row rejected (field may be NULL for the whole record); returns false for the caller's
 * convenience. */
static bool
hr_import_reject(json_t *row, const char *field, const char *code, const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	json_object_set_new(row, "rejected",
	                    json_pack("{s:o, s:s, s:s}", "field",
	                              field ? json_string(field) : json_null(), "code", code,
	                              "message", msg));
	return false;
}

/* Adds text to a rejected row's keys (the texts that may be an HR id or an email, so that the row
 * still names its person in a full extract) when it is UTF-8 and not empty. */
static void
hr_import_add_key(json_t *keys, const char *text)
{
	if (text != NULL && *text && validate_utf8(text))
		json_array_append_new(keys, json_string(text));
}

/* Adds a JSON value's text to keys: a string as it is, a number as written (an integral real also
 * as an integer), and the items of an array; other values name nobody. */
static void
hr_import_add_json_key(json_t *keys, const json_t *v, bool items)
{
	char num[64];
	size_t i;
	json_t *x;

	if (json_is_string(v)) {
		hr_import_add_key(keys, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		hr_import_add_key(keys, num);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);

		snprintf(num, sizeof(num), "%.17g", d);
		hr_import_add_key(keys, num);
		if (d > -9e18 && d < 9e18 && d == (double)(long long)d) {
			snprintf(num, sizeof(num), "%lld", (long long)d);
			hr_import_add_key(keys, num);
		}
	} else if (items && json_is_array(v)) {
		json_array_foreach(v, i, x) hr_import_add_json_key(keys, x, false);
	}
}

/* A row whose columns cannot be trusted (a CSV record with the wrong number of fields, a JSON
 * item that is not an object), rejected with code and message: keys, the texts of all its cells
 * (nobody they name is a leaver); own_keys, the cells that may be its own id or email (the row
 * names its person only when one of these is someone's). Takes both arrays (NULL: none). */
static json_t *
hr_import_malformed(size_t line, json_t *keys, json_t *own_keys, const char *code, const char *msg)
{
	json_t *row =
	    json_pack("{s:I, s:b, s:o, s:o}", "line", (json_int_t)line, "malformed", 1, "keys",
	              keys ? keys : json_array(), "own_keys", own_keys ? own_keys : json_array());

	if (row != NULL)
		hr_import_reject(row, NULL, code, "%s", msg);
	return row;
}

/* Splits a languages cell ("en, fr", "en;de", "en-GB|fr_FR") into ISO 639-1 codes; false on a
 * token that is not one. */
static bool
hr_import_languages(const char *text, json_t *out, json_t *row)
{
	char buf[256];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *tok = strtok_r(buf, ",;| ", &save); tok; tok = strtok_r(NULL, ",;| ", &save)) {
		char code[3];

		if (!isalpha((unsigned char)tok[0]) || !isalpha((unsigned char)tok[1]) ||
		    (tok[2] != '\0' && tok[2] != '-' && tok[2] != '_'))
			return hr_import_reject(row, "languages", "invalid_language",
			                        "languages: \"%s\" is not an ISO 639-1 code", tok);
		code[0] = (char)tolower((unsigned char)tok[0]);
		code[1] = (char)tolower((unsigned char)tok[1]);
		code[2] = '\0';
		if (!validate_language(code))
			return hr_import_reject(row, "languages", "invalid_language",
			                        "languages: \"%s\" is not an ISO 639-1 code", tok);
		bool seen = false;
		for (size_t i = 0; i < json_array_size(out); i++)
			seen |= strcmp(json_string_value(json_array_get(out, i)), code) == 0;
		if (!seen && json_array_size(out) == 10)
			return hr_import_reject(row, "languages", "invalid_value",
			                        "languages: at most %s", "10");
		if (!seen)
			json_array_append_new(out, json_string(code));
	}
	return true;
}

/* Builds the canonical row of one record from its values (NULL = column absent): the fields, or
 * the first problem as {rejected: {field, code, message}}. The HR id and email are kept either way
 * so that a rejected row still tells who is in the extract. */
static json_t *
hr_import_row(const char *const vals[HR_NFIELDS], size_t line)
{
	json_t *row = json_pack("{s:I}", "line", (json_int_t)line);
	char name[256];

	if (row == NULL)
		return NULL;
	if (vals[HR_EMPLOYEE_ID] != NULL && *vals[HR_EMPLOYEE_ID] &&
	    validate_utf8(vals[HR_EMPLOYEE_ID]))
		json_object_set_new(row, "employee_id", json_string(vals[HR_EMPLOYEE_ID]));
	if (vals[HR_EMAIL] != NULL && *vals[HR_EMAIL] && validate_utf8(vals[HR_EMAIL]))
		json_object_set_new(row, "email", json_string(vals[HR_EMAIL]));
	for (int f = 0; f < HR_NFIELDS; f++) {
		if (vals[f] != NULL && !validate_utf8(vals[f])) {
			hr_import_reject(row, hr_columns[f].name, "invalid_encoding",
			                 "%s: not UTF-8 text (export the file as UTF-8)",
			                 hr_columns[f].name);
			return row;
		}
	}
	for (int f = 0; f < HR_NFIELDS; f++) {
		if (vals[f] != NULL && strlen(vals[f]) > hr_columns[f].max) {
			char max[24];

			snprintf(max, sizeof(max), "%zu", hr_columns[f].max);
			json_object_set_new(row, "rejected",
			                    json_pack("{s:s, s:s, s:s++}", "field",
			                              hr_columns[f].name, "code", "too_long",
			                              "message", hr_columns[f].name,
			                              ": longer than the limit of ", max));
			return row;
		}
	}
	for (size_t i = 0; i < sizeof(hr_plain_fields) / sizeof(hr_plain_fields[0]); i++) {
		int f = hr_plain_fields[i];

		if (vals[f] != NULL && !validate_no_controls(vals[f])) {
			hr_import_reject(
			    row, hr_columns[f].name, "invalid_value",
			    "%s: control characters (line breaks, tabs...) are not allowed",
			    hr_columns[f].name);
			return row;
		}
	}
	if (vals[HR_EMPLOYEE_ID] == NULL || !*vals[HR_EMPLOYEE_ID]) {
		hr_import_reject(row, "employee_id", "required", "employee_id: %s", "required");
		return row;
	}
	if (vals[HR_EMAIL] == NULL || !validate_email(vals[HR_EMAIL])) {
		hr_import_reject(row, "email", "invalid_email",
		                 "email: \"%s\" is not an email address",
		                 vals[HR_EMAIL] ? vals[HR_EMAIL] : "");
		return row;
	}
	if (vals[HR_DISPLAY_NAME] != NULL && *vals[HR_DISPLAY_NAME])
		snprintf(name, sizeof(name), "%s", vals[HR_DISPLAY_NAME]);
	else
		snprintf(name, sizeof(name), "%s%s%s",
		         vals[HR_FIRST_NAME] ? vals[HR_FIRST_NAME] : "",
		         vals[HR_FIRST_NAME] && *vals[HR_FIRST_NAME] && vals[HR_LAST_NAME] &&
		                 *vals[HR_LAST_NAME]
		             ? " "
		             : "",
		         vals[HR_LAST_NAME] ? vals[HR_LAST_NAME] : "");
	if (name[0] == '\0' || strlen(name) > 100) {
		hr_import_reject(row, vals[HR_DISPLAY_NAME] ? "display_name" : "first_name",
		                 "invalid_value", "the name is %s",
		                 name[0] ? "longer than 100 characters" : "empty");
		return row;
	}
	json_object_set_new(row, "display_name", json_string(name));
	if (vals[HR_DEPARTMENT] == NULL || !*vals[HR_DEPARTMENT]) {
		hr_import_reject(row, "department", "required", "department: %s", "required");
		return row;
	}
	json_object_set_new(row, "department", json_string(vals[HR_DEPARTMENT]));
	if (vals[HR_SITE] != NULL)
		json_object_set_new(row, "site", json_string(vals[HR_SITE]));
	if (vals[HR_JOB_TITLE] != NULL)
		json_object_set_new(row, "job_title", json_string(vals[HR_JOB_TITLE]));
	if (vals[HR_TIMEZONE] != NULL)
		json_object_set_new(row, "timezone", json_string(vals[HR_TIMEZONE]));
	if (vals[HR_LANGUAGES] != NULL) {
		json_t *langs = json_array();

		if (!hr_import_languages(vals[HR_LANGUAGES], langs, row)) {
			json_decref(langs);
			return row;
		}
		json_object_set_new(row, "languages", langs);
	}
	if (vals[HR_MANAGER] != NULL && *vals[HR_MANAGER]) {
		if (strchr(vals[HR_MANAGER], '@') != NULL && !validate_email(vals[HR_MANAGER])) {
			hr_import_reject(row, "manager", "invalid_email",
			                 "manager: \"%s\" is neither an employee id nor an email",
			                 vals[HR_MANAGER]);
			return row;
		}
		json_object_set_new(row, "manager", json_string(vals[HR_MANAGER]));
	}
	return row;
}

/* Checks the file's columns: every field at most once, the required ones present. Fills cols
 * with the canonical names present; replies 400 and returns false otherwise. */
static bool
hr_import_check_columns(struct request *r, const bool present[HR_NFIELDS], json_t *cols)
{
	static const int required[] = {HR_EMPLOYEE_ID, HR_EMAIL, HR_DEPARTMENT};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!present[required[i]]) {
			request_reply_error(r, 400, "missing_column", hr_columns[required[i]].name,
			                    "the file has no %s column (see the accepted names in "
			                    "the README)",
			                    hr_columns[required[i]].name);
			return false;
		}
	}
	if (!present[HR_DISPLAY_NAME] && !present[HR_FIRST_NAME] && !present[HR_LAST_NAME]) {
		request_reply_error(r, 400, "missing_column", "display_name",
		                    "the file has no name column (display_name, or first_name and "
		                    "last_name)");
		return false;
	}
	for (int f = 0; f < HR_NFIELDS; f++)
		if (present[f])
			json_array_append_new(cols, json_string(hr_columns[f].name));
	return true;
}

/* Turns a CSV extract into rows; replies 400 and returns false when the file cannot be read. */
static bool
hr_import_csv(struct request *r, const char *data, size_t len, json_t *rows, json_t *cols)
{
	struct csv_table *t = NULL;
	int col_of[HR_NFIELDS];
	bool present[HR_NFIELDS] = {false};
	size_t line, ncols;
	char msg[160];
	bool ok = false;

	if (!csv_parse(data, len, &t, &line, msg, sizeof(msg))) {
		request_reply_error(r, 400, "malformed_csv", NULL, "line %zu: %s", line, msg);
		return false;
	}
	if (csv_records(t) == 0) {
		request_reply_error(r, 400, "malformed_csv", NULL, "the file is empty");
		goto out;
	}
	ncols = csv_nfields(t, 0);
	for (int f = 0; f < HR_NFIELDS; f++)
		col_of[f] = -1;
	for (size_t j = 0; j < ncols; j++) {
		const char *h = csv_field(t, 0, j);
		int f = hr_import_column_of(h);

		if (f < 0)
			continue; /* columns Tandem does not keep are ignored */
		if (present[f]) {
			request_reply_error(r, 400, "duplicate_column", hr_columns[f].name,
			                    "two columns of the file are %s (\"%s\" is the second)",
			                    hr_columns[f].name, validate_utf8(h) ? h : "?");
			goto out;
		}
		present[f] = true;
		col_of[f] = (int)j;
	}
	if (!hr_import_check_columns(r, present, cols))
		goto out;
	for (size_t i = 1; i < csv_records(t); i++) {
		const char *vals[HR_NFIELDS];
		json_t *row;

		for (int f = 0; f < HR_NFIELDS; f++)
			vals[f] = col_of[f] >= 0 ? csv_field(t, i, (size_t)col_of[f]) : NULL;
		if (csv_nfields(t, i) != ncols) {
			json_t *keys = json_array(), *own = json_array();
			long nf = (long)csv_nfields(t, i), delta = nf - (long)ncols;
			char n[48];

			for (long j = 0; keys != NULL && j < nf; j++)
				hr_import_add_key(keys, csv_field(t, i, (size_t)j));
			/* a stray separator (or a lost cell) before the id or email column shifts
			 * it by at most the difference in fields */
			for (int k = 0; own != NULL && k < 2; k++) {
				long c = col_of[k == 0 ? HR_EMPLOYEE_ID : HR_EMAIL];

				for (long j = delta < 0 ? delta : 0; j <= (delta > 0 ? delta : 0);
				     j++)
					if (c + j >= 0 && c + j < nf)
						hr_import_add_key(own,
						                  csv_field(t, i, (size_t)(c + j)));
			}
			snprintf(n, sizeof(n), "%zu fields where the header has %zu",
			         csv_nfields(t, i), ncols);
			row =
			    hr_import_malformed(csv_line(t, i), keys, own, "wrong_field_count", n);
		} else {
			row = hr_import_row(vals, csv_line(t, i));
		}
		if (row == NULL || json_array_append_new(rows, row) != 0) {
			request_reply_error(r, 500, "internal", NULL, "out of memory");
			goto out;
		}
	}
	ok = true;
out:
	csv_free(t);
	return ok;
}

/* Turns a JSON extract {"employees": [{...}, ...]} into rows: the same column names as the CSV,
 * values as strings (languages also as an array of strings); "line" is the item's 1-based
 * position. */
static bool
hr_import_json(struct request *r, const char *data, size_t len, json_t *rows, json_t *cols)
{
	json_error_t jerr;
	json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr), *list;
	bool present[HR_NFIELDS] = {false};
	bool ok = false;
	size_t i;
	json_t *item;

	if (doc == NULL) {
		request_reply_error(r, 400, "malformed_json", NULL,
		                    "invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
		                    jerr.text);
		return false;
	}
	list = json_object_get(doc, "employees");
	if (!json_is_object(doc) || !json_is_array(list)) {
		request_reply_error(r, 400, "invalid_value", "employees",
		                    "the body must be {\"employees\": [...]}");
		goto out;
	}
	json_array_foreach(list, i, item)
	{
		const char *key;
		json_t *v;

		if (!json_is_object(item))
			continue;
		json_object_foreach(item, key, v)
		{
			int f = hr_import_column_of(key);

			if (f >= 0)
				present[f] = true;
		}
	}
	if (!hr_import_check_columns(r, present, cols))
		goto out;
	json_array_foreach(list, i, item)
	{
		const char *vals[HR_NFIELDS] = {NULL};
		char *joined = NULL;
		json_t *row = NULL, *keys;
		const char *key;
		const char *wrong = NULL; /* the first field that is not a string */
		json_t *v;

		if (!json_is_object(item)) {
			keys = json_array();
			if (keys != NULL)
				hr_import_add_json_key(keys, item, true);
			/* no columns: every text may be its own id or email */
			row =
			    hr_import_malformed(i + 1, keys, json_deep_copy(keys), "invalid_value",
			                        "each employee must be an object");
			goto append;
		}
		keys = json_array();
		json_object_foreach(item, key, v)
		{
			int f = hr_import_column_of(key);

			if (f < 0 || json_is_null(v))
				continue;
			if (f == HR_LANGUAGES && json_is_array(v)) {
				size_t k, n = 1;
				json_t *s;

				json_array_foreach(v, k, s) n +=
				    json_is_string(s) ? strlen(json_string_value(s)) + 1 : 0;
				free(joined);
				joined = calloc(1, n);
				if (joined == NULL)
					break;
				json_array_foreach(v, k, s) if (json_is_string(s))
				{
					strcat(joined, json_string_value(s));
					strcat(joined, ",");
				}
				vals[f] = joined;
				continue;
			}
			if (!json_is_string(v)) {
				/* the row is rejected, but an id or email of another type (a
				 * number) still names its person */
				if (wrong == NULL)
					wrong = hr_columns[f].name;
				if ((f == HR_EMPLOYEE_ID || f == HR_EMAIL) && keys != NULL)
					hr_import_add_json_key(keys, v, false);
				continue;
			}
			vals[f] = json_string_value(v);
		}
		if (wrong != NULL) {
			row = json_pack("{s:I}", "line", (json_int_t)i + 1);
			if (row != NULL && keys != NULL) {
				hr_import_add_key(keys, vals[HR_EMPLOYEE_ID]);
				hr_import_add_key(keys, vals[HR_EMAIL]);
				json_object_set(row, "keys", keys);
			}
			if (row != NULL)
				hr_import_reject(row, wrong, "invalid_value",
				                 "%s: must be a string", wrong);
		} else {
			row = hr_import_row(vals, i + 1);
		}
		json_decref(keys);
		free(joined);
	append:
		if (row == NULL || json_array_append_new(rows, row) != 0) {
			request_reply_error(r, 500, "internal", NULL, "out of memory");
			goto out;
		}
	}
	ok = true;
out:
	json_decref(doc);
	return ok;
}

/* POST /v1/employees/import?mode=full|partial[&dry_run=true][&allow_mass_deactivation=true]: parses
 * the extract by its Content-Type (text/csv or application/json) and runs api.hr_import. */
static void
hr_import_run(struct request *r)
{
	static const char *const modes[] = {"full", "partial", NULL};
	static const char *const bools[] = {"true", "false", NULL};
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const char *ctype = request_header(r, "Content-Type");
	const char *mode, *dry, *mass, *fmt;
	json_t *rows = json_array(), *cols = json_array();
	char *rows_text = NULL, *cols_text = NULL;
	const char *params[7];
	const char *data;
	bool ok;

	if (request_arg(r, "mode") == NULL) {
		request_reply_error(
		    r, 400, "invalid_parameter", "mode",
		    "mode is required: full (employees of earlier imports absent from "
		    "the file are deactivated) or partial");
		goto out;
	}
	if (!request_arg_choice(r, "mode", modes, NULL, &mode) ||
	    !request_arg_choice(r, "dry_run", bools, "false", &dry) ||
	    !request_arg_choice(r, "allow_mass_deactivation", bools, "false", &mass))
		goto out;
	if (ctype != NULL && (strncasecmp(ctype, "text/csv", 8) == 0 ||
	                      strncasecmp(ctype, "application/csv", 15) == 0)) {
		fmt = "csv";
	} else if (ctype != NULL && strncasecmp(ctype, "application/json", 16) == 0) {
		fmt = "json";
	} else {
		request_reply_error(r, 415, "unsupported_media_type", NULL,
		                    "the extract must be text/csv or application/json");
		goto out;
	}
	if (len == 0) {
		request_reply_error(r, 400, "malformed_csv", NULL, "the body is empty");
		goto out;
	}
	data = (const char *)evbuffer_pullup(in, -1);
	if (rows == NULL || cols == NULL || data == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	ok = fmt[0] == 'c' ? hr_import_csv(r, data, len, rows, cols)
	                   : hr_import_json(r, data, len, rows, cols);
	if (!ok)
		goto out;
	rows_text = json_dumps(rows, JSON_COMPACT);
	cols_text = json_dumps(cols, JSON_COMPACT);
	if (rows_text == NULL || cols_text == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		goto out;
	}
	params[0] = r->token_hash;
	params[1] = fmt;
	params[2] = mode;
	params[3] = dry;
	params[4] = rows_text;
	params[5] = cols_text;
	params[6] = mass;
	request_query_bulk(
	    r, "SELECT api.hr_import($1, $2, $3, $4::boolean, $5::jsonb, $6::jsonb, $7::boolean)",
	    7, params, request_ok_cb);
out:
	free(rows_text);
	free(cols_text);
	json_decref(rows);
	json_decref(cols);
}

static const struct route hr_import_table[] = {
    {.method = "POST",
     .pattern = "/v1/employees/import",
     .auth = AUTH_HR,
     .large_body = true,
     .handler = hr_import_run},
};
ROUTE_TABLE(hr_import_routes, hr_import_table);
