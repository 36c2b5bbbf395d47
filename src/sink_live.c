// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The live view: a full-screen, top-like table of the open connections
 * (ncurses), refreshed every -i SECS and on every key. The model (filters,
 * order, cells) is view.c, the listener pane's (`L`) view_lsn.c; this
 * file draws them and reads keys.
 *
 * Keys are read without blocking on each poll tick of main's loop (100 ms
 * at most between two), so the ring buffer stays the only thing main waits
 * on. While the screen is ours, stderr is sent to a memory file and
 * replayed after the terminal is restored: a warning written over the
 * table would be lost with the alternate screen. The terminal is restored
 * by the sink's end op, which main's cleanup reaches on q, -n, -d,
 * SIGINT/SIGTERM (they only set main's stop flag) and errors; an atexit
 * handler covers an exit() from anywhere else.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <ncurses.h>
#include "log.h"
#include "sink.h"
#include "timefmt.h"
#include "view.h"
#include "view_lsn.h"

#define LIVE_CLOSED_MAX 256
#define LINE_LEN 512
#define HDR_ROWS 6 /* top, hooks, drops, states, totals, mode/prompt */

enum prompt { PR_NONE = 0, PR_STATE, PR_PID, PR_SEARCH };

struct live {
	struct view v;
	SCREEN *scr;
	int saved_stderr;      /* the real stderr while the screen is ours; -1 */
	int log_fd;            /* where stderr goes meanwhile */
	uint64_t next_ns;
	uint32_t done;
	uint64_t frame_ns;     /* the frame being taken (live_snap_begin) */
	bool timed;            /* it is the -i refresh, counted for -n */
	bool paused, help, dirty;
	bool hist;             /* the histogram pane instead of the tables (`H`) */
	/* The listener pane instead of the tables (`L`): listed by main's
	 * loop with a snapshot, at once when opened, then once per -i (or
	 * VIEW_BUSY_FACTOR times the listing's cost, if longer) while shown
	 * and not paused. */
	bool lsn_shown, lsn_now;
	uint64_t lsn_next_ns;
	struct view_lsn lsn;
	uint64_t lsn_count, lsn_sum_ns, lsn_max_ns;
	size_t lsn_max_n;
	int top_state;         /* the state of the table's top row (-1: none) */
	enum prompt prompt;
	char input[48];
	char status[LINE_LEN]; /* the last alert or input error, until a key */
	/* The frame on screen, as text: redrawn as is while paused (the rows'
	 * connections may be gone by then). */
	struct view_stats st;
	char tiers[LINE_LEN - 16];
	struct view_row *rows;
	size_t n_rows, cap_rows;
	struct view_closed_row *closed;
	size_t n_closed;
	/* Refresh cost: gather + select + format + draw, for -v and bench/README.md. */
	uint64_t cost_max_ns, cost_sum_ns, frames;
	size_t cost_max_open;
};

static struct live *active; /* for the atexit handler */

static void restore_terminal(struct live *l)
{
	if (l->scr) {
		endwin();
		delscreen(l->scr);
		l->scr = NULL;
	}
	if (l->saved_stderr >= 0) {
		char buf[4096];
		ssize_t n;

		fflush(stderr);
		dup2(l->saved_stderr, STDERR_FILENO);
		close(l->saved_stderr);
		l->saved_stderr = -1;
		/* What was logged meanwhile, in order, now that it can be read. */
		if (lseek(l->log_fd, 0, SEEK_SET) == 0)
			while ((n = read(l->log_fd, buf, sizeof(buf))) > 0)
				if (write(STDERR_FILENO, buf, (size_t)n) < 0)
					break;
	}
	if (l->log_fd >= 0) {
		close(l->log_fd);
		l->log_fd = -1;
	}
}

static void restore_at_exit(void)
{
	if (active)
		restore_terminal(active);
}

static int live_begin(struct sink *s)
{
	struct live *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	l->saved_stderr = l->log_fd = -1;
	l->top_state = -1;
	if (view_init(&l->v, s->o.state_mask, LIVE_CLOSED_MAX)) {
		free(l);
		return -ENOMEM;
	}
	l->v.wide = s->o.wide;
	/* newterm, not initscr: initscr exits the process on a bad $TERM. */
	l->scr = newterm(NULL, stdout, stdin);
	if (!l->scr) {
		log_err("cannot start the live view on this terminal (TERM=%s): use --batch",
			getenv("TERM") ? getenv("TERM") : "unset");
		view_fini(&l->v);
		free(l);
		return -ENOTTY;
	}
	l->log_fd = memfd_create("tcplife-states-stderr", MFD_CLOEXEC);
	l->saved_stderr = l->log_fd >= 0 ? dup(STDERR_FILENO) : -1;
	if (l->saved_stderr < 0 || dup2(l->log_fd, STDERR_FILENO) < 0) {
		err = -errno;
		restore_terminal(l);
		view_fini(&l->v);
		free(l);
		return err;
	}
	active = l;
	atexit(restore_at_exit);
	cbreak();      /* keys one by one; Ctrl-C still raises SIGINT */
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25); /* Esc cancels a prompt without a visible wait */
	s->priv = l;
	return 0;
}

static int live_end(struct sink *s)
{
	struct live *l = s->priv;

	if (!l)
		return 0;
	restore_terminal(l);
	active = NULL;
	if (l->frames)
		log_info("live view: %" PRIu64 " refreshes, mean %" PRIu64 ".%03" PRIu64
			 " ms, max %" PRIu64 ".%03" PRIu64 " ms (with %zu open connections)",
			 l->frames, l->cost_sum_ns / l->frames / 1000000,
			 l->cost_sum_ns / l->frames / 1000 % 1000, l->cost_max_ns / 1000000,
			 l->cost_max_ns / 1000 % 1000, l->cost_max_open);
	if (l->lsn_count)
		log_info("listener pane: %" PRIu64 " listings, mean %" PRIu64 ".%03" PRIu64 " ms, max %" PRIu64
			 ".%03" PRIu64 " ms (with %zu listeners)",
			 l->lsn_count, l->lsn_sum_ns / l->lsn_count / 1000000,
			 l->lsn_sum_ns / l->lsn_count / 1000 % 1000, l->lsn_max_ns / 1000000,
			 l->lsn_max_ns / 1000 % 1000, l->lsn_max_n);
	view_lsn_fini(&l->lsn);
	view_fini(&l->v);
	free(l->rows);
	free(l->closed);
	free(l);
	s->priv = NULL;
	return 0;
}

static int live_conn(struct sink *s, const struct conn *c)
{
	view_closed(&((struct live *)s->priv)->v, c);
	return 0;
}

static int live_alert(struct sink *s, const struct cw_alert *a)
{
	struct live *l = s->priv;
	struct sink tmp = *s;
	FILE *m = fmemopen(l->status, sizeof(l->status), "w");
	int rc;

	if (!m)
		return -errno;
	/* The text sink's sentence, on the status line instead of a line of
	 * its own: it is sanitized there already. */
	tmp.f = m;
	rc = sink_text_alert(&tmp, a);
	fclose(m);
	l->status[strcspn(l->status, "\n")] = '\0';
	l->dirty = true;
	return rc;
}

/* The screen goes before the summaries: they are for the shell afterwards. */
static int live_summary(struct sink *s, const struct summary *sum)
{
	(void)sum;
	if (s->priv)
		restore_terminal(s->priv);
	return 0;
}

static int live_cw_summary(struct sink *s, const struct cw_proc *p, size_t n)
{
	if (s->priv)
		restore_terminal(s->priv);
	return sink_text_cw_summary(s, p, n);
}

/* ------------------------------------------------------------ drawing */

static void put_line(int y, const char *text, attr_t attr)
{
	if (y >= LINES)
		return;
	attron(attr);
	mvaddnstr(y, 0, text, COLS);
	/* Reverse-video bars span the screen, like top's. */
	for (int x = (int)strlen(text); attr && x < COLS; x++)
		mvaddch(y, x, ' ');
	attroff(attr);
}

static const char *const help_text[] = {
	"tcplife-states live view: open TCP connections, longest in their state first",
	"",
	"  q          quit",
	"  s  >       sort by the next column        <   by the previous one",
	"  r          reverse the order",
	"  f          filter by state (e.g. close-wait; empty: every state)",
	"  p          filter by owner pid (empty: every owner)",
	"  /          search pid, command, local or remote address (empty: none)",
	"  space      pause / resume the updates (the counting goes on)",
	"  H          histogram of a state's times in the closed connections:",
	"             Left/Right or Tab to other states; H, q or Esc back",
	"  L          the listeners (owner, queues, drops), most drops first, and",
	"             their hints; Up/Down, PgUp/PgDn scroll; L, q or Esc back",
	"  h  ?       this help",
	"",
	"IN_STATE and AGE with >= are lower bounds: open before the tool started.",
	"RTX: SYN / SYN-ACK / FIN / data retransmits.  Press any key.",
};

/* The open connections and, under them, the recently closed. */
static void draw_tables(const struct view *v, const struct live *l)
{
	char line[LINE_LEN];
	size_t start, width;
	int y, table_rows, closed_rows;

	/* A third of what is left for the recently closed, at least 2 lines. */
	closed_rows = (LINES - HDR_ROWS - 2) / 3;
	if (closed_rows < 2)
		closed_rows = 2;
	table_rows = LINES - HDR_ROWS - 2 - closed_rows;
	if (table_rows < 1)
		table_rows = 1;
	y = HDR_ROWS;
	view_line_head(v, line, sizeof(line));
	put_line(y, line, A_REVERSE);
	view_col_span(v, v->sort, &start, &width);
	if ((int)start < COLS) {
		attron(A_BOLD | A_UNDERLINE);
		mvaddnstr(y, (int)start, line + start, (int)width < COLS - (int)start ? (int)width : COLS - (int)start);
		attroff(A_BOLD | A_UNDERLINE);
	}
	y++;
	for (size_t i = 0; i < l->n_rows && (int)i < table_rows; i++) {
		view_line_row(v, &l->rows[i], line, sizeof(line));
		put_line(y++, line, 0);
	}
	y = HDR_ROWS + 1 + table_rows;
	view_line_closed_head(v, line, sizeof(line));
	put_line(y++, line, A_REVERSE);
	for (size_t i = 0; i < l->n_closed && y < LINES; i++) {
		view_line_closed(v, &l->closed[i], line, sizeof(line));
		put_line(y++, line, 0);
	}
}

/* The pane's state's histogram, where the tables are. */
static void draw_hist(const struct view *v)
{
	char line[LINE_LEN];
	int y = HDR_ROWS, bar_w = COLS - 40;
	size_t n = view_hist_lines(v);

	/* bcc's 40 columns of bar when the screen has room, never under 8. */
	bar_w = bar_w > 40 ? 40 : bar_w < 8 ? 8 : bar_w;
	view_hist_head(v, line, sizeof(line));
	put_line(y++, line, A_REVERSE);
	if (!n)
		put_line(y, "  no closed connection went through this state yet "
			 "(Left/Right: the states with data)", 0);
	for (size_t i = 0; i < n && y < LINES; i++) {
		view_hist_line(v, i, (unsigned int)bar_w, line, sizeof(line));
		put_line(y++, line, 0);
	}
}

/* The listener pane's hints, each wrapped to the screen's width: from line
 * y, at most `max` lines, drawn when `draw`. Returns how many lines. */
#define HINT_INDENT "        "
static int put_hints(const struct view_lsn *p, int y, int max, bool draw)
{
	char line[LINE_LEN], hint[LINE_LEN], part[LINE_LEN - sizeof(HINT_INDENT)];
	size_t width = COLS > 10 ? (size_t)COLS - 2 : 8;
	int n = 0;

	for (size_t k = 0; k < p->n_hinted && n < max; k++) {
		const char *rest = hint;

		view_lsn_hint(p, k, hint, sizeof(hint));
		while (rest && n < max) {
			bool first = rest == hint;

			rest = view_lsn_wrap(rest, first ? width : width + 2 - strlen(HINT_INDENT), part,
					     sizeof(part));
			snprintf(line, sizeof(line), "%s%s", first ? "  " : HINT_INDENT, part);
			if (draw)
				put_line(y + n, line, first ? A_BOLD : 0);
			n++;
		}
	}
	return n;
}

/* The listener pane's lines: the column header and rows, then the hints,
 * which get at most half. */
static void lsn_layout(const struct live *l, size_t *rows, size_t *hint_lines)
{
	int avail = LINES > HDR_ROWS + 2 ? LINES - HDR_ROWS - 1 : 1;

	*hint_lines = (size_t)put_hints(&l->lsn, 0, avail / 2, false);
	*rows = (size_t)avail - *hint_lines;
}

static void draw_lsn(const struct live *l)
{
	const struct view_lsn *p = &l->lsn;
	char line[LINE_LEN];
	size_t rows, hint_lines;
	int y = HDR_ROWS;

	lsn_layout(l, &rows, &hint_lines);
	view_lsn_head(line, sizeof(line));
	put_line(y++, line, A_REVERSE);
	for (size_t i = p->top; i < p->s.n && i < p->top + rows - 1; i++) {
		view_lsn_row(p, i, line, sizeof(line));
		put_line(y++, line, 0);
	}
	if (p->listed && !p->s.n)
		put_line(y, "  no listening socket", 0);
	put_hints(p, HDR_ROWS + (int)rows, (int)hint_lines, true);
}

static void draw(struct live *l)
{
	const struct view *v = &l->v;
	char line[LINE_LEN];

	erase();
	view_hdr_top(v, &l->st, line, sizeof(line));
	if (l->paused)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "  [PAUSED]");
	put_line(0, line, A_BOLD);
	snprintf(line, sizeof(line), "hooks: %s", l->tiers);
	put_line(1, line, 0);
	if (view_hdr_drops(&l->st, line, sizeof(line)))
		put_line(2, line, A_REVERSE | A_BOLD);
	else
		put_line(2, line, 0);
	view_hdr_states(v, line, sizeof(line));
	put_line(3, line, 0);
	view_hdr_totals(v, &l->st, line, sizeof(line));
	put_line(4, line, 0);
	if (l->prompt) {
		snprintf(line, sizeof(line), "%s %s_",
			 l->prompt == PR_STATE ? "state (e.g. close-wait, empty = all):" :
			 l->prompt == PR_PID ? "pid (empty = all):" : "search (empty = none):",
			 l->input);
		put_line(5, line, A_BOLD);
	} else if (l->status[0]) {
		put_line(5, l->status, A_BOLD);
	} else if (l->hist) {
		put_line(5, "histogram: Left/Right or Tab for the other states with data; "
			 "H, q or Esc back to the table", 0);
	} else if (l->lsn_shown) {
		size_t rows, hint_lines;

		lsn_layout(l, &rows, &hint_lines);
		view_lsn_scroll(&l->lsn, 0, rows - 1); /* a taller screen shows more */
		view_lsn_title(&l->lsn, rows - 1, line, sizeof(line));
		put_line(5, line, 0);
	} else {
		view_hdr_mode(v, line, sizeof(line));
		put_line(5, line, 0);
	}

	if (l->hist)
		draw_hist(v);
	else if (l->lsn_shown)
		draw_lsn(l);
	else
		draw_tables(v, l);
	if (l->help) {
		int n = (int)(sizeof(help_text) / sizeof(help_text[0]));

		for (int i = 0; i < n && 2 + i < LINES; i++) {
			move(2 + i, 0);
			clrtoeol();
			attron(i == 0 ? A_BOLD : 0);
			mvaddnstr(2 + i, 2, help_text[i], COLS > 2 ? COLS - 2 : 0);
			attroff(A_BOLD);
		}
	}
	refresh();
}

/* A listing main's loop took for the pane (view_stats.lsn): kept, counted,
 * and the next one timed by its cost. */
static void take_listing(const struct sink *s, struct live *l, const struct view_stats *st,
			 uint64_t now_ns)
{
	bool stretched;

	view_lsn_set(&l->lsn, st->lsn, st->lsn_err, st->lsn_cost_ns);
	l->lsn_now = false;
	l->lsn_next_ns = view_next_ns(now_ns - st->lsn_cost_ns, st->lsn_cost_ns,
				      (uint64_t)s->o.interval_ms * 1000000, &stretched);
	if (stretched)
		log_debug("listener pane: the next listing in %" PRIu64 " ms, ten times this one's cost",
			  (l->lsn_next_ns - now_ns) / 1000000);
	if (!st->lsn || st->lsn_shared)
		return; /* counted are the listings made for the pane */
	l->lsn_count++;
	l->lsn_sum_ns += st->lsn_cost_ns;
	if (st->lsn_cost_ns > l->lsn_max_ns) {
		l->lsn_max_ns = st->lsn_cost_ns;
		l->lsn_max_n = st->lsn->n;
	}
}

/* The connection rows that fit under the header. */
static size_t fit_rows(void)
{
	return LINES > HDR_ROWS + 4 ? (size_t)(LINES - HDR_ROWS - 2) : 1;
}

/* A frame: main's loop hands over the counters and the open connections
 * (ingest.c), then live_snap_step selects the rows that fit, keeps them as
 * text and draws, in one step. Only copies of the rows that fit are kept
 * (view_begin_top): the table may keep idle connections compact. */
static void live_snap_begin(struct sink *s, const struct view_stats *st, uint64_t now_ns)
{
	struct live *l = s->priv;

	l->st = *st;
	snprintf(l->tiers, sizeof(l->tiers), "%s", l->st.tiers ? l->st.tiers : "?");
	l->st.tiers = l->tiers;
	l->frame_ns = now_ns;
	view_begin_top(&l->v, now_ns, fit_rows());
	if (st->lsn || st->lsn_err)
		take_listing(s, l, st, now_ns);
}

static void live_snap_row(struct sink *s, struct conn *c)
{
	view_add(&((struct live *)s->priv)->v, c);
}

static int frame(struct live *l)
{
	size_t fit = fit_rows();
	uint64_t now_ns = l->frame_ns;
	const struct conn *c;
	uint64_t cost;
	int rc;

	rc = view_end(&l->v, fit, &l->st);
	l->v.refresh_ns = mono_now_ns() - now_ns;
	if (rc)
		return rc;
	/* Kept as a number: the row's connection may be gone when H is pressed. */
	l->top_state = l->v.n_rows ? l->v.rows[0]->state : -1;
	if (l->v.n_rows > l->cap_rows || !l->rows) {
		void *p = realloc(l->rows, (l->v.n_rows + 1) * sizeof(*l->rows));

		if (!p)
			return -ENOMEM;
		l->rows = p;
		l->cap_rows = l->v.n_rows + 1;
	}
	for (size_t i = 0; i < l->v.n_rows; i++)
		view_fmt_row(&l->v, l->v.rows[i], &l->rows[i]);
	l->n_rows = l->v.n_rows;
	if (!l->closed) {
		l->closed = calloc(LIVE_CLOSED_MAX, sizeof(*l->closed));
		if (!l->closed)
			return -ENOMEM;
	}
	l->n_closed = 0;
	while (l->n_closed < LIVE_CLOSED_MAX && l->n_closed < fit &&
	       (c = view_closed_nth(&l->v, l->n_closed)))
		view_fmt_closed(&l->v, c, &l->closed[l->n_closed++]);
	draw(l);
	cost = mono_now_ns() - now_ns;
	/* Shown in the next frame's header: the whole refresh, drawing included. */
	l->v.refresh_ns = cost;
	l->frames++;
	l->cost_sum_ns += cost;
	if (cost > l->cost_max_ns) {
		l->cost_max_ns = cost;
		l->cost_max_open = l->v.n_open;
	}
	log_debug("live view refresh: %" PRIu64 " us with %zu open connections", cost / 1000,
		  l->v.n_open);
	return 0;
}

/* ------------------------------------------------------------ keys */

static void prompt_done(struct live *l)
{
	int rc = l->prompt == PR_STATE ? view_set_state(&l->v, l->input) :
		 l->prompt == PR_PID ? view_set_pid(&l->v, l->input) :
		 view_set_search(&l->v, l->input);

	if (rc)
		snprintf(l->status, sizeof(l->status), "invalid %s '%s'",
			 l->prompt == PR_STATE ? "state" : l->prompt == PR_PID ? "pid" : "search",
			 l->input);
	l->prompt = PR_NONE;
}

/* One key in a prompt: edit the line, Enter applies, Esc cancels. */
static void prompt_key(struct live *l, int ch)
{
	size_t len = strlen(l->input);

	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		prompt_done(l);
	} else if (ch == 27) {
		l->prompt = PR_NONE;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (len)
			l->input[len - 1] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(l->input)) {
		l->input[len] = (char)ch;
		l->input[len + 1] = '\0';
	}
}

static void start_prompt(struct live *l, enum prompt p)
{
	l->prompt = p;
	l->input[0] = '\0';
}

/* Keys that act alike over the table and the histogram pane: pause and
 * help. Returns true when `ch` is one; *regather as key() returns it. */
static bool shared_key(struct live *l, int ch, bool *regather)
{
	*regather = false;
	if (ch == ' ') {
		l->paused = !l->paused;
		*regather = !l->paused;
		return true;
	}
	if (ch == 'h' || ch == '?') {
		l->help = true;
		return true;
	}
	return false;
}

/* A key while the histogram pane is shown: the table's own keys would
 * change what is hidden, so they do nothing here. */
static void hist_key(struct live *l, int ch)
{
	switch (ch) {
	case 'H':
	case 'q':
	case 27:
		l->hist = false;
		break;
	case KEY_RIGHT:
	case '\t':
		view_hist_cycle(&l->v, 1);
		break;
	case KEY_LEFT:
	case KEY_BTAB:
		view_hist_cycle(&l->v, -1);
		break;
	default:
		break;
	}
}

/* A key while the listener pane is shown: the table's own keys would
 * change what is hidden, so they do nothing here. */
static void lsn_key(struct live *l, int ch)
{
	size_t rows, hint_lines;

	lsn_layout(l, &rows, &hint_lines);
	rows = rows > 1 ? rows - 1 : 1; /* under the column header */
	switch (ch) {
	case 'L':
	case 'q':
	case 27:
		l->lsn_shown = false;
		break;
	case KEY_UP:
		view_lsn_scroll(&l->lsn, -1, rows);
		break;
	case KEY_DOWN:
		view_lsn_scroll(&l->lsn, 1, rows);
		break;
	case KEY_PPAGE:
		view_lsn_scroll(&l->lsn, -(long)rows, rows);
		break;
	case KEY_NPAGE:
		view_lsn_scroll(&l->lsn, (long)rows, rows);
		break;
	default:
		break;
	}
}

/* Returns true when the table must be gathered again (order or filter). */
static bool key(struct live *l, int ch, bool *quit)
{
	struct view *v = &l->v;
	bool regather;

	if (l->prompt) {
		prompt_key(l, ch);
		return !l->prompt;
	}
	l->status[0] = '\0';
	if (l->help && ch != KEY_RESIZE) {
		l->help = false;
		return false;
	}
	if (shared_key(l, ch, &regather))
		return regather;
	if (l->hist) {
		hist_key(l, ch);
		return false;
	}
	if (l->lsn_shown) {
		lsn_key(l, ch);
		return false;
	}
	switch (ch) {
	case 'q':
		*quit = true;
		return false;
	case 's':
	case '>':
		v->sort = (enum view_col)((v->sort + 1) % VCOL_N);
		return true;
	case '<':
		v->sort = (enum view_col)((v->sort + VCOL_N - 1) % VCOL_N);
		return true;
	case 'r':
		v->reverse = !v->reverse;
		return true;
	case 'f':
		start_prompt(l, PR_STATE);
		return false;
	case 'p':
		start_prompt(l, PR_PID);
		return false;
	case '/':
		start_prompt(l, PR_SEARCH);
		return false;
	case 'H':
		view_hist_open(v, l->top_state);
		l->hist = true;
		return false;
	case 'L':
		/* Listed at once, with a new frame: what was listed when the
		 * pane was last shown is old. */
		l->lsn_shown = l->lsn_now = true;
		return true;
	default:
		return false;
	}
}

static int live_snap_step(struct sink *s)
{
	struct live *l = s->priv;
	int rc = frame(l);

	if (rc)
		return rc;
	return l->timed && s->o.count && ++l->done >= s->o.count ? SINK_DONE : 0;
}

static int live_tick(struct sink *s, uint64_t now_ns)
{
	struct live *l = s->priv;
	bool quit = false, regather = false, redraw, timed;
	int ch;

	if (!l || !l->scr)
		return 0;
	redraw = l->dirty;
	while ((ch = getch()) != ERR) {
		if (ch == KEY_RESIZE) {
			regather = true; /* rows that fit changed */
			continue;
		}
		regather |= key(l, ch, &quit);
		redraw = true;
		if (quit)
			return SINK_DONE;
	}
	l->dirty = false;
	/* A new order or filter is applied at once, paused or not: the rows
	 * on screen must say what the header says. */
	timed = !l->paused && now_ns >= l->next_ns;
	if (timed || regather || !l->frames) {
		if (timed)
			l->next_ns = now_ns + (uint64_t)s->o.interval_ms * 1000000;
		l->timed = timed;
		s->want_listeners = l->lsn_shown && (l->lsn_now || (timed && now_ns >= l->lsn_next_ns));
		return SINK_SNAP; /* frame() once main has handed the rows over */
	}
	/* Paused, or between refreshes: the same frame, with what keys changed. */
	if (redraw)
		draw(l);
	return 0;
}

const struct sink_ops sink_live_ops = {
	.name = "live",
	.begin = live_begin,
	.conn = live_conn,
	.summary = live_summary,
	.alert = live_alert,
	.cw_summary = live_cw_summary,
	.tick = live_tick,
	.snap_begin = live_snap_begin,
	.snap_row = live_snap_row,
	.snap_step = live_snap_step,
	.end = live_end,
};
