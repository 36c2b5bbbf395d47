/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `tcplife-states report FILE...`: a postmortem summary of the tool's
 * CSV or JSON Lines files. Needs no privilege and loads nothing. */
#ifndef TL_REPORT_H
#define TL_REPORT_H

/* argv[0] is "report". Returns the exit status: 0, 1 (a file could not be
 * read, or is malformed), 2 (usage). */
int report_main(int argc, char **argv);

#endif /* TL_REPORT_H */
