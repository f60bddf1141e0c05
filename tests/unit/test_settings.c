/* Unit tests of settings: the post-logout URI single sign-on derives when none is given. */
#include "settings.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses the single sign-on flags with redirect as --oidc-redirect-uri (and base as
 * --public-base-url unless NULL); the derived post-logout URI, or NULL on a parse error. Caller
 * frees. */
static char *
post_logout_for(const char *secret, const char *redirect, const char *base)
{
	struct settings cfg;
	char err[256], *out = NULL;
	char *argv[16];
	int argc = 0;

	memset(&cfg, 0, sizeof(cfg));
	argv[argc++] = "tandemd";
	argv[argc++] = "--oidc-issuer=https://login.example.com";
	argv[argc++] = "--oidc-client-id=tandem";
	argv[argc++] = (char *)secret;
	argv[argc++] = (char *)redirect;
	if (base != NULL)
		argv[argc++] = (char *)base;
	argv[argc] = NULL;
	if (settings_parse(&cfg, argc, argv, err, sizeof(err)) == SETTINGS_OK &&
	    cfg.oidc_post_logout != NULL)
		out = strdup(cfg.oidc_post_logout);
	else
		fprintf(stderr, "settings_parse: %s\n", err);
	settings_free(&cfg);
	return out;
}

/* Whether the derived URI for redirect (and base) is want. */
static bool
derives(const char *secret, const char *redirect, const char *base, const char *want)
{
	char *got = post_logout_for(secret, redirect, base);
	bool ok = got != NULL && strcmp(got, want) == 0;

	if (!ok)
		fprintf(stderr, "%s -> %s, want %s\n", redirect, got ? got : "(null)", want);
	free(got);
	return ok;
}

int
main(void)
{
	char path[] = "/tmp/tandem-test-settings-XXXXXX", secret[64];
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, "s3cret\n", 7) == 7);
	if (fd >= 0)
		close(fd);
	snprintf(secret, sizeof(secret), "--oidc-client-secret-file=%s", path);
	/* from the redirect URI, not the loopback default of --public-base-url */
	CHECK(derives(secret, "--oidc-redirect-uri=https://tandem.example.com/v1/auth/callback",
	              NULL, "https://tandem.example.com/signin?signed_out=1"));
	/* under a path prefix (behind a proxy) */
	CHECK(derives(secret,
	              "--oidc-redirect-uri=https://intranet.example.com/tandem/v1/auth/callback",
	              NULL, "https://intranet.example.com/tandem/signin?signed_out=1"));
	/* another callback path: its origin */
	CHECK(derives(secret, "--oidc-redirect-uri=https://tandem.example.com:8443/sso/cb",
	              "--public-base-url=https://other.example.com",
	              "https://tandem.example.com:8443/signin?signed_out=1"));
	unlink(path);
	return CHECK_SUMMARY();
}
