/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The one way anything reaches stderr, libbpf's own messages included. */
#ifndef TL_LOG_H
#define TL_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_verbose(bool verbose);
void tl_log(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* For libbpf_set_print(): shown only with -v. It only logs: the tier
 * fallback learns which hook failed from trial loads (tracer.c). */
int log_libbpf(int level, const char *fmt, va_list ap);

#define log_err(...) tl_log(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) tl_log(LOG_WARN, __VA_ARGS__)
#define log_info(...) tl_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) tl_log(LOG_DEBUG, __VA_ARGS__)

#endif /* TL_LOG_H */
