/*
 * strtab: interned strings in an arena. 100k users and their groups cost
 * a pointer and a slot each beyond the bytes themselves (DESIGN §5).
 */
#include <stdlib.h>
#include <string.h>

#include "provisiond.h"

#define CHUNK_SIZE (1024 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	char data[];
};

void strtab_init(struct strtab *t)
{
	memset(t, 0, sizeof(*t));
}

void strtab_free(struct strtab *t)
{
	struct arena_chunk *c, *next;

	if (t == NULL)
		return;
	for (c = t->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(t->strs);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* FNV-1a, then a final mix so that the low bits index well. */
static uint64_t str_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

char *strtab_store(struct strtab *t, const char *s, size_t len)
{
	struct arena_chunk *c = t->chunks;
	size_t size;
	char *p;

	if (c == NULL || c->size - c->used < len + 1) {
		size = len + 1 > CHUNK_SIZE ? len + 1 : CHUNK_SIZE;
		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = t->chunks;
		t->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static size_t slot_of(const struct strtab *t, const char *s, size_t len)
{
	size_t mask = t->nslots - 1;
	size_t i = (size_t)str_hash(s, len) & mask;
	uint32_t id;

	for (;;) {
		id = t->slots[i];
		if (id == 0)
			return i;
		if (strncmp(t->strs[id - 1], s, len) == 0 && t->strs[id - 1][len] == '\0')
			return i;
		i = (i + 1) & mask;
	}
}

static int strtab_grow(struct strtab *t)
{
	uint32_t *old = t->slots;
	size_t oldn = t->nslots, i, j;
	char **strs;

	if (t->n == t->cap) {
		strs = realloc(t->strs, (t->cap ? t->cap * 2 : 64) * sizeof(*strs));
		if (strs == NULL)
			return -1;
		t->strs = strs;
		t->cap = t->cap ? t->cap * 2 : 64;
	}
	if ((t->n + 1) * 2 <= t->nslots)
		return 0;
	t->nslots = oldn ? oldn * 2 : 128;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (t->slots == NULL) {
		t->slots = old;
		t->nslots = oldn;
		return -1;
	}
	for (i = 0; i < oldn; i++) {
		if (old[i] == 0)
			continue;
		j = slot_of(t, t->strs[old[i] - 1], strlen(t->strs[old[i] - 1]));
		t->slots[j] = old[i];
	}
	free(old);
	return 0;
}

int strtab_find(uint32_t *id, const struct strtab *t, const char *s, size_t len)
{
	size_t i;

	if (t->nslots == 0)
		return 0;
	i = slot_of(t, s, len);
	if (t->slots[i] == 0)
		return 0;
	*id = t->slots[i] - 1;
	return 1;
}

int strtab_intern(uint32_t *id, struct strtab *t, const char *s, size_t len)
{
	char *copy;
	size_t i;

	if (strtab_find(id, t, s, len))
		return 0;
	if (t->n >= UINT32_MAX - 1 || strtab_grow(t) != 0)
		return -1;
	copy = strtab_store(t, s, len);
	if (copy == NULL)
		return -1;
	i = slot_of(t, s, len);
	t->strs[t->n] = copy;
	t->slots[i] = (uint32_t)(t->n + 1);
	*id = (uint32_t)t->n;
	t->n++;
	return 1;
}
