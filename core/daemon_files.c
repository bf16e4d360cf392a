/* dcmond's directories and state files: created, given to the user it runs as, and
 * closed to others.
 *
 * Modes: the umask is 027, so whatever creates a file from here on (SQLite, the
 * archive's directories) makes it 0640 and a directory 0750; librrd ignores the umask
 * and the archive sets its files 0640 itself.  Files and directories left by earlier
 * versions (0644 in 0755) lose others' access at start, with a log line each: data_dir
 * and state_dir themselves and the state files (alerts.db, notify.db and their -wal,
 * -shm and -journal).  Old RRD files are not walked (a data_dir can hold a million):
 * the 0750 data_dir already keeps others out of them.  Group bits are never changed,
 * so a group shared deliberately (rrdcached as another user) keeps working. */
#include "daemon_priv.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmon/log.h"

#define DAEMON_UMASK  027 /* new files 0640, directories 0750 */
#define WALK_FDS      16  /* descriptors nftw may hold open */

/* The SQLite files of the state directory (each with -wal, -shm, -journal). */
static const char *const state_dbs[] = {"alerts.db", "notify.db"};
static const char *const db_suffixes[] = {"", "-wal", "-shm", "-journal"};

/* mkdir -p; *created tells whether the last component was made here.  0 or -errno. */
static int make_dirs(const char *path, bool *created)
{
	char buf[PATH_MAX];

	*created = false;
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0750) == 0)
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

	for (size_t i = 0; i < sizeof(state_dbs) / sizeof(state_dbs[0]); i++)
		for (size_t j = 0; j < sizeof(db_suffixes) / sizeof(db_suffixes[0]); j++)
			if (snprintf(path, sizeof(path), "%s/%s%s", state_dir, state_dbs[i],
				     db_suffixes[j]) < (int)sizeof(path))
				close_to_others(path);
}

/* ---- ownership ------------------------------------------------------------------------ */

/* nftw has no argument for its callback: the walk in progress (start-up, one thread). */
static struct {
	uid_t uid;
	gid_t gid;
	size_t changed, failed;
} walk;

static int chown_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (st->st_uid == walk.uid && st->st_gid == walk.gid)
		return 0;
	if (lchown(path, walk.uid, walk.gid) == 0)
		walk.changed++;
	else
		walk.failed++;
	return 0;
}

/* Gives the tree under dir to the user when dir is someone else's (a root start of an
 * earlier version, or another user before): contents first, dir last, so a walk cut
 * short is done again at the next start. */
static int give_tree(const char *what, const char *dir, const struct daemon_user *u)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		log_warn("daemon", NULL, "%s %s", what, dir);
		return -1;
	}
	if (st.st_uid == u->uid && st.st_gid == u->gid)
		return 0;
	walk.uid = u->uid;
	walk.gid = u->gid;
	walk.changed = walk.failed = 0;
	if (nftw(dir, chown_entry, WALK_FDS, FTW_PHYS | FTW_DEPTH | FTW_MOUNT) < 0 ||
	    walk.failed > 0) {
		log_msg(LOG_LVL_ERROR, "daemon", NULL, "%s %s: cannot give %zu entries to %s",
			what, dir, walk.failed, u->name);
		return -1;
	}
	log_info("daemon", NULL, "%s %s: %zu entries now owned by %s (uid %u, gid %u)", what, dir,
		 walk.changed, u->name, (unsigned)u->uid, (unsigned)u->gid);
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
	if (p->drop && dir_only_holds(dir, name) && give_tree("socket directory", dir, &p->user) < 0)
		return -1;
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
		if (p->drop && give_tree(dirs[i][0], dirs[i][1], &p->user) < 0)
			return -1;
		close_to_others(dirs[i][1]);
	}
	close_state_files(dm->state_dir);
	return prepare_socket_dir(dm->socket_path, p);
}
