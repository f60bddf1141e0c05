/* The CSV parser: one pass over the bytes, fields copied NUL-terminated into one buffer, records
 * as ranges of a field-offset array. */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csv_table {
	char *buf;      /* every field's text, each NUL-terminated */
	size_t *fields; /* offset in buf of each field */
	size_t nfields; /* fields in all */
	size_t *first;  /* per record: index of its first field in fields; one more at the end */
	size_t *lines;  /* per record: the line it starts on */
	size_t nrecords;
	size_t cap_fields, cap_records;
	char sep;
};

/* The separator: the most frequent of , ; tab in the first record outside quotes. */
static char
csv_guess_separator(const char *p, const char *end)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false;

	for (; p < end; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == '\n' || *p == '\r'))
			break;
		else if (!quoted && *p == ',')
			comma++;
		else if (!quoted && *p == ';')
			semi++;
		else if (!quoted && *p == '\t')
			tab++;
	}
	if (semi > comma && semi >= tab)
		return ';';
	if (tab > comma && tab > semi)
		return '\t';
	return ',';
}

/* Appends the offset of a new field; false when out of memory. */
static bool
csv_push_field(struct csv_table *t, size_t off)
{
	if (t->nfields == t->cap_fields) {
		size_t cap = t->cap_fields ? t->cap_fields * 2 : 64;
		size_t *f = realloc(t->fields, cap * sizeof(*f));

		if (f == NULL)
			return false;
		t->fields = f;
		t->cap_fields = cap;
	}
	t->fields[t->nfields++] = off;
	return true;
}

/* Opens a new record starting on line; false when out of memory. */
static bool
csv_push_record(struct csv_table *t, size_t line)
{
	if (t->nrecords + 1 >= t->cap_records) {
		size_t cap = t->cap_records ? t->cap_records * 2 : 64;
		size_t *f = realloc(t->first, cap * sizeof(*f));
		size_t *l;

		if (f == NULL)
			return false;
		t->first = f;
		l = realloc(t->lines, cap * sizeof(*l));
		if (l == NULL)
			return false;
		t->lines = l;
		t->cap_records = cap;
	}
	t->first[t->nrecords] = t->nfields;
	t->lines[t->nrecords] = line;
	t->nrecords++;
	t->first[t->nrecords] = t->nfields;
	return true;
}

bool
csv_parse(const char *data, size_t len, struct csv_table **out, size_t *line, char *msg,
          size_t msglen)
{
	struct csv_table *t = calloc(1, sizeof(*t));
	const char *p = data, *end = data + len;
	size_t o = 0, lineno = 1;

	*out = NULL;
	*line = 0;
	if (t == NULL || (t->buf = malloc(len + 1)) == NULL)
		goto nomem;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	t->sep = csv_guess_separator(p, end);
	while (p < end) {
		/* a blank line is no record */
		if (*p == '\n' || *p == '\r') {
			p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
			lineno++;
			continue;
		}
		if (!csv_push_record(t, lineno))
			goto nomem;
		for (;;) { /* one field per turn */
			if (!csv_push_field(t, o))
				goto nomem;
			t->first[t->nrecords] = t->nfields;
			if (p < end && *p == '"') {
				size_t qline = lineno;

				p++;
				for (;;) {
					if (p == end) {
						*line = qline;
						snprintf(msg, msglen,
						         "a quoted field is never closed");
						goto fail;
					}
					if (*p == '"' && p + 1 < end && p[1] == '"') {
						t->buf[o++] = '"';
						p += 2;
					} else if (*p == '"') {
						p++;
						break;
					} else {
						if (*p == '\n')
							lineno++;
						if (*p == '\0')
							goto nul;
						t->buf[o++] = *p++;
					}
				}
				if (p < end && *p != t->sep && *p != '\n' && *p != '\r') {
					*line = lineno;
					snprintf(msg, msglen,
					         "text after the closing quote of a field");
					goto fail;
				}
			} else {
				while (p < end && *p != t->sep && *p != '\n' && *p != '\r') {
					if (*p == '"') {
						*line = lineno;
						snprintf(
						    msg, msglen,
						    "a quote inside an unquoted field (quote the "
						    "whole field and double the quote)");
						goto fail;
					}
					if (*p == '\0')
						goto nul;
					t->buf[o++] = *p++;
				}
			}
			t->buf[o++] = '\0';
			if (p < end && *p == t->sep) {
				p++;
				continue;
			}
			break;
		}
		if (p < end) { /* the line end */
			p += (*p == '\r' && p + 1 < end && p[1] == '\n') ? 2 : 1;
			lineno++;
		}
	}
	*out = t;
	return true;
nul:
	*line = lineno;
	snprintf(msg, msglen, "a NUL byte in the file");
	goto fail;
nomem:
	snprintf(msg, msglen, "out of memory");
fail:
	csv_free(t);
	return false;
}

size_t
csv_records(const struct csv_table *t)
{
	return t->nrecords;
}

size_t
csv_nfields(const struct csv_table *t, size_t i)
{
	return i < t->nrecords ? t->first[i + 1] - t->first[i] : 0;
}

const char *
csv_field(const struct csv_table *t, size_t i, size_t j)
{
	if (j >= csv_nfields(t, i))
		return NULL;
	return t->buf + t->fields[t->first[i] + j];
}

size_t
csv_line(const struct csv_table *t, size_t i)
{
	return i < t->nrecords ? t->lines[i] : 0;
}

char
csv_separator(const struct csv_table *t)
{
	return t->sep;
}

void
csv_free(struct csv_table *t)
{
	if (t == NULL)
		return;
	free(t->buf);
	free(t->fields);
	free(t->first);
	free(t->lines);
	free(t);
}
