/* CSV as HR systems export it (RFC 4180 quoting, a UTF-8 byte-order mark, ',' ';' or tab as the
 * separator, CRLF or LF line ends): a pure parser into a table of text fields, each record with
 * the line it starts on. */
#ifndef TANDEM_CSV_H
#define TANDEM_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct csv_table;

/* Parses len bytes of data; the separator is the one of ',' ';' '\t' found most often in the first
 * record outside quotes (',' when none). On failure (an unterminated quoted field, a quote inside
 * an unquoted field, a NUL byte) returns false with *line the line of the problem and msg a
 * sentence. Blank lines are skipped. The caller frees *out with csv_free. */
bool csv_parse(const char *data, size_t len, struct csv_table **out, size_t *line, char *msg,
               size_t msglen) __attribute__((warn_unused_result));

/* Number of records (the header included). */
size_t csv_records(const struct csv_table *t);

/* Number of fields of record i. */
size_t csv_nfields(const struct csv_table *t, size_t i);

/* Field j of record i (NUL-terminated, owned by t), or NULL past the record's end. */
const char *csv_field(const struct csv_table *t, size_t i, size_t j);

/* The 1-based line on which record i starts. */
size_t csv_line(const struct csv_table *t, size_t i);

/* The separator the parser chose. */
char csv_separator(const struct csv_table *t);

void csv_free(struct csv_table *t);

#endif
