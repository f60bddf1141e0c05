/* tandem-match: command-line front end of the matcher (stdin instance -> stdout result). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "matcher.h"

/* Reads all of stdin into a new buffer (caller frees), sized from the file when stdin is a
 * regular file (no doubling copies of a large instance); NULL on failure. */
static char *
read_all(FILE *f, size_t *len)
{
	struct stat st;
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (unsigned long long)st.st_size < ((size_t)-1) / 2)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);

	while (buf != NULL) {
		size_t r;

		if (n == cap) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
	}
	if (buf != NULL && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	*len = n;
	return buf;
}

/* Parses flags, solves stdin and prints the result; exit 0 ok, 2 bad instance, 1 failure. */
int
main(int argc, char **argv)
{
	int pretty = 0, stats = 0, ret = 1;
	size_t len = 0;
	char *in = NULL, *out = NULL, *err = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pretty") == 0) {
			pretty = 1;
		} else if (strcmp(argv[i], "--stats") == 0) {
			stats = 1;
		} else {
			fprintf(stderr,
			        "usage: tandem-match [--pretty] [--stats] < instance.json\n");
			ret = 2;
			goto out;
		}
	}
	in = read_all(stdin, &len);
	if (in == NULL) {
		fprintf(stderr, "tandem-match: cannot read stdin\n");
		goto out;
	}
	ret = matcher_solve_json_opts(in, len, pretty, &out, &err);
	if (ret != 0) {
		fprintf(stderr, "tandem-match: %s\n", err != NULL ? err : "failure");
		goto out;
	}
	fputs(out, stdout);
	fputc('\n', stdout);
	if (fflush(stdout) != 0)
		ret = 1;
	if (stats) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		fprintf(stderr, "tandem-match: peak_rss_kb=%ld user_s=%.2f sys_s=%.2f\n",
		        ru.ru_maxrss, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		        ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
out:
	free(in);
	free(out);
	free(err);
	return ret;
}
