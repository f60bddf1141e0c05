/* util: small shared helpers of the matcher library (error messages, clocks, id ordering). */
#ifndef TANDEM_MATCHER_UTIL_H
#define TANDEM_MATCHER_UTIL_H

#include <stdbool.h>

#define WUR __attribute__((warn_unused_result))

/* Sets *err to a newly allocated formatted message (caller frees); keeps an existing message. */
void util_errf(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns a monotonic clock reading in milliseconds. */
double util_now_ms(void);

/* Compares two ids: all-digit ids numerically (shorter first), otherwise bytewise; total order. */
int util_id_compare(const char *a, const char *b);

#endif
