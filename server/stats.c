/* HR statistics per department and site, as JSON or CSV. */
#include "handlers.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes one CSV field, quoted when it holds a separator, quote or line break. */
static void
stats_csv_field(FILE *f, const json_t *v)
{
	const char *s;
	bool formula, quote;

	if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
		return;
	}
	if (json_is_real(v)) {
		fprintf(f, "%g", json_real_value(v));
		return;
	}
	s = json_is_string(v) ? json_string_value(v) : "";
	/* a spreadsheet must not run employee-chosen text as a formula: prefix it with a quote */
	formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

/* Statistics result: JSON as built by SQL, or its rows rendered as CSV. */
static void
stats_stats_cb(struct request *r, const PGresult *res)
{
	static const char *const cols[] = {
	    "department",         "site",           "managers_signed_up", "managers_matched",
	    "participation_rate", "active_pairs",   "stalled_pairs",      "sessions_given",
	    "hours_given",        "average_rating", "levels_gained",      "badges_awarded",
	};
	const size_t ncols = sizeof(cols) / sizeof(cols[0]);
	const char *format = request_arg(r, "format");
	json_t *doc = NULL, *rows;
	char *csv = NULL;
	size_t len = 0;
	FILE *f = NULL;

	if (format == NULL || strcmp(format, "json") == 0) {
		request_reply_first(r, 200, res);
		return;
	}
	doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	f = open_memstream(&csv, &len);
	if (doc == NULL || f == NULL)
		goto fail;
	for (size_t c = 0; c < ncols; c++)
		fprintf(f, "%s%s", cols[c], c + 1 < ncols ? "," : "\r\n");
	rows = json_object_get(doc, "rows");
	for (size_t i = 0; i < json_array_size(rows); i++) {
		for (size_t c = 0; c < ncols; c++) {
			stats_csv_field(f, json_object_get(json_array_get(rows, i), cols[c]));
			fputs(c + 1 < ncols ? "," : "\r\n", f);
		}
	}
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	json_decref(doc);
	request_reply_raw(r, 200, "text/csv; charset=utf-8", csv, len);
	free(csv);
	return;
fail:
	if (f != NULL)
		fclose(f);
	free(csv);
	json_decref(doc);
	request_reply_error(r, 500, "internal", NULL, "could not render CSV");
}

/* GET /v1/stats: JSON, or CSV with format=csv. */
static void
stats_get(struct request *r)
{
	static const char *const periods[] = {"week", "month", "quarter", "all", NULL};
	static const char *const formats[] = {"json", "csv", NULL};
	const char *period, *format;
	const char *params[3] = {r->token_hash};
	char days[16];

	if (!request_arg_choice(r, "period", periods, "all", &period) ||
	    !request_arg_choice(r, "format", formats, "json", &format))
		return;
	snprintf(days, sizeof(days), "%d", r->srv->cfg->stall_days);
	params[1] = period;
	params[2] = days;
	request_query(r, "SELECT api.stats($1, $2, $3::int)", 3, params, stats_stats_cb);
}

static const struct route stats_table[] = {
    {.method = "GET", .pattern = "/v1/stats", .auth = AUTH_HR, .handler = stats_get},
};
ROUTE_TABLE(stats_routes, stats_table);
