/* Logging: human messages and one structured JSON access line per request, both on stderr. */
#ifndef TANDEM_LOG_H
#define TANDEM_LOG_H

/* Prints a timestamped message of the given level ("info", "warn", "error") to stderr. */
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints one JSON access-log line: method, path, status and duration in milliseconds. */
void log_access(const char *method, const char *path, int status, double duration_ms);

#endif
