/* dcmond's directories and state files: created, given to the user it runs as, and
 * closed to others.
 *
 * Modes: the umask is 027, so whatever creates a file from here on (SQLite, the
 * archive's directories) makes it 0640 and a directory 0750; librrd ignores the umask
 * and the archive sets its files 0640 itself.  Files and directories left by earlier
 * versions (0644 in 0755) lose others' access at start, with a log line each: data_dir
 * and state_dir themselves and the state files (every SQLite database at the top of
 * state_dir, NAME.db with its -wal, -shm and -journal: each part names its own, so the
 * kernel keeps no list of them).  Old RRD files are not walked (a data_dir can hold a million):
 * the 0750 data_dir already keeps others out of them.  Group bits are never changed,
 * so a group shared deliberately (rrdcached as another user) keeps working. */
#include "dcmon/daemon_priv.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmon/fsutil.h"
#include "dcmon/log.h"

#define DAEMON_UMASK  027 /* new files 0640, directories 0750 */

/* What follows ".db" in the name of a state file: the database and SQLite's own files. */
static const char *const db_suffixes[] = {"", "-wal", "-shm", "-journal"};

/* True for a file dcmond keeps at the top of state_dir: alerts.db, tenants.db-wal, ... */
static bool is_state_file(const char *name)
{
	const char *db = strstr(name, ".db");

	if (!db || db == name)
		return false;
	for (const char *next; (next = strstr(db + 1, ".db")) != NULL;)
		db = next; /* the last ".db" */
	for (size_t j = 0; j < sizeof(db_suffixes) / sizeof(db_suffixes[0]); j++)
		if (strcmp(db + 3, db_suffixes[j]) == 0)
			return true;
	return false;
}

/* mkdir -p; *created tells whether the last component was made here.  0 or -errno. */
static int make_dirs(const char *path, bool *created)
{
	int rc = fs_make_parents(path, 0755, NULL, 0);

	*created = false;
	if (rc < 0)
		return rc;
	if (mkdir(path, 0750) == 0)
		*created = true;
	else if (errno != EEXIST)
		return -errno;
	return 0;
}

/* Takes others' access away from path, if it has any; logs what changed. */
static void close_to_others(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0 || S_ISLNK(st.st_mode) || !(st.st_mode & S_IRWXO))
		return;
	if (chmod(path, st.st_mode & 07770) < 0) {
		log_warn("daemon", NULL, "cannot close %s to others", path);
		return;
	}
	log_info("daemon", NULL, "%s: mode %04o -> %04o (closed to others)", path,
		 (unsigned)(st.st_mode & 07777), (unsigned)(st.st_mode & 07770));
}

static void close_state_files(const char *state_dir)
{
	char path[PATH_MAX];
	DIR *dh = opendir(state_dir);
	struct dirent *e;

	if (!dh)
		return;
	while ((e = readdir(dh)) != NULL)
		if (is_state_file(e->d_name) &&
		    snprintf(path, sizeof(path), "%s/%s", state_dir, e->d_name) < (int)sizeof(path))
			close_to_others(path);
	closedir(dh);
}

/* ---- ownership ------------------------------------------------------------------------ */

/* One hand-over to the user, counted for its log line. */
struct handover {
	const struct daemon_user *u;
	size_t changed, failed;
};

/* Gives path (a symlink itself, not its target) to the user unless it is already its. */
static void give(struct handover *h, const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0 || (st.st_uid == h->u->uid && st.st_gid == h->u->gid))
		return;
	if (lchown(path, h->u->uid, h->u->gid) == 0)
		h->changed++;
	else
		h->failed++;
}

static bool is_rrd(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".rrd") == 0;
}

/* An archive directory <data_dir>/<device>: its RRD files, and itself if it has any. */
static void give_device_dir(struct handover *h, const char *dir)
{
	char path[PATH_MAX];
	DIR *dh = opendir(dir);
	struct dirent *e;
	bool any = false;

	if (!dh)
		return;
	while ((e = readdir(dh)) != NULL) {
		if (!is_rrd(e->d_name) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		give(h, path);
		any = true;
	}
	closedir(dh);
	if (any)
		give(h, dir);
}

/* Gives dcmond's own files in dir to the user when dir is someone else's (left by a
 * start as root of an earlier version): the state files, the archive's
 * <device>/<metric>.rrd, and dir itself last, so a hand-over cut short is done again
 * at the next start.  Nothing else is touched, whatever else dir holds. */
static int give_dir(const char *what, const char *dir, const struct daemon_user *u)
{
	char path[PATH_MAX];
	struct handover h = {.u = u};
	struct stat st;
	struct dirent *e;
	DIR *dh;

	if (stat(dir, &st) == 0 && st.st_uid == u->uid && st.st_gid == u->gid)
		return 0;
	if (!(dh = opendir(dir))) {
		log_warn("daemon", NULL, "%s %s", what, dir);
		return -1;
	}
	while ((e = readdir(dh)) != NULL) {
		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		if (is_state_file(e->d_name))
			give(&h, path);
		else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			give_device_dir(&h, path);
	}
	closedir(dh);
	give(&h, dir);
	if (h.failed > 0) {
		log_msg(LOG_LVL_ERROR, "daemon", NULL, "%s %s: cannot give %zu files to %s", what,
			dir, h.failed, u->name);
		return -1;
	}
	log_info("daemon", NULL, "%s %s: %zu files now owned by %s (uid %u, gid %u)", what, dir,
		 h.changed, u->name, (unsigned)u->uid, (unsigned)u->gid);
	return 0;
}

/* True if dir holds nothing but (maybe) the file `name`: a directory of our own. */
static bool dir_only_holds(const char *dir, const char *name)
{
	DIR *dh = opendir(dir);
	struct dirent *e;
	bool only = dh != NULL;

	while (only && (e = readdir(dh)) != NULL)
		only = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		       strcmp(e->d_name, name) == 0;
	if (dh)
		closedir(dh);
	return only;
}

/* The socket's directory must take the user's socket file: given to the user when it
 * holds nothing else (made here, or by a start as root before); a shared one like /run
 * is left as it is. */
static int prepare_socket_dir(const char *socket_path, const struct daemon_priv *p)
{
	char buf[PATH_MAX], dir[PATH_MAX], name[PATH_MAX];
	bool created;
	int rc;

	snprintf(buf, sizeof(buf), "%s", socket_path);
	snprintf(dir, sizeof(dir), "%s", dirname(buf));
	snprintf(buf, sizeof(buf), "%s", socket_path);
	snprintf(name, sizeof(name), "%s", basename(buf));
	if ((rc = make_dirs(dir, &created)) < 0) {
		log_msg(LOG_LVL_ERROR, "daemon", NULL, "cannot create the socket directory %s: %s",
			dir, strerror(-rc));
		return -1;
	}
	if (created && chmod(dir, 0755) < 0) /* clients of socket_group pass through it */
		log_warn("daemon", NULL, "chmod %s", dir);
	if (p->drop && dir_only_holds(dir, name)) {
		struct handover h = {.u = &p->user};
		give(&h, socket_path); /* a stale socket, replaced at bind */
		give(&h, dir);
		if (h.failed > 0) {
			log_msg(LOG_LVL_ERROR, "daemon", NULL, "cannot give %s to %s", dir,
				p->user.name);
			return -1;
		}
	}
	return 0;
}

int daemon_files_prepare(const struct cfg_daemon *dm, const struct daemon_priv *p)
{
	const char *dirs[][2] = {{"data_dir", dm->data_dir}, {"state_dir", dm->state_dir}};

	umask(DAEMON_UMASK);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		bool created;
		int rc = make_dirs(dirs[i][1], &created);
		if (rc < 0) {
			log_msg(LOG_LVL_ERROR, "daemon", NULL, "cannot create %s %s: %s", dirs[i][0],
				dirs[i][1], strerror(-rc));
			return -1;
		}
		if (p->drop && give_dir(dirs[i][0], dirs[i][1], &p->user) < 0)
			return -1;
		close_to_others(dirs[i][1]);
	}
	close_state_files(dm->state_dir);
	return prepare_socket_dir(dm->socket_path, p);
}
