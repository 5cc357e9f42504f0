/*
 * The daemon's state: per-user memory of the last projection (in core)
 * and the RFC 4533 sync cookie (in the state directory, so that a restart
 * resumes where the last applied batch ended).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "provisiond.h"

#define COOKIE_FILE "cookie"
#define COOKIE_MAX  65536

/* ---- users ------------------------------------------------------------------- */

/* A 64-bit hash stands for the DN: 1M users make a collision about as
 * likely as a cosmic ray, and a collision only skips one echo check. */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 1099511628211ULL;
	}
	h ^= h >> 29;
	return h ? h : 1;
}

void ustate_init(struct ustate *u)
{
	memset(u, 0, sizeof(*u));
}

void ustate_free(struct ustate *u)
{
	if (u == NULL)
		return;
	free(u->keys);
	free(u->vals);
	memset(u, 0, sizeof(*u));
}

void ustate_clear(struct ustate *u)
{
	if (u->cap) {
		memset(u->keys, 0, u->cap * sizeof(*u->keys));
		memset(u->vals, 0, u->cap * sizeof(*u->vals));
	}
	u->n = 0;
}

static size_t ustate_slot(const struct ustate *u, uint64_t h)
{
	size_t mask = u->cap - 1, i = (size_t)(h * 0x9E3779B97F4A7C15ULL >> 20) & mask;

	while (u->keys[i] != 0 && u->keys[i] != h)
		i = (i + 1) & mask;
	return i;
}

static int ustate_grow(struct ustate *u)
{
	struct ustate bigger;
	size_t i, j;

	bigger.cap = u->cap ? u->cap * 2 : 1024;
	bigger.n = u->n;
	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (bigger.keys == NULL || bigger.vals == NULL) {
		free(bigger.keys);
		free(bigger.vals);
		return -1;
	}
	for (i = 0; i < u->cap; i++) {
		if (u->keys[i] == 0)
			continue;
		j = ustate_slot(&bigger, u->keys[i]);
		bigger.keys[j] = u->keys[i];
		bigger.vals[j] = u->vals[i];
	}
	free(u->keys);
	free(u->vals);
	*u = bigger;
	return 0;
}

int ustate_set(struct ustate *u, const char *key, int active, uint64_t attrhash)
{
	uint64_t h = key_hash(key);
	size_t i;

	if ((u->n + 1) * 2 > u->cap && ustate_grow(u) != 0)
		return -1;
	i = ustate_slot(u, h);
	if (u->keys[i] == 0)
		u->n++;
	u->keys[i] = h;
	u->vals[i] = (attrhash & ~(uint64_t)1) | (active ? 1 : 0);
	return 0;
}

int ustate_get(const struct ustate *u, const char *key, int *active, uint64_t *attrhash)
{
	size_t i;

	if (u->cap == 0)
		return 0;
	i = ustate_slot(u, key_hash(key));
	if (u->keys[i] == 0)
		return 0;
	*active = (int)(u->vals[i] & 1);
	*attrhash = u->vals[i] & ~(uint64_t)1;
	return 1;
}

/* Linear probing: re-place the cluster after the hole (Knuth 6.4 R). */
void ustate_del(struct ustate *u, const char *key)
{
	size_t mask, i, j, home;

	if (u->cap == 0)
		return;
	mask = u->cap - 1;
	i = ustate_slot(u, key_hash(key));
	if (u->keys[i] == 0)
		return;
	u->keys[i] = 0;
	u->n--;
	for (j = (i + 1) & mask; u->keys[j] != 0; j = (j + 1) & mask) {
		home = (size_t)(u->keys[j] * 0x9E3779B97F4A7C15ULL >> 20) & mask;
		/* move j into the hole unless its home lies in (i, j] */
		if ((i < j) ? (home <= i || home > j) : (home <= i && home > j)) {
			u->keys[i] = u->keys[j];
			u->vals[i] = u->vals[j];
			u->keys[j] = 0;
			i = j;
		}
	}
}

/* ---- the cookie -------------------------------------------------------------- */

static int state_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int state_dir_prepare(const char *state_dir)
{
	struct stat st;

	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		log_warn("state directory %s", state_dir);
		return -1;
	}
	if (stat(state_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		log_warnx("state directory %s is not a directory", state_dir);
		return -1;
	}
	return 0;
}

int cookie_load(char **out, const char *state_dir)
{
	return cookie_load_named(out, state_dir, COOKIE_FILE);
}

int cookie_load_named(char **out, const char *state_dir, const char *name)
{
	char path[4096], buf[COOKIE_MAX];
	ssize_t n;
	int fd = -1, rc = -1;

	*out = NULL;
	if (state_path(path, sizeof(path), state_dir, name) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_warn("%s", path);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		log_warn("%s", path);
		goto cleanup;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	rc = 0;
	/* an empty or cut file (the disk filled up) is no cookie at all */
	if (n > 0 && strstr(buf, "csn=") != NULL) {
		*out = strdup(buf);
		if (*out == NULL)
			rc = -1;
	}
cleanup:
	close(fd);
	return rc;
}

/* tmp file, fsync, rename, fsync of the directory: a crash leaves the old
 * cookie or the new one, never a mix. */
int cookie_save(const char *state_dir, const char *cookie, size_t len)
{
	return cookie_save_named(state_dir, COOKIE_FILE, cookie, len);
}

int cookie_save_named(const char *state_dir, const char *name, const char *cookie, size_t len)
{
	char path[4096], tmp[4096], tmpname[512];
	int fd = -1, dfd = -1, rc = -1;

	snprintf(tmpname, sizeof(tmpname), "%s.tmp", name);
	if (state_path(path, sizeof(path), state_dir, name) != 0 ||
	    state_path(tmp, sizeof(tmp), state_dir, tmpname) != 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("%s", tmp);
		return -1;
	}
	if (write(fd, cookie, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		log_warn("%s", tmp);
		goto cleanup;
	}
	if (close(fd) != 0) {
		fd = -1;
		log_warn("%s", tmp);
		goto cleanup;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		log_warn("rename %s", path);
		goto cleanup;
	}
	dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	rc = 0;
cleanup:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	return rc;
}
