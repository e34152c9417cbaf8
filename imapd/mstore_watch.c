/*
 * mstore_watch.c - what to watch so that IDLE wakes up when a folder
 * changes: deliveries and POP3 in new/ and cur/, other sessions' flag
 * changes and expunges in the folder's change log.
 *
 * Public (mstore.h): mstore_watch(box, inotify_fd) - adds watches for the
 * folder directory (the log, the UID map and the keyword list live
 * there: IN_MODIFY reports their appends), new/ and cur/; 0, or -1 with
 * errno (the caller falls back to its keepalive wake-ups).
 * Every event means "sync now"; what changed is the log's and the scan's
 * business, not the event's.
 * Security: paths come from the store, not from the client.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/inotify.h>

#include "mstore_int.h"

#define WATCH_DIR_EVENTS (IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE)
#define WATCH_MAIL_EVENTS (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | \
	IN_DELETE)

/* Watch the folder, its new/ and cur/. */
int
mstore_watch(const struct mstore_box *box, int inotify_fd)
{
	static const char *const subs[] = { "", "/new", "/cur" };
	char path[4096];

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (snprintf(path, sizeof(path), "%s%s", box->path, subs[i]) >=
		    (int)sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (inotify_add_watch(inotify_fd, path, i == 0 ?
		    WATCH_DIR_EVENTS : WATCH_MAIL_EVENTS) < 0)
			return -1;
	}
	return 0;
}
