/*
 * pack.c - a group's operations to UPDATE messages: ordered by outgoing
 * attributes, packed into 64 KiB blocks (struct out_buf) encoded once and
 * handed to every recipient; a block that would take a member's queue
 * over its bound is held back and its prefixes remembered for a resync.
 * End-of-RIB markers.
 */
#include "out/export_int.h"

/* ------------------------------------------------------------- encoding */

/* ----------------------------------------------- prefix sets (bound) */

static bool pfxset_put(struct ex_pfxset *d, const struct prefix *p)
{
	if ((d->n + 1) * 2 > (d->s ? d->mask + 1 : 0)) {
		size_t size = d->s ? (d->mask + 1) * 2 : 64;
		struct prefix *ns = calloc(size, sizeof(*ns));
		if (!ns)
			return false;
		for (size_t i = 0; d->s && i <= d->mask; i++) {
			if (!d->s[i].afi)
				continue;
			size_t j = adj_prefix_hash(&d->s[i]) & (size - 1);
			while (ns[j].afi)
				j = (j + 1) & (size - 1);
			ns[j] = d->s[i];
		}
		free(d->s);
		d->s = ns;
		d->mask = size - 1;
	}
	size_t i = adj_prefix_hash(p) & d->mask;
	for (; d->s[i].afi; i = (i + 1) & d->mask)
		if (prefix_eq(&d->s[i], p))
			return true;
	d->s[i] = *p;
	d->n++;
	return true;
}

void ex_pfxset_drop(struct ex_pfxset *d)
{
	free(d->s);
	memset(d, 0, sizeof(*d));
}

/* The block does not fit in the member's queue: hold it back and remember
 * its prefixes. False when they cannot be remembered (send it then). */
static bool hold_back(struct ex_peer *pp, const struct ex_op *first,
		      const struct ex_op *end)
{
	for (const struct ex_op *o = first; o && o < end; o++)
		if (!pfxset_put(&pp->missed, &o->pfx))
			return false;
	pp->paused = true;
	return true;
}

/* Send b to one member. [first, end) are the ops encoded in b (none for
 * End-of-RIB). Returns false when b was held back by the bound. */
static bool deliver_one(struct exporter *ex, uint32_t peer, struct out_buf *b,
			const struct ex_op *first, const struct ex_op *end)
{
	struct ex_peer *pp = &ex->peers[peer];

	if (pp->p.fits && (pp->paused || !pp->p.fits(pp->p.ctx, b->len))) {
		if (!first) {
			pp->paused = true;
			return false;
		}
		if (hold_back(pp, first, end))
			return false;
	}
	if (!pp->p.send(pp->p.ctx, b))
		pp->paused = true;
	return true;
}

/* Hand the block being filled to its recipients and let it go. */
static void sender_deliver(struct ex_sender *s)
{
	struct out_buf *b = s->b;
	const struct ex_op *first = s->first, *end = s->end;

	s->b = NULL;
	s->first = s->end = NULL;
	if (!b)
		return;
	/* a block queued half empty would hold its whole 64 KiB until every
	 * recipient has written it: give back what it does not use */
	if (b->len && b->len <= EX_BLOCK / 2) {
		struct out_buf *nb = realloc(b, sizeof(*b) + b->len);
		if (nb)
			b = nb;
	}
	if (b->len) {
		if (s->only) {
			deliver_one(s->ex, s->peer, b, first, end);
		} else {
			for (size_t i = 0; i < s->g->n_members; i++)
				if (s->g->members[i] != s->peer)
					deliver_one(s->ex, s->g->members[i], b,
						    first, end);
		}
	}
	out_buf_unref(b);
}

/* Begin one UPDATE in the current block (a new block if needed). */
static bool sender_begin(struct ex_sender *s, struct bgp_update_builder *ub,
			 uint16_t afi, const struct bgp_attrs *a)
{
	for (int tries = 0; tries < 2; tries++) {
		if (s->b && EX_BLOCK - s->b->len < 64)
			sender_deliver(s);
		if (!s->b && !(s->b = out_buf_new(EX_BLOCK)))
			return false;
		size_t room = EX_BLOCK - s->b->len;
		size_t cap = room < s->g->max_msg ? room : s->g->max_msg;
		uint8_t *at = s->b->data + s->b->len;
		int rc = a ? bgp_update_begin(ub, at, cap, afi, a, &s->g->caps)
			   : bgp_update_begin_withdraw(ub, at, cap, afi);
		ub->addpath = s->g->caps.addpath_tx[afi];
		if (rc == 0)
			return true;
		if (!s->b->len)
			return false; /* does not fit even an empty block */
		sender_deliver(s);
	}
	return false;
}

/* Encode ops (same recipients, attributes and family) into UPDATEs packed
 * with as many prefixes as fit. */
static void encode_run(struct ex_sender *s, const struct ex_op *ops, size_t n)
{
	struct bgp_attrs *a = NULL;
	struct bgp_update_builder ub;
	uint16_t afi = ops[0].pfx.afi;
	bool building = false;

	if (ops[0].attr) {
		a = s->ex->tmp;
		rattr_to_bgp(ops[0].attr, a);
		ex_set_next_hop(a, &ops[0].attr->next_hop);
	}
	for (size_t i = 0; i < n;) {
		if (!building) {
			if (!sender_begin(s, &ub, afi, a)) {
				i++; /* cannot be encoded at all: skip it */
				continue;
			}
			building = true;
		}
		if (bgp_update_add_id(&ub, &ops[i].pfx, ops[i].path_id) == 0) {
			if (!s->first)
				s->first = &ops[i];
			s->end = &ops[++i];
			continue;
		}
		building = false;
		if (ub.n_prefixes) {
			s->b->len += bgp_update_finish(&ub);
		} else if (s->b->len) {
			sender_deliver(s); /* no room left: next block */
		} else {
			i++; /* a prefix that fits no message */
		}
	}
	if (building && ub.n_prefixes)
		s->b->len += bgp_update_finish(&ub);
}

/* A distinct (recipients, attributes, family) of a batch of ops. */
static int key_cmp(const void *x, const void *y)
{
	const struct ex_key *a = x, *b = y;

	if (a->only != b->only)
		return a->only < b->only ? -1 : 1;
	if (a->peer != b->peer)
		return a->peer < b->peer ? -1 : 1;
	if (a->attr != b->attr)
		return (uintptr_t)a->attr < (uintptr_t)b->attr ? -1 : 1;
	if (a->afi != b->afi)
		return a->afi < b->afi ? -1 : 1;
	return 0;
}

static uint32_t op_key_hash(const struct ex_op *o)
{
	return (uint32_t)(ex_mix_ptr(o->attr) ^
			  ex_mix_ptr((void *)(uintptr_t)((uint64_t)o->peer << 3 |
						      o->only << 2 | o->pfx.afi)));
}

static bool op_key_is(const struct ex_key *k, const struct ex_op *o)
{
	return k->attr == o->attr && k->peer == o->peer &&
	       k->only == o->only && k->afi == o->pfx.afi;
}

static int op_cmp(const void *x, const void *y)
{
	const struct ex_op *a = x, *b = y;
	struct ex_key ka = { a->attr, a->peer, a->only, (uint8_t)a->pfx.afi,
			     0, 0 };
	struct ex_key kb = { b->attr, b->peer, b->only, (uint8_t)b->pfx.afi,
			     0, 0 };

	return key_cmp(&ka, &kb);
}

/* Index of o's key in ex->keys, added if new; UINT32_MAX when out of
 * memory. ex->khash holds key index + 1. */
static uint32_t key_find(struct exporter *ex, const struct ex_op *o)
{
	uint32_t i = op_key_hash(o) & ex->khash_mask;

	for (uint32_t v; (v = ex->khash[i]); i = (i + 1) & ex->khash_mask)
		if (op_key_is(&ex->keys[v - 1], o))
			return v - 1;
	if (!ex_grow((void **)&ex->keys, &ex->cap_keys, ex->n_keys + 1,
		  sizeof(*ex->keys)))
		return UINT32_MAX;
	uint32_t id = (uint32_t)ex->n_keys++;
	ex->keys[id] = (struct ex_key){ o->attr, o->peer, o->only,
					(uint8_t)o->pfx.afi, id, 0 };
	ex->khash[i] = id + 1;
	if (ex->n_keys * 2 > (size_t)ex->khash_mask + 1) { /* ex_grow, rehash */
		uint32_t size = (ex->khash_mask + 1) * 2;
		uint32_t *h = calloc(size, sizeof(*h));
		if (!h)
			return UINT32_MAX;
		free(ex->khash);
		ex->khash = h;
		ex->khash_mask = size - 1;
		for (uint32_t k = 0; k < ex->n_keys; k++) {
			struct ex_op t = { .attr = ex->keys[k].attr,
					   .peer = ex->keys[k].peer,
					   .only = ex->keys[k].only };
			t.pfx.afi = ex->keys[k].afi;
			uint32_t j = op_key_hash(&t) & ex->khash_mask;
			while (h[j])
				j = (j + 1) & ex->khash_mask;
			h[j] = k + 1;
		}
	}
	return id;
}

/*
 * Order n ops by (recipients, attributes, family) in linear time: find
 * the distinct keys through a small hash, sort those (few), then scatter
 * the ops into ex->sorted. Returns the ordered array, NULL when out of
 * memory.
 */
static struct ex_op *ops_order(struct exporter *ex, const struct ex_op *ops,
			       size_t n)
{
	if (!ex_grow((void **)&ex->sorted, &ex->cap_sorted, n,
		  sizeof(*ex->sorted)) ||
	    !ex_grow((void **)&ex->kidx, &ex->cap_kidx, n, sizeof(*ex->kidx)))
		return NULL;
	free(ex->khash);
	ex->khash_mask = 63;
	if (!(ex->khash = calloc(64, sizeof(*ex->khash))))
		return NULL;
	ex->n_keys = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = key_find(ex, &ops[i]);
		if (id == UINT32_MAX)
			return NULL;
		ex->keys[id].count++;
		ex->kidx[i] = id;
	}
	qsort(ex->keys, ex->n_keys, sizeof(*ex->keys), key_cmp);
	/* count becomes the next free position of the key's run, by id */
	uint32_t *start = (uint32_t *)ex->khash; /* reuse: n_keys <= size */
	uint32_t off = 0;
	for (size_t k = 0; k < ex->n_keys; k++) {
		start[ex->keys[k].id] = off;
		off += ex->keys[k].count;
	}
	for (size_t i = 0; i < n; i++)
		ex->sorted[start[ex->kidx[i]]++] = ops[i];
	return ex->sorted;
}

/* Encode and send g's queued ops, then empty the queue. */
void ex_ops_emit(struct exporter *ex, struct ex_group *g)
{
	struct ex_sender s = { .ex = ex, .g = g };
	size_t n = g->n_ops;
	struct ex_op *ops;

	g->n_ops = 0;
	if (!n)
		return;
	if (!(ops = ops_order(ex, g->ops, n))) { /* out of memory: slower */
		ops = g->ops;
		qsort(ops, n, sizeof(*ops), op_cmp);
	}
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && ops[j].only == ops[i].only &&
		       ops[j].peer == ops[i].peer &&
		       ops[j].attr == ops[i].attr &&
		       ops[j].pfx.afi == ops[i].pfx.afi)
			j++;
		if (s.b && (s.only != ops[i].only || s.peer != ops[i].peer))
			sender_deliver(&s);
		s.only = ops[i].only;
		s.peer = ops[i].peer;
		encode_run(&s, ops + i, j - i);
		i = j;
	}
	sender_deliver(&s);
}

/* Returns false when the bound held End-of-RIB back (try again later). */
bool ex_send_eor(struct exporter *ex, struct ex_peer *pp, uint32_t peer)
{
	struct out_buf *b = out_buf_new(64);
	bool sent = true;
	int n;

	if (!b)
		return true;
	for (uint16_t afi = AFI_IPV4; afi <= AFI_IPV6; afi++) {
		bool neg = afi == AFI_IPV4 ? pp->p.afi_v4 : pp->p.afi_v6;
		if (!neg || (pp->dump_afi && pp->dump_afi != afi))
			continue;
		n = bgp_eor_encode(afi, b->data + b->len, 64 - b->len);
		if (n > 0)
			b->len += n;
	}
	if (b->len)
		sent = deliver_one(ex, peer, b, NULL, NULL);
	out_buf_unref(b);
	return sent;
}
