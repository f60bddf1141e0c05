/* The C unit tests' one assertion: counts passes and failures, reports each failure, and lets the
 * test end with CHECK_SUMMARY() printing "N passed, N failed" (the line CI reads). */
#ifndef TANDEM_TEST_CHECK_H
#define TANDEM_TEST_CHECK_H

#include <stdio.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (cond) {                                                                        \
			check_passed++;                                                            \
		} else {                                                                           \
			check_failed++;                                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
		}                                                                                  \
	} while (0)

/* Prints the summary line and gives main's exit status. */
#define CHECK_SUMMARY()                                                                            \
	(printf("%d passed, %d failed\n", check_passed, check_failed), check_failed != 0)

#endif
