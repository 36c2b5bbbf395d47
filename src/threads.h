/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helper threads that take no signal: SIGINT, SIGTERM, SIGHUP and SIGUSR1
 * are the main thread's, whose poll they must wake. The mask is set before
 * the thread exists (a thread that blocked them itself could take one
 * first).
 */
#ifndef TL_THREADS_H
#define TL_THREADS_H

#include <pthread.h>

/* pthread_create() of fn(arg) with every signal blocked in it: 0 or its
 * error number. */
int thread_start(pthread_t *th, void *(*fn)(void *), void *arg);

#endif /* TL_THREADS_H */
