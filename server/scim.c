/* SCIM 2.0 provisioning (RFC 7643/7644) at /scim/v2: Users (create, get, replace, PATCH, delete,
 * list with a userName/externalId equality filter and pagination) and the discovery documents
 * identity providers probe. Bodies and replies are application/scim+json; errors use SCIM's error
 * schema (request.c asks scim_error_text for every reply under /scim/). HR's bearer token
 * authenticates. The mapping to employees lives in schema/modules/77_hr_data.sql. */
#include "scim.h"
#include "handlers.h"
#include "server.h"
#include "validate.h"

#include <event2/buffer.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SCIM_MEDIA "application/scim+json"
#define SCIM_ERROR_SCHEMA "urn:ietf:params:scim:api:messages:2.0:Error"
#define SCIM_MAX_COUNT 200
#define SCIM_ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCIM_CORE_PREFIX "urn:ietf:params:scim:schemas:core:2.0:User:"

/* The attributes a person reads (the display name and its parts, the title, the department), as
 * PATCH paths: plain text, by validate.c's one rule. */
static const char *const scim_plain_paths[] = {"displayName",
                                               "name.formatted",
                                               "name.givenName",
                                               "name.familyName",
                                               "title",
                                               SCIM_ENT ":department",
                                               NULL};

/* scimType values of RFC 7644 3.12; the SQL raises them as the error code. */
static const char *const scim_types[] = {
    "invalidFilter", "tooMany",     "uniqueness", "mutability",
    "invalidSyntax", "invalidPath", "noTarget",   "invalidValue",
    "invalidVers",   "sensitive",   NULL};

/* Tandem's own error codes that have a SCIM type. */
static const struct {
	const char *code;
	const char *scim_type;
} scim_code_types[] = {
    {"email_taken", "uniqueness"},         {"conflict", "uniqueness"},
    {"malformed_json", "invalidSyntax"},   {"invalid_value", "invalidValue"},
    {"invalid_timezone", "invalidValue"},  {"invalid_encoding", "invalidValue"},
    {"invalid_parameter", "invalidValue"},
};

char *
scim_error_text(int status, const char *code, const char *message)
{
	const char *type = NULL;
	char st[8];
	json_t *err;
	char *text;

	for (const char *const *t = scim_types; *t && type == NULL; t++)
		if (strcmp(*t, code) == 0)
			type = *t;
	for (size_t i = 0; type == NULL && i < sizeof(scim_code_types) / sizeof(scim_code_types[0]);
	     i++)
		if (strcmp(scim_code_types[i].code, code) == 0)
			type = scim_code_types[i].scim_type;
	snprintf(st, sizeof(st), "%d", status);
	err = json_pack("{s:[s], s:s, s:s}", "schemas", SCIM_ERROR_SCHEMA, "status", st, "detail",
	                message);
	if (err != NULL && type != NULL)
		json_object_set_new(err, "scimType", json_string(type));
	text = err ? json_dumps(err, JSON_COMPACT) : NULL;
	json_decref(err);
	return text;
}

bool
scim_path(const char *path)
{
	return path != NULL && strncmp(path, "/scim/", 6) == 0;
}

/* Replies with the SCIM document the SQL built, with status. */
static void
scim_reply(struct request *r, int status, const PGresult *res)
{
	const char *text;

	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_reply_error(r, 404, "noTarget", NULL, "not found");
		return;
	}
	text = PQgetvalue(res, 0, 0);
	request_reply_raw(r, status, SCIM_MEDIA, text, strlen(text));
}

static void
scim_ok_cb(struct request *r, const PGresult *res)
{
	scim_reply(r, 200, res);
}

/* 201 with the new User's Location (its meta.location). */
static void
scim_created_cb(struct request *r, const PGresult *res)
{
	if (!r->gone && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		json_t *u = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		const char *loc =
		    json_string_value(json_object_get(json_object_get(u, "meta"), "location"));

		if (loc != NULL)
			evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Location",
			                  loc);
		json_decref(u);
	}
	scim_reply(r, 201, res);
}

/* Parses the request body as a SCIM JSON object (application/scim+json or application/json)
 * into r->body; replies 4xx and returns false otherwise. */
static bool
scim_parse_body(struct request *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->ev);
	size_t len = evbuffer_get_length(in);
	const char *ctype = request_header(r, "Content-Type");
	json_error_t jerr;

	if (ctype != NULL && strncasecmp(ctype, SCIM_MEDIA, strlen(SCIM_MEDIA)) != 0 &&
	    strncasecmp(ctype, "application/json", 16) != 0) {
		request_reply_error(r, 415, "unsupported_media_type", NULL,
		                    "the body must be application/scim+json");
		return false;
	}
	if (len == 0) {
		request_reply_error(r, 400, "invalidSyntax", NULL,
		                    "a JSON object body is required");
		return false;
	}
	r->body =
	    json_loadb((const char *)evbuffer_pullup(in, -1), len, JSON_REJECT_DUPLICATES, &jerr);
	if (r->body == NULL || !json_is_object(r->body)) {
		request_reply_error(r, 400, "invalidSyntax", NULL,
		                    "the body is not a JSON object%s%s",
		                    r->body == NULL ? ": " : "", r->body == NULL ? jerr.text : "");
		return false;
	}
	return true;
}

/* Runs one statement of (token, base URL[, id][, body]) and replies through done. */
static void
scim_statement(struct request *r, const char *sql, bool with_id, bool with_body,
               request_result_fn done)
{
	const char *params[4];
	char *body = NULL;
	int n = 0;

	params[n++] = r->token_hash;
	params[n++] = r->srv->cfg->public_base_url;
	if (with_id)
		params[n++] = r->param;
	if (with_body) {
		body = json_dumps(r->body, JSON_COMPACT);
		if (body == NULL) {
			request_reply_error(r, 500, "internal", NULL, "out of memory");
			return;
		}
		params[n++] = body;
	}
	request_query(r, sql, n, params, done);
	free(body);
}

/* True when the body's userName (if any) is an email address; replies 400 otherwise. */
static bool
scim_check_username(struct request *r, const json_t *user, bool required)
{
	const json_t *u = json_object_get(user, "userName");

	if (u == NULL && !required)
		return true;
	if (json_is_string(u) && validate_email(json_string_value(u)))
		return true;
	request_reply_error(r, 400, "invalidValue", NULL,
	                    "userName must be the employee's email address");
	return false;
}

/* True unless v (the value of attr) is a string with a control character (which would break a
 * calendar invitation's lines); replies 400 invalidValue then. Other types are the SQL's to refuse.
 */
static bool
scim_check_plain(struct request *r, const char *attr, const json_t *v)
{
	if (!json_is_string(v) || validate_no_controls(json_string_value(v)))
		return true;
	request_reply_error(r, 400, "invalidValue", NULL,
	                    "%s: control characters (line breaks, tabs...) are not allowed", attr);
	return false;
}

/* Checks the plain-text attributes of a User, or of a PATCH value object without a path (which
 * may also name the department by its fully qualified key); replies 400 and returns false. */
static bool
scim_check_user_text(struct request *r, const json_t *u)
{
	const json_t *name = json_object_get(u, "name");
	const json_t *ent = json_object_get(u, SCIM_ENT);

	return scim_check_plain(r, "displayName", json_object_get(u, "displayName")) &&
	       scim_check_plain(r, "name.formatted", json_object_get(name, "formatted")) &&
	       scim_check_plain(r, "name.givenName", json_object_get(name, "givenName")) &&
	       scim_check_plain(r, "name.familyName", json_object_get(name, "familyName")) &&
	       scim_check_plain(r, "title", json_object_get(u, "title")) &&
	       scim_check_plain(r, "department", json_object_get(ent, "department")) &&
	       scim_check_plain(r, "department", json_object_get(u, SCIM_ENT ":department"));
}

/* Checks the value of a PATCH operation with a path (the core schema's prefix left out, as the SQL
 * does) when the path is one of the plain-text attributes. */
static bool
scim_check_path_text(struct request *r, const char *path, const json_t *val)
{
	if (strncmp(path, SCIM_CORE_PREFIX, strlen(SCIM_CORE_PREFIX)) == 0)
		path += strlen(SCIM_CORE_PREFIX);
	for (const char *const *p = scim_plain_paths; *p; p++)
		if (strcmp(*p, path) == 0)
			return scim_check_plain(r, path, val);
	return true;
}

/* POST /scim/v2/Users */
static void
scim_create(struct request *r)
{
	if (!scim_parse_body(r) || !scim_check_username(r, r->body, true) ||
	    !scim_check_user_text(r, r->body))
		return;
	scim_statement(r, "SELECT api.scim_user_create($1, $2, $3::jsonb)", false, true,
	               scim_created_cb);
}

/* GET /scim/v2/Users/{id} */
static void
scim_get(struct request *r)
{
	scim_statement(r, "SELECT api.scim_user_get($1, $2, $3)", true, false, scim_ok_cb);
}

/* PUT /scim/v2/Users/{id} */
static void
scim_replace(struct request *r)
{
	if (!scim_parse_body(r) || !scim_check_username(r, r->body, true) ||
	    !scim_check_user_text(r, r->body))
		return;
	scim_statement(r, "SELECT api.scim_user_replace($1, $2, $3, $4::jsonb)", true, true,
	               scim_ok_cb);
}

/* PATCH /scim/v2/Users/{id}: a PatchOp message; userName values and plain-text attributes are
 * checked here. */
static void
scim_patch(struct request *r)
{
	json_t *ops, *op;
	size_t i;

	if (!scim_parse_body(r))
		return;
	ops = json_object_get(r->body, "Operations");
	if (!json_is_array(ops) || json_array_size(ops) == 0) {
		request_reply_error(r, 400, "invalidSyntax", NULL,
		                    "a PatchOp needs a non-empty Operations array");
		return;
	}
	json_array_foreach(ops, i, op)
	{
		const char *path = json_string_value(json_object_get(op, "path"));
		json_t *val = json_object_get(op, "value");

		if (!json_is_object(op)) {
			request_reply_error(r, 400, "invalidSyntax", NULL,
			                    "each operation must be an object");
			return;
		}
		if (path != NULL && strcmp(path, "userName") == 0) {
			if (!json_is_string(val) || !validate_email(json_string_value(val))) {
				request_reply_error(
				    r, 400, "invalidValue", NULL,
				    "userName must be the employee's email address");
				return;
			}
		} else if (path == NULL && json_is_object(val) &&
		           (!scim_check_username(r, val, false) || !scim_check_user_text(r, val))) {
			return;
		} else if (path != NULL && !scim_check_path_text(r, path, val)) {
			return;
		}
	}
	scim_statement(r, "SELECT api.scim_user_patch($1, $2, $3, $4::jsonb)", true, true,
	               scim_ok_cb);
}

/* DELETE /scim/v2/Users/{id}: the employee is erased. */
static void
scim_delete(struct request *r)
{
	const char *params[2] = {r->token_hash, r->param};

	request_query(r, "SELECT api.scim_user_delete($1, $2)", 2, params, route_empty_cb);
}

/* Parses a SCIM integer query parameter (def when absent) clamped to [lo, hi]; replies 400 and
 * returns false when it is not an integer. */
static bool
scim_arg_int(struct request *r, const char *name, long def, long lo, long hi, long *out)
{
	const char *s = request_arg(r, name);
	char *end;
	long v;

	*out = def;
	if (s == NULL)
		return true;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0) {
		request_reply_error(r, 400, "invalidValue", NULL, "%s must be an integer", name);
		return false;
	}
	*out = v < lo ? lo : v > hi ? hi : v;
	return true;
}

/* Parses filter=<attr> eq "<value>" for userName, externalId or id (attribute names and the
 * operator without case, RFC 7644 3.4.2.2); *attr gets the attribute lower-cased, val the value
 * unescaped. False for anything else. */
static bool
scim_parse_filter(const char *f, char *attr, size_t alen, char *val, size_t vlen)
{
	const char *p = f;
	size_t n = 0;

	while (*p == ' ')
		p++;
	while ((isalnum((unsigned char)*p) || *p == '.' || *p == '[' || *p == ']' || *p == '"' ||
	        *p == ':' || *p == ' ') &&
	       n < alen - 1) {
		/* the attribute ends at the first " eq " */
		if (strncasecmp(p, " eq ", 4) == 0)
			break;
		attr[n++] = (char)tolower((unsigned char)*p++);
	}
	attr[n] = '\0';
	if (strncasecmp(p, " eq ", 4) != 0)
		return false;
	p += 4;
	while (*p == ' ')
		p++;
	if (*p++ != '"')
		return false;
	for (n = 0; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n == vlen - 1)
			return false;
		val[n++] = *p;
	}
	val[n] = '\0';
	if (*p++ != '"')
		return false;
	while (*p == ' ')
		p++;
	if (*p != '\0')
		return false;
	if (strcmp(attr, "emails.value") == 0 ||
	    strcmp(attr, "emails[type eq \"work\"].value") == 0 || strcmp(attr, "emails") == 0)
		strcpy(attr, "username");
	return strcmp(attr, "username") == 0 || strcmp(attr, "externalid") == 0 ||
	       strcmp(attr, "id") == 0;
}

/* GET /scim/v2/Users[?filter=...][&startIndex=N][&count=N] */
static void
scim_list(struct request *r)
{
	const char *filter = request_arg(r, "filter");
	char attr[48], val[256], start[24], count[24];
	const char *params[6];
	long si, cnt;

	if (filter != NULL && !scim_parse_filter(filter, attr, sizeof(attr), val, sizeof(val))) {
		request_reply_error(
		    r, 400, "invalidFilter", NULL,
		    "only filter=userName eq \"...\", externalId eq \"...\" or id eq "
		    "\"...\" is supported");
		return;
	}
	if (!scim_arg_int(r, "startIndex", 1, 1, 1000000000L, &si) ||
	    !scim_arg_int(r, "count", 100, 0, SCIM_MAX_COUNT, &cnt))
		return;
	snprintf(start, sizeof(start), "%ld", si);
	snprintf(count, sizeof(count), "%ld", cnt);
	params[0] = r->token_hash;
	params[1] = r->srv->cfg->public_base_url;
	params[2] = filter ? attr : NULL;
	params[3] = filter ? val : NULL;
	params[4] = start;
	params[5] = count;
	request_query(r, "SELECT api.scim_users_list($1, $2, $3, $4, $5::int, $6::int)", 6, params,
	              scim_ok_cb);
}

/* Replies with a discovery document (a stolen reference). */
static void
scim_reply_doc(struct request *r, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	json_decref(doc);
	if (text == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	request_reply_raw(r, 200, SCIM_MEDIA, text, strlen(text));
	free(text);
}

/* GET /scim/v2/ServiceProviderConfig: PATCH and filtering supported; bulk, sort, ETags and
 * password changes not; bearer-token authentication. */
static void
scim_service_provider_config(struct request *r)
{
	scim_reply_doc(
	    r, json_pack(
	           "{s:[s], s:{s:b}, s:{s:b, s:i}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b, s:i, s:i},"
	           " s:[{s:s, s:s, s:s, s:b}], s:{s:s}}",
	           "schemas", "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
	           "patch", "supported", 1, "filter", "supported", 1, "maxResults", SCIM_MAX_COUNT,
	           "changePassword", "supported", 0, "sort", "supported", 0, "etag", "supported", 0,
	           "bulk", "supported", 0, "maxOperations", 0, "maxPayloadSize", 0,
	           "authenticationSchemes", "type", "oauthbearertoken", "name",
	           "OAuth Bearer Token", "description", "An HR account's Tandem bearer token",
	           "primary", 1, "meta", "resourceType", "ServiceProviderConfig"));
}

/* GET /scim/v2/ResourceTypes: User, with the enterprise extension. */
static void
scim_resource_types(struct request *r)
{
	scim_reply_doc(
	    r, json_pack("{s:[s], s:i, s:i, s:i, s:[{s:[s], s:s, s:s, s:s, s:s, s:[{s:s, s:b}], "
	                 "s:{s:s}}]}",
	                 "schemas", "urn:ietf:params:scim:api:messages:2.0:ListResponse",
	                 "totalResults", 1, "startIndex", 1, "itemsPerPage", 1, "Resources",
	                 "schemas", "urn:ietf:params:scim:schemas:core:2.0:ResourceType", "id",
	                 "User", "name", "User", "endpoint", "/Users", "schema",
	                 "urn:ietf:params:scim:schemas:core:2.0:User", "schemaExtensions", "schema",
	                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required",
	                 0, "meta", "resourceType", "ResourceType"));
}

/* One attribute of a schema document. */
static json_t *
scim_attr(const char *name, const char *type, bool required, const char *mutability)
{
	return json_pack("{s:s, s:s, s:b, s:b, s:b, s:s, s:s, s:s}", "name", name, "type", type,
	                 "multiValued", 0, "required", required, "caseExact", 0, "mutability",
	                 mutability, "returned", "default", "uniqueness",
	                 strcmp(name, "userName") == 0 ? "server" : "none");
}

/* GET /scim/v2/Schemas: the attributes Tandem keeps of the core User and enterprise extension. */
static void
scim_schemas(struct request *r)
{
	json_t *core = json_pack("[o, o, o, o, o, o, o, o]",
	                         scim_attr("userName", "string", true, "readWrite"),
	                         scim_attr("externalId", "string", false, "readWrite"),
	                         scim_attr("displayName", "string", false, "readWrite"),
	                         scim_attr("name", "complex", false, "readWrite"),
	                         scim_attr("title", "string", false, "readWrite"),
	                         scim_attr("timezone", "string", false, "readWrite"),
	                         scim_attr("preferredLanguage", "string", false, "readWrite"),
	                         scim_attr("active", "boolean", false, "readWrite"));
	json_t *ent = json_pack("[o, o]", scim_attr("department", "string", false, "readWrite"),
	                        scim_attr("manager", "complex", false, "readWrite"));

	scim_reply_doc(r, json_pack("{s:[s], s:i, s:i, s:i, s:[{s:s, s:s, s:o}, {s:s, s:s, s:o}]}",
	                            "schemas", "urn:ietf:params:scim:api:messages:2.0:ListResponse",
	                            "totalResults", 2, "startIndex", 1, "itemsPerPage", 2,
	                            "Resources", "id", "urn:ietf:params:scim:schemas:core:2.0:User",
	                            "name", "User", "attributes", core, "id",
	                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
	                            "name", "EnterpriseUser", "attributes", ent));
}

static const struct route scim_table[] = {
    {.method = "GET",
     .pattern = "/scim/v2/ServiceProviderConfig",
     .handler = scim_service_provider_config},
    {.method = "GET", .pattern = "/scim/v2/ResourceTypes", .handler = scim_resource_types},
    {.method = "GET", .pattern = "/scim/v2/Schemas", .handler = scim_schemas},
    {.method = "GET", .pattern = "/scim/v2/Users", .auth = AUTH_HR, .handler = scim_list},
    {.method = "POST", .pattern = "/scim/v2/Users", .auth = AUTH_HR, .handler = scim_create},
    {.method = "GET", .pattern = "/scim/v2/Users/{}", .auth = AUTH_HR, .handler = scim_get},
    {.method = "PUT", .pattern = "/scim/v2/Users/{}", .auth = AUTH_HR, .handler = scim_replace},
    {.method = "PATCH", .pattern = "/scim/v2/Users/{}", .auth = AUTH_HR, .handler = scim_patch},
    {.method = "DELETE", .pattern = "/scim/v2/Users/{}", .auth = AUTH_HR, .handler = scim_delete},
};
ROUTE_TABLE(scim_routes, scim_table);
