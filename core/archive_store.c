/* Where the archive's file records live: carved from large blocks in 8-byte size
 * classes and reused when freed, so that a million records pay neither malloc's
 * header nor its rounding to 16, and need no list: the blocks are walked to free
 * the live ones (archive_store_destroy). */
#include "archive_int.h"

#include <errno.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define STORE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STORE_ASAN 1
#endif
#endif
#ifdef STORE_ASAN /* a freed or not yet carved record is poisoned: no use after free */
#include <sanitizer/asan_interface.h>
#define STORE_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define STORE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define STORE_POISON(p, n) ((void)(p), (void)(n))
#define STORE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define STORE_BLOCK_BYTES (256 * 1024)
/* A freed record keeps its free-list link (next_forgotten) and, where a live one has
 * next_dirty (a pointer, below 2^63), this tag and its size: the rest is poisoned. */
#define STORE_FREE_TAG (UINT64_C(1) << 63)
#define STORE_HOLE_BYTES (offsetof(struct archive_file, next_dirty) + sizeof(uint64_t))

_Static_assert(offsetof(struct archive_file, next_forgotten) == 0 &&
                   offsetof(struct archive_file, next_dirty) == sizeof(void *) &&
                   sizeof(void *) == sizeof(uint64_t),
               "a freed record's link and tag are its first two words");

struct archive_block {
	struct archive_block *next; /* older block */
	size_t used;                /* bytes carved from mem */
	_Alignas(8) char mem[];
};

/* Bytes of a record whose names take names_len bytes (NUL excluded). */
static size_t rec_size(size_t names_len)
{
	return (offsetof(struct archive_file, names) + names_len + 1 + 7) & ~(size_t)7;
}

int archive_store_init(struct archive_store *s)
{
	memset(s, 0, sizeof(*s));
	return pthread_mutex_init(&s->lock, NULL) == 0 ? 0 : -ENOMEM;
}

/* A new empty block on top of the list.  Lock held.  false when memory ran out. */
static bool store_grow(struct archive_store *s)
{
	struct archive_block *b = malloc(sizeof(*b) + STORE_BLOCK_BYTES);
	if (!b)
		return false;
	b->next = s->blocks;
	b->used = 0;
	STORE_POISON(b->mem, STORE_BLOCK_BYTES);
	s->blocks = b;
	return true;
}

struct archive_file *archive_store_alloc(struct archive_store *s, size_t names_len)
{
	if (names_len >= PATH_MAX)
		return NULL;
	size_t size = rec_size(names_len), cls = size / 8;
	_Static_assert(((offsetof(struct archive_file, names) + PATH_MAX + 7) & ~(size_t)7) / 8 <
	                   ARCHIVE_STORE_CLASSES,
	               "a class per record size");
	struct archive_file *f = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->free[cls]) {
		f = s->free[cls];
		STORE_UNPOISON(f, size);
		s->free[cls] = f->next_forgotten;
	} else if ((s->blocks && STORE_BLOCK_BYTES - s->blocks->used >= size) || store_grow(s)) {
		f = (struct archive_file *)(s->blocks->mem + s->blocks->used);
		s->blocks->used += size;
		STORE_UNPOISON(f, size);
	}
	if (f)
		s->live++;
	pthread_mutex_unlock(&s->lock);
	if (f)
		memset(f, 0, size);
	return f;
}

void archive_store_free(struct archive_store *s, struct archive_file *f)
{
	if (!f)
		return;
	archive_file_drop_parts(f);
	size_t size = rec_size(strlen(f->names));
	uint64_t tag = STORE_FREE_TAG | size;
	pthread_mutex_lock(&s->lock);
	f->next_forgotten = s->free[size / 8];
	memcpy((char *)f + offsetof(struct archive_file, next_dirty), &tag, sizeof(tag));
	STORE_POISON((char *)f + STORE_HOLE_BYTES, size - STORE_HOLE_BYTES);
	s->free[size / 8] = f;
	s->live--;
	pthread_mutex_unlock(&s->lock);
}

void archive_store_destroy(struct archive_store *s)
{
	for (struct archive_block *b = s->blocks, *next; b; b = next) {
		next = b->next;
		for (size_t off = 0; off < b->used;) {
			struct archive_file *f = (struct archive_file *)(b->mem + off);
			uint64_t tag;
			memcpy(&tag, (char *)f + offsetof(struct archive_file, next_dirty),
			       sizeof(tag));
			if (tag & STORE_FREE_TAG) {
				off += (size_t)(tag & ~STORE_FREE_TAG);
				continue;
			}
			off += rec_size(strlen(f->names));
			archive_file_drop_parts(f); /* the live record's buffer and warning state */
		}
		STORE_UNPOISON(b->mem, STORE_BLOCK_BYTES);
		free(b);
	}
	s->blocks = NULL;
	memset(s->free, 0, sizeof(s->free));
	s->live = 0;
	pthread_mutex_destroy(&s->lock);
}
