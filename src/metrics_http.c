// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "metrics_http.h"

#define PROM_FMTS 2 /* PROM_TEXT, PROM_OPENMETRICS */

struct metrics_http {
	struct MHD_Daemon *d;
	int fd;
	pthread_mutex_t mu;
	char *buf[PROM_FMTS];
	size_t len[PROM_FMTS];
};

static const char ROOT_TEXT[] = "tcplife-states: the metrics are at /metrics\n";

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	/* Copied: the published buffer may be swapped once the lock is gone. */
	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_metrics(struct metrics_http *h, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	enum prom_fmt fmt = prom_negotiate(accept);
	enum MHD_Result ret;

	pthread_mutex_lock(&h->mu);
	ret = reply(conn, MHD_HTTP_OK, prom_content_type(fmt), h->buf[fmt] ? h->buf[fmt] : "",
		    h->len[fmt]);
	pthread_mutex_unlock(&h->mu);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static const char not_found[] = "not found: the metrics are at /metrics\n";
	static const char not_allowed[] = "method not allowed: GET or HEAD\n";

	(void)version;
	(void)upload;
	/* A body sent with the request (any method) is read and discarded:
	 * the reply comes once it is all in. */
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (!*con_cls) {
		*con_cls = conn; /* the headers are in; reply at the next call */
		return MHD_YES;
	}
	/* MHD sends no body in the reply to HEAD. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
			     not_allowed, sizeof(not_allowed) - 1);
	if (!strcmp(url, "/metrics"))
		return reply_metrics(cls, conn);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/plain; charset=utf-8", ROOT_TEXT,
			     sizeof(ROOT_TEXT) - 1);
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", not_found,
		     sizeof(not_found) - 1);
}

/* libmicrohttpd's own messages (a client gone, a malformed request): -v. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("metrics http: %s", msg);
}

/* Our own socket, so that a bind failure has its errno to report. */
static int listen_on(const struct sockaddr *sa, socklen_t len)
{
	int one = 1, fd, e;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A restarted exporter rebinds while its old connections sit in
	 * TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, sa, len) || listen(fd, METRICS_HTTP_CONNS)) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The server's thread takes no signal: SIGINT, SIGTERM and SIGUSR1 go to
 * the main thread, whose poll they must wake. */
static struct MHD_Daemon *start_daemon(struct metrics_http *h)
{
	sigset_t all, old;
	struct MHD_Daemon *d;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	d = MHD_start_daemon(MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_request, h,
			     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
			     MHD_OPTION_LISTEN_SOCKET, h->fd,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_HTTP_CONNS,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_HTTP_REQ_MEM,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_HTTP_TIMEOUT_S,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

struct metrics_http *metrics_http_start(const struct sockaddr *sa, socklen_t len)
{
	struct metrics_http *h = calloc(1, sizeof(*h));
	int e;

	if (!h)
		return NULL;
	pthread_mutex_init(&h->mu, NULL);
	h->fd = listen_on(sa, len);
	if (h->fd < 0) {
		e = -h->fd;
		goto fail;
	}
	h->d = start_daemon(h);
	if (!h->d) {
		e = errno ? errno : EIO;
		close(h->fd);
		goto fail;
	}
	return h;
fail:
	pthread_mutex_destroy(&h->mu);
	free(h);
	errno = e;
	return NULL;
}

void metrics_http_publish(struct metrics_http *h, enum prom_fmt fmt, char *buf, size_t len)
{
	char *old;

	pthread_mutex_lock(&h->mu);
	old = h->buf[fmt];
	h->buf[fmt] = buf;
	h->len[fmt] = len;
	pthread_mutex_unlock(&h->mu);
	free(old);
}

void metrics_http_stop(struct metrics_http *h)
{
	if (!h)
		return;
	/* Quiesced first: the socket is then ours to close, whatever MHD
	 * does with a listening socket it was given. */
	MHD_quiesce_daemon(h->d);
	MHD_stop_daemon(h->d);
	close(h->fd);
	for (int i = 0; i < PROM_FMTS; i++)
		free(h->buf[i]);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
