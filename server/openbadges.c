/* Open Badges 2.0 hosted documents: the Issuer, each BadgeClass with its SVG image, and the
 * Assertion of each award (410 Gone once revoked), at stable URLs under the public base URL. */
#include "handlers.h"
#include "server.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OB_CONTENT_TYPE "application/ld+json"

/* Replies with row 0 column 0 as a JSON-LD document, or 404 when it is NULL. */
static void
ob_reply_cb(struct request *r, const PGresult *res)
{
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_reply_error(r, 404, "not_found", NULL, "no such Open Badges document");
		return;
	}
	request_reply_raw(r, 200, OB_CONTENT_TYPE, PQgetvalue(res, 0, 0),
	                  (size_t)PQgetlength(res, 0, 0));
}

/* An assertion: 200, or 410 Gone with its revocation when revoked (column 1 tells). */
static void
ob_assertion_cb(struct request *r, const PGresult *res)
{
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		request_reply_error(r, 404, "not_found", NULL, "no such assertion");
		return;
	}
	request_reply_raw(r, strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? 410 : 200, OB_CONTENT_TYPE,
	                  PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
}

/* The badge documents are named by slug: anything else is unknown. */
static bool
ob_check_slug(struct request *r)
{
	if (validate_slug(r->param))
		return true;
	request_reply_error(r, 404, "not_found", NULL, "no such badge");
	return false;
}

/* Assertions are named by UUID: anything else is unknown. */
static bool
ob_check_uid(struct request *r)
{
	if (strlen(r->param) == 36 && strspn(r->param, "0123456789abcdef-") == 36)
		return true;
	request_reply_error(r, 404, "not_found", NULL, "no such assertion");
	return false;
}

/* Writes text into f with XML special characters escaped. */
static void
ob_xml_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* Renders the badge image: a coloured medal with the badge's name. */
static void
ob_image_cb(struct request *r, const PGresult *res)
{
	char *svg = NULL;
	size_t len = 0;
	FILE *f;

	if (PQntuples(res) < 1) {
		request_reply_error(r, 404, "not_found", NULL, "no such badge");
		return;
	}
	f = open_memstream(&svg, &len);
	if (f == NULL) {
		request_reply_error(r, 500, "internal", NULL, "out of memory");
		return;
	}
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"256\" height=\"256\" "
	           "viewBox=\"0 0 256 256\" role=\"img\" aria-label=\"");
	ob_xml_escape(f, PQgetvalue(res, 0, 0));
	fprintf(f,
	        "\"><circle cx=\"128\" cy=\"128\" r=\"120\" fill=\"%s\"/>"
	        "<circle cx=\"128\" cy=\"128\" r=\"100\" fill=\"none\" stroke=\"#ffffff\" "
	        "stroke-width=\"6\"/><text x=\"128\" y=\"120\" font-family=\"sans-serif\" "
	        "font-size=\"20\" fill=\"#ffffff\" text-anchor=\"middle\">",
	        PQgetvalue(res, 0, 1));
	ob_xml_escape(f, PQgetvalue(res, 0, 0));
	fputs("</text><text x=\"128\" y=\"156\" font-family=\"sans-serif\" font-size=\"14\" "
	      "fill=\"#ffffff\" text-anchor=\"middle\">Tandem</text></svg>\n",
	      f);
	fclose(f);
	request_reply_raw(r, 200, "image/svg+xml", svg, len);
	free(svg);
}

static const struct route openbadges_table[] = {
    {.method = "GET",
     .pattern = "/ob/issuer",
     .sql = "SELECT api.ob_issuer($1, $2, $3)",
     .args = {ARG_BASE_URL, ARG_ISSUER_NAME, ARG_ISSUER_EMAIL},
     .done = ob_reply_cb},
    {.method = "GET",
     .pattern = "/ob/badges/{}",
     .check = ob_check_slug,
     .sql = "SELECT api.ob_badge($1, $2)",
     .args = {ARG_PARAM, ARG_BASE_URL},
     .done = ob_reply_cb},
    {.method = "GET",
     .pattern = "/ob/badges/{}/image.svg",
     .check = ob_check_slug,
     .sql = "SELECT name, color FROM api.ob_badge_image($1)",
     .args = {ARG_PARAM},
     .done = ob_image_cb},
    {.method = "GET",
     .pattern = "/ob/assertions/{}",
     .check = ob_check_uid,
     .sql = "SELECT doc, revoked FROM api.ob_assertion($1, $2)",
     .args = {ARG_PARAM, ARG_BASE_URL},
     .done = ob_assertion_cb},
};
ROUTE_TABLE(openbadges_routes, openbadges_table);
