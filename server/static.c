/* Serves the built web app from memory: files read once at start (static_load), looked up by path
 * per request, with validators (ETag, Last-Modified), caching rules (hashed assets immutable,
 * everything else revalidated), a gzip variant when the build left one beside the file, and the
 * security headers of every page (a strict Content-Security-Policy: scripts, styles and
 * connections from this origin only, nothing inline). Unknown paths outside /assets/ get
 * index.html, so the single-page app's own routes (/pairs/3, /hr/rounds/1...) load it. */
#include "static.h"
#include "handlers.h"
#include "log.h"
#include "request.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATIC_MAX_FILE (32u << 20)   /* larger files are not served */
#define STATIC_MAX_TOTAL (256u << 20) /* the whole app held in memory */
#define STATIC_MAX_FILES 4096

struct static_body {
	unsigned char *data;
	size_t len;
	char etag[40]; /* "\"<32 hex of SHA-256>\"" plus a suffix for the gzip variant */
};

struct static_file {
	char *path; /* "/index.html", "/assets/index-3f2a.js" */
	const char *ctype;
	struct static_body plain;
	struct static_body gz; /* data NULL when the build left no .gz beside the file */
	char last_modified[40];
	bool immutable; /* under /assets/: the name carries a content hash */
	bool moved;     /* a .gz attached to its file: dropped from the table */
};

static struct static_file *static_files; /* sorted by path; read-only once loaded */
static size_t static_nfiles;

/* Loader state (static_load runs once, before the worker threads exist). */
static struct {
	const char *root;
	size_t rootlen;
	size_t total;
	size_t cap;
	char *err;
	size_t errlen;
} static_ld;

/* Content types by file name suffix; the first match wins. */
static const struct {
	const char *suffix;
	const char *ctype;
} static_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".map", "application/json"},
};

/* Headers every static reply carries. */
static const struct {
	const char *name;
	const char *value;
} static_headers[] = {
    {"Content-Security-Policy",
     "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
     "form-action 'self'; frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "no-referrer"},
    {"X-Frame-Options", "DENY"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
};

/* The content type of a file name (application/octet-stream when unknown). */
static const char *
static_type(const char *path)
{
	size_t len = strlen(path);

	for (size_t i = 0; i < sizeof(static_types) / sizeof(static_types[0]); i++) {
		size_t sl = strlen(static_types[i].suffix);

		if (len > sl && strcasecmp(path + len - sl, static_types[i].suffix) == 0)
			return static_types[i].ctype;
	}
	return "application/octet-stream";
}

/* Fills body's ETag from the SHA-256 of its bytes (suffix tells representations apart). */
static bool
static_etag(struct static_body *body, const char *suffix)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[33];

	if (EVP_Digest(body->data, body->len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
		return false;
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(body->etag, sizeof(body->etag), "\"%s%s\"", hex, suffix);
	return true;
}

/* Reads a whole regular file (not following a symlink) into *data. */
static bool
static_read(const char *fpath, unsigned char **data, size_t *len, struct stat *st)
{
	int fd = open(fpath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unsigned char *buf = NULL;
	size_t got = 0;

	if (fd < 0)
		return false;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || (size_t)st->st_size > STATIC_MAX_FILE)
		goto fail;
	buf = malloc((size_t)st->st_size + 1);
	if (buf == NULL)
		goto fail;
	while (got < (size_t)st->st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st->st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*len = got;
	return true;
fail:
	free(buf);
	close(fd);
	return false;
}

/* nftw callback: loads one regular file of the app (a .gz is attached to its file later). */
static int
static_walk_cb(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	struct static_file *f;
	struct stat st;
	struct tm tm;

	(void)sb;
	(void)ftw;
	if (type != FTW_F)
		return 0; /* directories, symlinks (FTW_SL with FTW_PHYS) and the unreadable */
	if (static_nfiles >= STATIC_MAX_FILES) {
		snprintf(static_ld.err, static_ld.errlen, "more than %d files", STATIC_MAX_FILES);
		return 1;
	}
	if (static_nfiles == static_ld.cap) {
		size_t cap = static_ld.cap ? 2 * static_ld.cap : 64;
		struct static_file *grown = realloc(static_files, cap * sizeof(*grown));

		if (grown == NULL)
			goto oom;
		static_files = grown;
		static_ld.cap = cap;
	}
	f = &static_files[static_nfiles];
	memset(f, 0, sizeof(*f));
	if (!static_read(fpath, &f->plain.data, &f->plain.len, &st)) {
		snprintf(static_ld.err, static_ld.errlen, "%s: cannot read (%s)", fpath,
		         strerror(errno));
		return 1;
	}
	static_ld.total += f->plain.len;
	f->path = strdup(fpath + static_ld.rootlen);
	if (f->path == NULL || f->path[0] != '/') {
		free(f->path);
		free(f->plain.data);
		goto oom;
	}
	static_nfiles++;
	if (static_ld.total > STATIC_MAX_TOTAL) {
		snprintf(static_ld.err, static_ld.errlen, "the app exceeds %u MiB",
		         STATIC_MAX_TOTAL >> 20);
		return 1;
	}
	f->ctype = static_type(f->path);
	f->immutable = strncmp(f->path, "/assets/", 8) == 0;
	gmtime_r(&st.st_mtime, &tm);
	strftime(f->last_modified, sizeof(f->last_modified), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!static_etag(&f->plain, "")) {
		snprintf(static_ld.err, static_ld.errlen, "%s: cannot hash", fpath);
		return 1;
	}
	return 0;
oom:
	snprintf(static_ld.err, static_ld.errlen, "out of memory");
	return 1;
}

static int
static_cmp(const void *a, const void *b)
{
	return strcmp(((const struct static_file *)a)->path, ((const struct static_file *)b)->path);
}

/* The loaded file at path, or NULL. */
static struct static_file *
static_find(const char *path)
{
	struct static_file key = {.path = (char *)path};

	if (static_nfiles == 0)
		return NULL;
	return bsearch(&key, static_files, static_nfiles, sizeof(key), static_cmp);
}

/* Moves each "x.gz" onto its file "x" as the gzip variant; a .gz without its file stays as is. */
static bool
static_attach_gzip(void)
{
	size_t kept = 0;

	for (size_t i = 0; i < static_nfiles; i++) {
		struct static_file *gz = &static_files[i];
		size_t len = strlen(gz->path);
		struct static_file *orig;

		if (len > 3 && strcmp(gz->path + len - 3, ".gz") == 0) {
			char *name = strndup(gz->path, len - 3);

			if (name == NULL)
				return false;
			orig = static_find(name);
			free(name);
			if (orig != NULL && orig->gz.data == NULL) {
				orig->gz.data = gz->plain.data;
				orig->gz.len = gz->plain.len;
				gz->plain.data = NULL;
				gz->moved = true;
				if (!static_etag(&orig->gz, "-gz"))
					return false;
			}
		}
	}
	/* drop the emptied .gz entries, keeping the order */
	for (size_t i = 0; i < static_nfiles; i++) {
		if (static_files[i].moved) {
			free(static_files[i].path);
			continue;
		}
		static_files[kept++] = static_files[i];
	}
	static_nfiles = kept;
	return true;
}

bool
static_load(const char *dir, char *err, size_t errlen)
{
	char *root = NULL;
	struct stat st;

	static_free();
	if (dir == NULL || stat(dir, &st) != 0) {
		log_msg("warn",
		        "web app: %s not found; / answers 404 (build it with scripts/build-web.sh)",
		        dir ? dir : "(none)");
		return true;
	}
	root = realpath(dir, NULL);
	if (root == NULL || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--web-dir %s: not a directory", dir);
		goto fail;
	}
	memset(&static_ld, 0, sizeof(static_ld));
	static_ld.root = root;
	static_ld.rootlen = strlen(root);
	static_ld.err = err;
	static_ld.errlen = errlen;
	err[0] = '\0';
	if (nftw(root, static_walk_cb, 16, FTW_PHYS) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "--web-dir %s: cannot walk (%s)", dir,
			         strerror(errno));
		goto fail;
	}
	qsort(static_files, static_nfiles, sizeof(*static_files), static_cmp);
	if (!static_attach_gzip()) {
		snprintf(err, errlen, "--web-dir %s: cannot hash", dir);
		goto fail;
	}
	if (static_find("/index.html") == NULL) {
		snprintf(err, errlen, "--web-dir %s: no index.html", dir);
		goto fail;
	}
	log_msg("info", "web app: %zu file(s), %zu bytes from %s", static_nfiles, static_ld.total,
	        root);
	free(root);
	return true;
fail:
	free(root);
	static_free();
	return false;
}

size_t
static_count(void)
{
	return static_nfiles;
}

void
static_free(void)
{
	for (size_t i = 0; i < static_nfiles; i++) {
		free(static_files[i].path);
		free(static_files[i].plain.data);
		free(static_files[i].gz.data);
	}
	free(static_files);
	static_files = NULL;
	static_nfiles = 0;
}

/* Whether the client accepts gzip (a "gzip" coding not refused with q=0). */
static bool
static_accepts_gzip(const char *ae)
{
	const char *p = ae ? strcasestr(ae, "gzip") : NULL;

	if (p == NULL)
		return false;
	p += 4;
	while (*p == ' ')
		p++;
	if (*p == ';') {
		const char *q = strchr(p, '=');

		if (q != NULL && strtod(q + 1, NULL) <= 0.0)
			return false;
	}
	return true;
}

/* Whether an If-None-Match list names etag (or is "*"). */
static bool
static_etag_matches(const char *inm, const char *etag)
{
	size_t elen = strlen(etag);

	if (strcmp(inm, "*") == 0)
		return true;
	for (const char *p = inm; (p = strstr(p, etag)) != NULL; p += elen) {
		const char *after = p + elen;

		if (*after == '\0' || *after == ',' || *after == ' ')
			return true;
	}
	return false;
}

/* GET/HEAD of a path outside the API: the file, index.html for the app's own routes, else 404. */
static void
static_serve(struct request *r)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(r->ev);
	struct evkeyvalq *out = evhttp_request_get_output_headers(r->ev);
	const struct static_file *f =
	    static_find(strcmp(r->path, "/") == 0 ? "/index.html" : r->path);
	const struct static_body *body;
	const char *inm, *ims;
	const char *last = strrchr(r->path, '/');

	/* the app's files and routes have plain names: an encoded path (%00, %2F...) is none of
	 * them */
	if (strchr(r->path, '%') != NULL)
		f = NULL;
	else if (f == NULL && strncmp(r->path, "/assets/", 8) != 0 && strchr(last, '.') == NULL)
		f = static_find("/index.html"); /* one of the app's routes */
	if (f == NULL) {
		request_reply_error(r, 404, "not_found", NULL, "no such file");
		return;
	}
	body = f->gz.data != NULL && static_accepts_gzip(evhttp_find_header(in, "Accept-Encoding"))
	           ? &f->gz
	           : &f->plain;
	for (size_t i = 0; i < sizeof(static_headers) / sizeof(static_headers[0]); i++)
		evhttp_add_header(out, static_headers[i].name, static_headers[i].value);
	evhttp_add_header(out, "Cache-Control",
	                  f->immutable ? "public, max-age=31536000, immutable" : "no-cache");
	evhttp_add_header(out, "ETag", body->etag);
	evhttp_add_header(out, "Last-Modified", f->last_modified);
	if (f->gz.data != NULL)
		evhttp_add_header(out, "Vary", "Accept-Encoding");
	inm = evhttp_find_header(in, "If-None-Match");
	ims = evhttp_find_header(in, "If-Modified-Since");
	if ((inm != NULL && static_etag_matches(inm, body->etag)) ||
	    (inm == NULL && ims != NULL && strcmp(ims, f->last_modified) == 0)) {
		request_reply_raw(r, 304, f->ctype, NULL, 0);
		return;
	}
	if (body == &f->gz)
		evhttp_add_header(out, "Content-Encoding", "gzip");
	request_reply_raw(r, 200, f->ctype, (const char *)body->data, body->len);
}

/* Paths the app never claims: the API's, which keep their JSON 404 and 405 answers. */
static const char *const static_api_prefixes[] = {"/v1",     "/ob",      "/scim", "/healthz",
                                                  "/readyz", "/metrics", NULL};

static const struct route static_table[] = {
    {.method = "GET", .pattern = "/", .handler = static_serve, .no_db = true},
    {.method = "GET",
     .pattern = "/{*}",
     .except = static_api_prefixes,
     .handler = static_serve,
     .no_db = true},
};
ROUTE_TABLE(static_routes, static_table);
