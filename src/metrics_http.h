/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The --metrics HTTP endpoint, served by libmicrohttpd from a thread of its
 * own. That thread never sees the connection table or the aggregates: it
 * serves the last text the main loop published (metrics_http_publish), one
 * buffer per exposition format, swapped under a mutex. Bounded: a few
 * connections, a small request (headers) size, a timeout for idle clients.
 */
#ifndef TL_METRICS_HTTP_H
#define TL_METRICS_HTTP_H

#include <stddef.h>
#include <sys/socket.h>
#include "promtext.h"

#define METRICS_HTTP_CONNS 16
#define METRICS_HTTP_REQ_MEM (16 * 1024) /* per connection: bounds a request's headers */
#define METRICS_HTTP_TIMEOUT_S 10

struct metrics_http;

/* Bind and listen on sa, then start serving. NULL with errno set when the
 * address cannot be bound (EADDRINUSE, EADDRNOTAVAIL, ...) or the server
 * cannot start. */
struct metrics_http *metrics_http_start(const struct sockaddr *sa, socklen_t len);
/* Serve buf (malloc'd, taken over) for format fmt from now on. */
void metrics_http_publish(struct metrics_http *h, enum prom_fmt fmt, char *buf, size_t len);
/* Stop the thread, close the socket, free. Accepts NULL. */
void metrics_http_stop(struct metrics_http *h);

#endif /* TL_METRICS_HTTP_H */
