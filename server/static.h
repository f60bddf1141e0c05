/* The built web app (web/dist) served at /: every file is read into memory once at start, so a
 * request never touches the disk and can only get a file that was inside the directory then. */
#ifndef TANDEM_STATIC_H
#define TANDEM_STATIC_H

#include <stdbool.h>
#include <stddef.h>

/* Reads every regular file under dir (symlinks are not followed); false with err set when dir
 * cannot be read. A missing dir is not an error: the app is then absent and / answers 404. */
bool static_load(const char *dir, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Number of files loaded (0 when the app is absent). */
size_t static_count(void);

/* Releases what static_load read. */
void static_free(void);

#endif
