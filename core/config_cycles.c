/* fed_by must form a DAG: a cycle would make every device in it suppress the others.
 * Iterative depth-first search (no recursion: configs may hold many devices). */
#include "config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_index.h"

enum visit { VISIT_NEW, VISIT_ON_PATH, VISIT_DONE };

struct dfs_frame {
	size_t dev;  /* device index */
	size_t edge; /* next fed_by entry to follow */
};

struct dfs {
	const struct cfg *cfg;
	const struct cfgnode *root;
	struct cfg_diags *d;
	const struct cfg_index *index;
	enum visit *state; /* per device */
	struct dfs_frame *stack;
	size_t depth;
};

/* Reports the cycle closed by the edge from the top frame to device `to`. */
static void dfs_report(struct dfs *s, size_t to)
{
	char *path = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&path, &len);
	if (f == NULL)
		abort();
	size_t start = s->depth;
	while (start > 0 && s->stack[start - 1].dev != to)
		start--;
	for (size_t k = start - 1; k < s->depth; k++)
		fprintf(f, "%s -> ", s->cfg->devices[s->stack[k].dev].id);
	fprintf(f, "%s", s->cfg->devices[to].id);
	fclose(f);
	const struct dfs_frame *top = &s->stack[s->depth - 1];
	const struct cfgnode *node = cfg_section_item(s->root, "devices", top->dev);
	const struct cfgnode *item = cfg_list_item(node, "fed_by", top->edge - 1);
	cfg_error(s->d, item ? &item->pos : &s->cfg->devices[top->dev].pos, "fed_by cycle: %s",
	          path);
	free(path);
}

static void dfs_push(struct dfs *s, size_t dev)
{
	s->state[dev] = VISIT_ON_PATH;
	s->stack[s->depth++] = (struct dfs_frame){.dev = dev, .edge = 0};
}

/* Follows one edge of the top frame, or pops it when all are done. */
static void dfs_step(struct dfs *s)
{
	struct dfs_frame *top = &s->stack[s->depth - 1];
	const struct cfg_device *dev = &s->cfg->devices[top->dev];
	if (top->edge == dev->nfed_by) {
		s->state[top->dev] = VISIT_DONE;
		s->depth--;
		return;
	}
	ssize_t to = cfg_index_find(s->index, dev->fed_by[top->edge++]);
	if (to < 0 || (size_t)to == top->dev) /* dangling / self: reported elsewhere */
		return;
	if (s->state[to] == VISIT_NEW)
		dfs_push(s, (size_t)to);
	else if (s->state[to] == VISIT_ON_PATH)
		dfs_report(s, (size_t)to);
}

void cfg_validate_cycles(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	size_t n = cfg->ndevices;
	struct dfs s = {.cfg = cfg, .root = root, .d = d, .index = cfg->device_index};
	s.state = calloc(n + 1, sizeof(*s.state));
	s.stack = calloc(n + 1, sizeof(*s.stack));
	if (s.state == NULL || s.stack == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (s.state[i] != VISIT_NEW || cfg->devices[i].id == NULL)
			continue;
		dfs_push(&s, i);
		while (s.depth > 0)
			dfs_step(&s);
	}
	free(s.state);
	free(s.stack);
}
