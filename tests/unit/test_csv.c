/* Unit tests of the CSV parser (server/csv.c): quoting, separators, BOM, line numbers, errors. */
#include "check.h"
#include "csv.h"

#include <string.h>

/* Parses text, expecting success. */
static struct csv_table *
parse(const char *text)
{
	struct csv_table *t = NULL;
	size_t line;
	char msg[128];

	if (!csv_parse(text, strlen(text), &t, &line, msg, sizeof(msg)))
		return NULL;
	return t;
}

/* True when text fails to parse with the problem on line want. */
static bool
fails_on(const char *text, size_t want)
{
	struct csv_table *t = NULL;
	size_t line;
	char msg[128];

	if (csv_parse(text, strlen(text), &t, &line, msg, sizeof(msg))) {
		csv_free(t);
		return false;
	}
	return line == want && msg[0] != '\0';
}

static bool
field_is(const struct csv_table *t, size_t i, size_t j, const char *want)
{
	const char *f = csv_field(t, i, j);

	return f != NULL && strcmp(f, want) == 0;
}

int
main(void)
{
	struct csv_table *t;

	/* plain comma, CRLF, trailing newline */
	t = parse("id,email\r\n1,a@x.com\r\n2,b@x.com\r\n");
	CHECK(t != NULL && csv_records(t) == 3 && csv_separator(t) == ',');
	CHECK(t && field_is(t, 0, 1, "email") && field_is(t, 2, 0, "2") && csv_line(t, 2) == 3);
	CHECK(t && csv_field(t, 1, 2) == NULL);
	csv_free(t);

	/* BOM, semicolons (European Excel), quotes with doubled quote, separator inside quotes */
	t = parse("\xEF\xBB\xBFid;name;dept\n7;\"Durand; \"\"Jo\"\"\";Sales\n");
	CHECK(t != NULL && csv_separator(t) == ';' && field_is(t, 0, 0, "id"));
	CHECK(t && field_is(t, 1, 1, "Durand; \"Jo\"") && field_is(t, 1, 2, "Sales"));
	csv_free(t);

	/* a newline inside a quoted field: the next record's line counts it; blank lines skipped */
	t = parse("a,b\n\"x\ny\",2\n\n3,4");
	CHECK(t != NULL && csv_records(t) == 3 && field_is(t, 1, 0, "x\ny"));
	CHECK(t && csv_line(t, 1) == 2 && csv_line(t, 2) == 5 && field_is(t, 2, 1, "4"));
	csv_free(t);

	/* tabs; empty fields, trailing separator */
	t = parse("a\tb\tc\n1\t\t\n");
	CHECK(t != NULL && csv_separator(t) == '\t' && csv_nfields(t, 1) == 3 &&
	      field_is(t, 1, 1, "") && field_is(t, 1, 2, ""));
	csv_free(t);

	/* a separator inside the header's quotes does not count */
	t = parse("\"a;b\",c\n1,2\n");
	CHECK(t != NULL && csv_separator(t) == ',' && field_is(t, 0, 0, "a;b"));
	csv_free(t);

	/* ragged records are kept as they are (the importer rejects them) */
	t = parse("a,b,c\n1,2\n");
	CHECK(t != NULL && csv_nfields(t, 1) == 2);
	csv_free(t);

	/* errors, with the line they are on */
	CHECK(fails_on("a,b\n1,\"open\n2,3\n", 2));
	CHECK(fails_on("a,b\n1,2\n3,x\"y\n", 3));
	CHECK(fails_on("a,b\n\"q\"x,1\n", 2));
	{
		static const char nul[] = "a,b\n1,x\0y\n";
		struct csv_table *n = NULL;
		size_t line;
		char msg[64];

		CHECK(!csv_parse(nul, sizeof(nul) - 1, &n, &line, msg, sizeof(msg)) && line == 2);
	}

	/* empty input: no record */
	t = parse("");
	CHECK(t != NULL && csv_records(t) == 0);
	csv_free(t);
	t = parse("\xEF\xBB\xBF");
	CHECK(t != NULL && csv_records(t) == 0);
	csv_free(t);
	return CHECK_SUMMARY();
}
