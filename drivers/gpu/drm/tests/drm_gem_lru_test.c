// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test suite for the GEM LRU helpers (drm_gem_lru_*)
 *
 * The objects are private GEM objects without backing storage: the tests
 * only look at LRU membership, page counts and what the scan passes to its
 * callback.
 */

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-resv.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/ww_mutex.h>

#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_kunit_helpers.h>

/* Upper bound for anything that must not block */
#define LRU_TEST_TIMEOUT	(2 * HZ)
#define LRU_TEST_MAX_OBJS	16
/* More pages than any test puts on an LRU: scan everything */
#define LRU_TEST_SCAN_ALL	1024

#define STRESS_OBJS		256
#define STRESS_PUTTERS		2
#define STRESS_ROUNDS		4

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_object_put_wrapper, drm_gem_object_put,
			    struct drm_gem_object *);

KUNIT_DEFINE_ACTION_WRAPPER(kthread_stop_put_wrapper, kthread_stop_put,
			    struct task_struct *);

/* State of one test case, test->priv */
struct drm_gem_lru_test {
	struct drm_device *drm;
	/* Objects whose free callback completed */
	atomic_t nr_freed;
};

/* What drm_gem_lru_test_shrink() does with an object */
enum drm_gem_lru_test_action {
	/* Neither free nor move the object: it stays reclaimable. */
	DRM_GEM_LRU_TEST_SKIP,
	/* Release the pages: move the object to @target or off all LRUs. */
	DRM_GEM_LRU_TEST_FREE,
	/* Move the object to @target without freeing it. */
	DRM_GEM_LRU_TEST_MOVE,
	/* Move the object to @target on the first visit only. */
	DRM_GEM_LRU_TEST_MOVE_ONCE,
};

/* Holds the free of an object after its refcount dropped to zero */
struct drm_gem_lru_test_zombie {
	/* The free callback was entered: the refcount is zero. */
	struct completion dying;
	/* Lets the free callback go on. */
	struct completion gate;
	/* The object is gone. */
	struct completion freed;
	/* The LRU the object was on when the free went on */
	struct drm_gem_lru *lru_at_release;
};

struct drm_gem_lru_test_obj {
	struct drm_gem_object base;
	struct drm_gem_lru_test *priv;
	enum drm_gem_lru_test_action action;
	struct drm_gem_lru *target;
	unsigned int nr_visits;
	/* The callback drops the reference of the test after its action. */
	bool put_in_callback;
	struct drm_gem_lru_test_zombie *zombie;
	/* Set when the free starts; with @slow_free, the free spins a bit. */
	bool dying;
	bool slow_free;
};

/* The objects one scan passed to drm_gem_lru_test_shrink(), in order */
struct drm_gem_lru_test_log {
	struct drm_gem_object *seen[LRU_TEST_MAX_OBJS];
	unsigned int nr_seen;
};

static struct drm_gem_lru_test_obj *to_lru_test_obj(struct drm_gem_object *gem)
{
	return container_of(gem, struct drm_gem_lru_test_obj, base);
}

/* The LRU @gem is on, read under the LRU lock */
static struct drm_gem_lru *drm_gem_lru_test_lru_of(struct drm_gem_object *gem)
{
	struct drm_gem_lru *lru;

	mutex_lock(&gem->dev->gem_lru_mutex);
	lru = gem->lru;
	mutex_unlock(&gem->dev->gem_lru_mutex);

	return lru;
}

static void drm_gem_lru_test_free(struct drm_gem_object *gem)
{
	struct drm_gem_lru_test_obj *obj = to_lru_test_obj(gem);
	struct drm_gem_lru_test_zombie *zombie = obj->zombie;
	struct drm_gem_lru_test *priv = obj->priv;

	WRITE_ONCE(obj->dying, true);

	if (zombie) {
		complete_all(&zombie->dying);
		wait_for_completion(&zombie->gate);
		zombie->lru_at_release = drm_gem_lru_test_lru_of(gem);
	}

	/* Widen the window in which a scan can see the dying object */
	if (obj->slow_free)
		udelay(5);

	drm_gem_object_release(gem);
	kfree(obj);
	atomic_inc(&priv->nr_freed);

	if (zombie)
		complete_all(&zombie->freed);
}

static const struct drm_gem_object_funcs drm_gem_lru_test_funcs = {
	.free = drm_gem_lru_test_free,
};

static struct drm_gem_lru_test_obj *
drm_gem_lru_test_obj_alloc(struct drm_gem_lru_test *priv, unsigned int npages)
{
	struct drm_gem_lru_test_obj *obj;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	if (!obj)
		return NULL;

	obj->priv = priv;
	obj->base.funcs = &drm_gem_lru_test_funcs;
	drm_gem_private_object_init(priv->drm, &obj->base,
				    (size_t)npages << PAGE_SHIFT);

	return obj;
}

/* Create an object of @npages pages whose reference is dropped at the end */
static struct drm_gem_lru_test_obj *
drm_gem_lru_test_obj_create(struct kunit *test, unsigned int npages)
{
	struct drm_gem_lru_test_obj *obj;
	int ret;

	obj = drm_gem_lru_test_obj_alloc(test->priv, npages);
	KUNIT_ASSERT_NOT_NULL(test, obj);

	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper,
					&obj->base);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return obj;
}

/* The test drops the reference of @obj itself */
static void drm_gem_lru_test_obj_disown(struct kunit *test,
					struct drm_gem_lru_test_obj *obj)
{
	kunit_remove_action(test, drm_gem_object_put_wrapper, &obj->base);
}

/*
 * Create an LRU. It is freed at the end of the test, after the objects
 * created later: an object still on it is removed by its release first.
 */
static struct drm_gem_lru *drm_gem_lru_test_lru_create(struct kunit *test)
{
	struct drm_gem_lru *lru;

	lru = kunit_kzalloc(test, sizeof(*lru), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, lru);
	drm_gem_lru_init(lru);

	return lru;
}

/* Shrink callback of most tests: logs the object and does obj->action */
static bool drm_gem_lru_test_shrink(struct drm_gem_object *gem,
				    struct drm_gem_lru_scan_ctx *ctx)
{
	struct drm_gem_lru_test_obj *obj = to_lru_test_obj(gem);
	enum drm_gem_lru_test_action action = obj->action;
	struct drm_gem_lru_test_log *log = ctx->priv;

	dma_resv_assert_held(gem->resv);

	if (log->nr_seen < ARRAY_SIZE(log->seen))
		log->seen[log->nr_seen] = gem;
	log->nr_seen++;
	obj->nr_visits++;

	switch (obj->action) {
	case DRM_GEM_LRU_TEST_FREE:
		if (obj->target)
			drm_gem_lru_move_tail(obj->target, gem);
		else
			drm_gem_lru_remove(gem);
		break;
	case DRM_GEM_LRU_TEST_MOVE:
		drm_gem_lru_move_tail(obj->target, gem);
		break;
	case DRM_GEM_LRU_TEST_MOVE_ONCE:
		if (obj->nr_visits == 1)
			drm_gem_lru_move_tail(obj->target, gem);
		break;
	default:
		break;
	}

	/* The scan holds a reference: this put is never the last one. */
	if (obj->put_in_callback)
		drm_gem_object_put(gem);

	return action == DRM_GEM_LRU_TEST_FREE;
}

/* Scan @lru with drm_gem_lru_test_shrink(), logging into @ctx->priv */
static unsigned long drm_gem_lru_test_scan(struct kunit *test,
					   struct drm_gem_lru *lru,
					   unsigned long nr_to_scan,
					   unsigned long *remaining,
					   struct drm_gem_lru_scan_ctx *ctx)
{
	struct drm_gem_lru_test *priv = test->priv;
	struct drm_gem_lru_test_log *log = ctx->priv;

	log->nr_seen = 0;

	return drm_gem_lru_scan(priv->drm, lru, nr_to_scan, remaining,
				drm_gem_lru_test_shrink, ctx);
}

/*
 * Check that @lru holds exactly @objs, head first, that they point back to
 * it and that it counts their pages. The list is read under the LRU lock.
 */
static void drm_gem_lru_test_expect_lru(struct kunit *test, const char *name,
					struct drm_gem_lru *lru,
					struct drm_gem_lru_test_obj *const *objs,
					unsigned int nr)
{
	struct drm_gem_lru_test *priv = test->priv;
	struct drm_gem_object *found[LRU_TEST_MAX_OBJS];
	unsigned int nr_found = 0, wrong_lru = 0, i;
	struct drm_gem_object *gem;
	long count, objects, pages = 0;

	mutex_lock(&priv->drm->gem_lru_mutex);
	list_for_each_entry(gem, &lru->list, lru_node) {
		if (nr_found < ARRAY_SIZE(found))
			found[nr_found] = gem;
		nr_found++;
		if (gem->lru != lru)
			wrong_lru++;
	}
	count = READ_ONCE(lru->count);
	objects = READ_ONCE(lru->objects);
	mutex_unlock(&priv->drm->gem_lru_mutex);

	KUNIT_EXPECT_EQ_MSG(test, nr_found, nr, "objects on %s", name);
	KUNIT_EXPECT_EQ_MSG(test, wrong_lru, 0,
			    "objects on %s pointing to another LRU", name);

	for (i = 0; i < nr; i++) {
		pages += objs[i]->base.size >> PAGE_SHIFT;
		if (i < min_t(unsigned int, nr_found, ARRAY_SIZE(found)))
			KUNIT_EXPECT_PTR_EQ_MSG(test, found[i], &objs[i]->base,
						"object %u of %s", i, name);
	}
	KUNIT_EXPECT_EQ_MSG(test, count, pages, "pages counted on %s", name);
	KUNIT_EXPECT_EQ_MSG(test, objects, (long)nr, "objects counted on %s", name);
}

#define OBJS(...) ((struct drm_gem_lru_test_obj *const []){ __VA_ARGS__ })

/* expect_lru(test, lru, obj...): @lru holds the objects, in this order */
#define expect_lru(test, lru, ...)					\
	drm_gem_lru_test_expect_lru(test, #lru, lru, OBJS(__VA_ARGS__),	\
				    ARRAY_SIZE(OBJS(__VA_ARGS__)))

#define expect_lru_empty(test, lru)					\
	drm_gem_lru_test_expect_lru(test, #lru, lru, NULL, 0)

/* Check that the last scan passed exactly @objs to its callback, in order */
static void drm_gem_lru_test_expect_seen(struct kunit *test,
					 const struct drm_gem_lru_test_log *log,
					 struct drm_gem_lru_test_obj *const *objs,
					 unsigned int nr)
{
	unsigned int i;

	KUNIT_EXPECT_EQ_MSG(test, log->nr_seen, nr,
			    "objects passed to the callback");

	for (i = 0; i < min3(nr, log->nr_seen, LRU_TEST_MAX_OBJS); i++)
		KUNIT_EXPECT_PTR_EQ_MSG(test, log->seen[i], &objs[i]->base,
					"object %u passed to the callback", i);
}

#define expect_seen(test, log, ...)					\
	drm_gem_lru_test_expect_seen(test, log, OBJS(__VA_ARGS__),	\
				     ARRAY_SIZE(OBJS(__VA_ARGS__)))

/*
 * Test moving objects between LRUs and removing them, through the locked
 * and the unlocked variants. The test case succeeds if after each step
 * every LRU holds exactly the objects last moved to it, in the order of the
 * moves (moving an object to the LRU it is on moves it to the tail), and
 * counts their pages, each object points to its LRU, and removing an object
 * that is on no LRU does nothing.
 */
static void drm_test_gem_lru_move_remove(struct kunit *test)
{
	struct drm_gem_lru_test *priv = test->priv;
	struct drm_gem_lru *lru1, *lru2, *lru3;
	struct drm_gem_lru_test_obj *a, *b, *c, *d;

	lru1 = drm_gem_lru_test_lru_create(test);
	lru2 = drm_gem_lru_test_lru_create(test);
	lru3 = drm_gem_lru_test_lru_create(test);

	a = drm_gem_lru_test_obj_create(test, 1);
	b = drm_gem_lru_test_obj_create(test, 2);
	c = drm_gem_lru_test_obj_create(test, 4);
	d = drm_gem_lru_test_obj_create(test, 8);

	drm_gem_lru_move_tail(lru1, &a->base);
	drm_gem_lru_move_tail(lru1, &b->base);
	drm_gem_lru_move_tail(lru2, &c->base);
	drm_gem_lru_move_tail(lru1, &d->base);
	expect_lru(test, lru1, a, b, d);
	expect_lru(test, lru2, c);
	expect_lru_empty(test, lru3);

	/* To another LRU, and back to the tail of the same one */
	drm_gem_lru_move_tail(lru2, &b->base);
	drm_gem_lru_move_tail(lru1, &a->base);
	mutex_lock(&priv->drm->gem_lru_mutex);
	drm_gem_lru_move_tail_locked(lru3, &c->base);
	mutex_unlock(&priv->drm->gem_lru_mutex);
	expect_lru(test, lru1, d, a);
	expect_lru(test, lru2, b);
	expect_lru(test, lru3, c);

	drm_gem_lru_remove(&b->base);
	KUNIT_EXPECT_NULL(test, drm_gem_lru_test_lru_of(&b->base));
	expect_lru_empty(test, lru2);

	/* Not on an LRU any more */
	drm_gem_lru_remove(&b->base);
	KUNIT_EXPECT_NULL(test, drm_gem_lru_test_lru_of(&b->base));

	mutex_lock(&priv->drm->gem_lru_mutex);
	drm_gem_lru_remove_locked(&d->base);
	mutex_unlock(&priv->drm->gem_lru_mutex);
	KUNIT_EXPECT_NULL(test, drm_gem_lru_test_lru_of(&d->base));
	expect_lru(test, lru1, a);
	expect_lru_empty(test, lru2);
	expect_lru(test, lru3, c);

	/* An object that was removed can go back on an LRU */
	drm_gem_lru_move_tail(lru3, &d->base);
	expect_lru(test, lru3, c, d);
}

/*
 * Test the figures of a scan whose callback frees some objects (off all
 * LRUs, or onto another LRU), moves one to another LRU without freeing it
 * and skips the others. The test case succeeds if the scan returns the
 * pages it freed, adds the pages of the skipped objects to *remaining
 * (which it does not reset), adds the pages of every object it looked at
 * to ctx->nr_scanned (over several scans), stops as soon as it freed
 * @nr_to_scan pages, and the LRUs then hold what the callback left there.
 */
static void drm_test_gem_lru_scan_count(struct kunit *test)
{
	struct drm_gem_lru_test_log log = {};
	struct drm_gem_lru_scan_ctx ctx = { .priv = &log };
	struct drm_gem_lru_test_obj *a, *b, *c, *d, *e;
	struct drm_gem_lru *lru, *other;
	unsigned long freed, remaining;

	lru = drm_gem_lru_test_lru_create(test);
	other = drm_gem_lru_test_lru_create(test);

	a = drm_gem_lru_test_obj_create(test, 1);
	b = drm_gem_lru_test_obj_create(test, 2);
	c = drm_gem_lru_test_obj_create(test, 4);
	d = drm_gem_lru_test_obj_create(test, 8);
	e = drm_gem_lru_test_obj_create(test, 16);
	drm_gem_lru_move_tail(lru, &a->base);
	drm_gem_lru_move_tail(lru, &b->base);
	drm_gem_lru_move_tail(lru, &c->base);
	drm_gem_lru_move_tail(lru, &d->base);
	drm_gem_lru_move_tail(lru, &e->base);

	b->action = DRM_GEM_LRU_TEST_FREE;
	c->action = DRM_GEM_LRU_TEST_FREE;
	c->target = other;
	d->action = DRM_GEM_LRU_TEST_MOVE;
	d->target = other;

	remaining = 100;
	freed = drm_gem_lru_test_scan(test, lru, LRU_TEST_SCAN_ALL, &remaining,
				      &ctx);
	KUNIT_EXPECT_EQ(test, freed, 2 + 4);
	KUNIT_EXPECT_EQ(test, remaining, 100 + 1 + 16);
	KUNIT_EXPECT_EQ(test, ctx.nr_scanned, 31);
	expect_seen(test, &log, a, b, c, d, e);
	expect_lru(test, lru, a, e);
	expect_lru(test, other, c, d);
	KUNIT_EXPECT_NULL(test, drm_gem_lru_test_lru_of(&b->base));

	/* Stops once it freed enough: e is not looked at */
	a->action = DRM_GEM_LRU_TEST_FREE;
	remaining = 0;
	freed = drm_gem_lru_test_scan(test, lru, 1, &remaining, &ctx);
	KUNIT_EXPECT_EQ(test, freed, 1);
	KUNIT_EXPECT_EQ(test, remaining, 0);
	KUNIT_EXPECT_EQ(test, ctx.nr_scanned, 31 + 1);
	expect_seen(test, &log, a);
	expect_lru(test, lru, e);

	/* Nothing to free: everything is looked at and remains */
	freed = drm_gem_lru_test_scan(test, lru, 1, &remaining, &ctx);
	KUNIT_EXPECT_EQ(test, freed, 0);
	KUNIT_EXPECT_EQ(test, remaining, 16);
	KUNIT_EXPECT_EQ(test, ctx.nr_scanned, 31 + 1 + 16);
	expect_seen(test, &log, e);
	expect_lru(test, lru, e);
	expect_lru(test, other, c, d);
}

/*
 * Test the order of a scan. The test case succeeds if the scan walks the
 * LRU from its head, the object moved to the LRU least recently first, and
 * the objects it looked at but that the callback neither freed nor moved go
 * back to the tail of the LRU, in the order they were looked at, behind the
 * objects the scan did not reach.
 */
static void drm_test_gem_lru_scan_order(struct kunit *test)
{
	struct drm_gem_lru_test_log log = {};
	struct drm_gem_lru_scan_ctx ctx = { .priv = &log };
	struct drm_gem_lru_test_obj *o[5];
	unsigned long freed, remaining = 0;
	struct drm_gem_lru *lru;
	unsigned int i;

	lru = drm_gem_lru_test_lru_create(test);
	for (i = 0; i < ARRAY_SIZE(o); i++) {
		o[i] = drm_gem_lru_test_obj_create(test, 1);
		drm_gem_lru_move_tail(lru, &o[i]->base);
	}
	/* A use of o[1] */
	drm_gem_lru_move_tail(lru, &o[1]->base);
	expect_lru(test, lru, o[0], o[2], o[3], o[4], o[1]);

	o[3]->action = DRM_GEM_LRU_TEST_FREE;
	freed = drm_gem_lru_test_scan(test, lru, 1, &remaining, &ctx);
	KUNIT_EXPECT_EQ(test, freed, 1);
	expect_seen(test, &log, o[0], o[2], o[3]);
	expect_lru(test, lru, o[4], o[1], o[0], o[2]);

	freed = drm_gem_lru_test_scan(test, lru, LRU_TEST_SCAN_ALL, &remaining,
				      &ctx);
	KUNIT_EXPECT_EQ(test, freed, 0);
	expect_seen(test, &log, o[4], o[1], o[0], o[2]);
	expect_lru(test, lru, o[4], o[1], o[0], o[2]);
}

/*
 * Test a callback that puts the object back at the tail of the LRU being
 * scanned, as drm_gem_shrinker_update_state() does for an object whose
 * state did not change. It does so on the first visit only, so that the
 * test fails instead of hanging if the scan visits objects again. The test
 * case succeeds if the scan passes each object to the callback once.
 */
static void drm_test_gem_lru_scan_requeue(struct kunit *test)
{
	struct drm_gem_lru_test_log log = {};
	struct drm_gem_lru_scan_ctx ctx = { .priv = &log };
	struct drm_gem_lru_test_obj *a, *b;
	unsigned long freed, remaining = 0;
	struct drm_gem_lru *lru;

	lru = drm_gem_lru_test_lru_create(test);
	a = drm_gem_lru_test_obj_create(test, 1);
	b = drm_gem_lru_test_obj_create(test, 2);
	drm_gem_lru_move_tail(lru, &a->base);
	drm_gem_lru_move_tail(lru, &b->base);
	a->action = DRM_GEM_LRU_TEST_MOVE_ONCE;
	a->target = lru;
	b->action = DRM_GEM_LRU_TEST_MOVE_ONCE;
	b->target = lru;

	freed = drm_gem_lru_test_scan(test, lru, LRU_TEST_SCAN_ALL, &remaining,
				      &ctx);
	KUNIT_EXPECT_EQ(test, freed, 0);
	KUNIT_EXPECT_EQ_MSG(test, a->nr_visits, 1, "visits of the first object");
	KUNIT_EXPECT_EQ_MSG(test, b->nr_visits, 1, "visits of the second object");
	KUNIT_EXPECT_EQ(test, ctx.nr_scanned, 1 + 2);
	expect_lru(test, lru, a, b);
}

/*
 * A scan run by a kthread, so that the test can see it block. Allocated
 * with the test: the kthread may outlive a test that failed an assertion.
 */
struct drm_gem_lru_test_scanner {
	struct drm_device *drm;
	struct drm_gem_lru *lru;
	bool (*shrink)(struct drm_gem_object *obj,
		       struct drm_gem_lru_scan_ctx *ctx);
	void *priv;
	unsigned long freed;
	unsigned long remaining;
	struct completion done;
	struct task_struct *task;
};

static int drm_gem_lru_test_scanner_fn(void *data)
{
	struct drm_gem_lru_test_scanner *scanner = data;
	struct drm_gem_lru_scan_ctx ctx = { .priv = scanner->priv };

	scanner->freed = drm_gem_lru_scan(scanner->drm, scanner->lru,
					  LRU_TEST_SCAN_ALL,
					  &scanner->remaining, scanner->shrink,
					  &ctx);

	complete_all(&scanner->done);

	return 0;
}

/*
 * Create a scanner of @lru with @shrink, which gets @data as ctx->priv. Its
 * kthread is stopped at the end of the test; start it with
 * wake_up_process(scanner->task).
 */
static struct drm_gem_lru_test_scanner *
drm_gem_lru_test_scanner_create(struct kunit *test, struct drm_gem_lru *lru,
				bool (*shrink)(struct drm_gem_object *obj,
					       struct drm_gem_lru_scan_ctx *ctx),
				void *data)
{
	struct drm_gem_lru_test *priv = test->priv;
	struct drm_gem_lru_test_scanner *scanner;
	int ret;

	scanner = kunit_kzalloc(test, sizeof(*scanner), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, scanner);
	scanner->drm = priv->drm;
	scanner->lru = lru;
	scanner->shrink = shrink;
	scanner->priv = data;
	init_completion(&scanner->done);

	scanner->task = kthread_create(drm_gem_lru_test_scanner_fn, scanner,
				       "drm-gem-lru-scan");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, scanner->task);
	get_task_struct(scanner->task);

	ret = kunit_add_action_or_reset(test, kthread_stop_put_wrapper,
					scanner->task);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return scanner;
}

/*
 * Test a scan over an object whose reservation is held by another thread.
 * The scan runs in a kthread while the test holds the lock, and the test
 * only releases it after 2 s, so that a scan that blocks fails the test
 * instead of hanging it. The test case succeeds if the scan completes while
 * the lock is held, without passing the locked object to the callback,
 * counts its pages as remaining, leaves it on the LRU and still frees the
 * object behind it.
 */
static void drm_test_gem_lru_scan_trylock(struct kunit *test)
{
	struct drm_gem_lru_test_scanner *scanner;
	struct drm_gem_lru_test_obj *a, *b;
	struct drm_gem_lru_test_log *log;
	struct drm_gem_lru *lru;
	unsigned long left;

	lru = drm_gem_lru_test_lru_create(test);
	a = drm_gem_lru_test_obj_create(test, 1);
	b = drm_gem_lru_test_obj_create(test, 2);
	drm_gem_lru_move_tail(lru, &a->base);
	drm_gem_lru_move_tail(lru, &b->base);
	b->action = DRM_GEM_LRU_TEST_FREE;

	log = kunit_kzalloc(test, sizeof(*log), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, log);
	scanner = drm_gem_lru_test_scanner_create(test, lru,
						  drm_gem_lru_test_shrink, log);

	/* No assertion may abort the test while it holds the lock. */
	dma_resv_lock(a->base.resv, NULL);
	wake_up_process(scanner->task);
	left = wait_for_completion_timeout(&scanner->done, LRU_TEST_TIMEOUT);
	KUNIT_EXPECT_NE_MSG(test, left, 0,
			    "the scan blocked on a locked reservation");
	dma_resv_unlock(a->base.resv);
	wait_for_completion(&scanner->done);

	KUNIT_EXPECT_EQ(test, scanner->freed, 2);
	KUNIT_EXPECT_EQ(test, scanner->remaining, 1);
	expect_seen(test, log, b);
	expect_lru(test, lru, a);
}

static int drm_gem_lru_test_put_fn(void *data)
{
	drm_gem_object_put(data);

	return 0;
}

static void drm_gem_lru_test_zombie_fini(void *data)
{
	struct drm_gem_lru_test_zombie *zombie = data;

	complete_all(&zombie->gate);
	wait_for_completion(&zombie->freed);
}

/*
 * Make the free of @obj stop after its refcount dropped to zero until the
 * test completes zombie->gate, and drop the last reference from a kthread.
 * Returns once the refcount is zero.
 */
static struct drm_gem_lru_test_zombie *
drm_gem_lru_test_make_zombie(struct kunit *test, struct drm_gem_lru_test_obj *obj)
{
	struct drm_gem_lru_test_zombie *zombie;
	struct task_struct *task;
	unsigned long left;
	int ret;

	zombie = kunit_kzalloc(test, sizeof(*zombie), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, zombie);
	init_completion(&zombie->dying);
	init_completion(&zombie->gate);
	init_completion(&zombie->freed);
	obj->zombie = zombie;

	task = kthread_create(drm_gem_lru_test_put_fn, &obj->base,
			      "drm-gem-lru-put");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);

	/* The reference of the test goes to the kthread. */
	drm_gem_lru_test_obj_disown(test, obj);
	wake_up_process(task);

	ret = kunit_add_action_or_reset(test, drm_gem_lru_test_zombie_fini,
					zombie);
	KUNIT_ASSERT_EQ(test, ret, 0);

	left = wait_for_completion_timeout(&zombie->dying, LRU_TEST_TIMEOUT);
	KUNIT_ASSERT_NE_MSG(test, left, 0, "the last put did not free the object");
	KUNIT_ASSERT_EQ(test, kref_read(&obj->base.refcount), 0);

	return zombie;
}

/*
 * Test a scan over an object whose refcount dropped to zero while its free
 * is still in progress (blocked before drm_gem_object_release()). The test
 * case succeeds if the scan removes the dying object from the LRU without
 * passing it to the callback, handles the objects around it as usual, and
 * the free then goes on with the object on no LRU.
 */
static void drm_test_gem_lru_scan_zombie(struct kunit *test)
{
	struct drm_gem_lru_test *priv = test->priv;
	struct drm_gem_lru_test_log log = {};
	struct drm_gem_lru_scan_ctx ctx = { .priv = &log };
	struct drm_gem_lru_test_obj *a, *z, *c;
	struct drm_gem_lru_test_zombie *zombie;
	unsigned long freed, remaining = 0;
	struct drm_gem_lru *lru;
	unsigned long left;

	lru = drm_gem_lru_test_lru_create(test);
	a = drm_gem_lru_test_obj_create(test, 1);
	z = drm_gem_lru_test_obj_create(test, 2);
	c = drm_gem_lru_test_obj_create(test, 4);
	drm_gem_lru_move_tail(lru, &a->base);
	drm_gem_lru_move_tail(lru, &z->base);
	drm_gem_lru_move_tail(lru, &c->base);
	c->action = DRM_GEM_LRU_TEST_FREE;

	zombie = drm_gem_lru_test_make_zombie(test, z);

	freed = drm_gem_lru_test_scan(test, lru, LRU_TEST_SCAN_ALL, &remaining,
				      &ctx);
	KUNIT_EXPECT_EQ(test, freed, 4);
	KUNIT_EXPECT_EQ(test, remaining, 1);
	expect_seen(test, &log, a, c);
	expect_lru(test, lru, a);
	KUNIT_EXPECT_NULL(test, drm_gem_lru_test_lru_of(&z->base));

	complete_all(&zombie->gate);
	left = wait_for_completion_timeout(&zombie->freed, LRU_TEST_TIMEOUT);
	KUNIT_EXPECT_NE_MSG(test, left, 0, "the free did not complete");
	KUNIT_EXPECT_NULL(test, zombie->lru_at_release);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->nr_freed), 1);
	expect_lru(test, lru, a);
}

/*
 * Test a callback that moves an object to another LRU, and objects that are
 * freed during the scan: the callback drops the reference of the test, so
 * that the put of the scan is the last one, both for an object it frees and
 * for one it leaves alone. The test case succeeds if the moved object is on
 * its new LRU, both objects whose last reference went are freed, the scan
 * reports the pages it freed, and the LRU only holds the objects left on it
 * and counts their pages.
 */
static void drm_test_gem_lru_scan_move_and_put(struct kunit *test)
{
	struct drm_gem_lru_test *priv = test->priv;
	struct drm_gem_lru_test_log log = {};
	struct drm_gem_lru_scan_ctx ctx = { .priv = &log };
	struct drm_gem_lru_test_obj *a, *moved, *kept, *gone, *e;
	unsigned long freed, remaining = 0;
	struct drm_gem_lru *lru, *other;

	lru = drm_gem_lru_test_lru_create(test);
	other = drm_gem_lru_test_lru_create(test);
	a = drm_gem_lru_test_obj_create(test, 1);
	moved = drm_gem_lru_test_obj_create(test, 2);
	kept = drm_gem_lru_test_obj_create(test, 4);
	gone = drm_gem_lru_test_obj_create(test, 8);
	e = drm_gem_lru_test_obj_create(test, 16);
	drm_gem_lru_move_tail(lru, &a->base);
	drm_gem_lru_move_tail(lru, &moved->base);
	drm_gem_lru_move_tail(lru, &kept->base);
	drm_gem_lru_move_tail(lru, &gone->base);
	drm_gem_lru_move_tail(lru, &e->base);

	moved->action = DRM_GEM_LRU_TEST_MOVE;
	moved->target = other;
	/* Freed while the scan still holds it aside */
	kept->put_in_callback = true;
	drm_gem_lru_test_obj_disown(test, kept);
	/* Freed after the callback took it off the LRU */
	gone->action = DRM_GEM_LRU_TEST_FREE;
	gone->put_in_callback = true;
	drm_gem_lru_test_obj_disown(test, gone);

	freed = drm_gem_lru_test_scan(test, lru, LRU_TEST_SCAN_ALL, &remaining,
				      &ctx);
	KUNIT_EXPECT_EQ(test, freed, 8);
	KUNIT_EXPECT_EQ(test, log.nr_seen, 5);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->nr_freed), 2);
	expect_lru(test, lru, a, e);
	expect_lru(test, other, moved);
}

/* Shared by the kthreads of the stress test */
struct drm_gem_lru_test_stress {
	struct drm_device *drm;
	struct drm_gem_lru *lrus[2];
	/* The LRU the scanner is not scanning */
	struct drm_gem_lru *other;
	struct drm_gem_lru_test_obj **objs;
	atomic_t putters_running;
	struct completion putters_done;
	/* Dying objects passed to the callback */
	atomic_t errors;
	atomic_t nr_scans;
	struct drm_gem_lru_test_putter {
		struct drm_gem_lru_test_stress *stress;
		unsigned int first;
	} putters[STRESS_PUTTERS];
};

static bool drm_gem_lru_test_stress_shrink(struct drm_gem_object *gem,
					   struct drm_gem_lru_scan_ctx *ctx)
{
	struct drm_gem_lru_test_stress *stress = ctx->priv;

	if (READ_ONCE(to_lru_test_obj(gem)->dying) || !kref_read(&gem->refcount))
		atomic_inc(&stress->errors);

	if (get_random_u32_below(2))
		drm_gem_lru_move_tail(stress->other, gem);

	return false;
}

static int drm_gem_lru_test_stress_scanner_fn(void *data)
{
	struct drm_gem_lru_test_stress *stress = data;
	unsigned int i = 0;

	while (!kthread_should_stop()) {
		struct drm_gem_lru_scan_ctx ctx = { .priv = stress };
		unsigned long remaining = 0;

		stress->other = stress->lrus[!(i & 1)];
		drm_gem_lru_scan(stress->drm, stress->lrus[i & 1],
				 LRU_TEST_SCAN_ALL, &remaining,
				 drm_gem_lru_test_stress_shrink, &ctx);
		atomic_inc(&stress->nr_scans);
		i++;
		cond_resched();
	}

	return 0;
}

static int drm_gem_lru_test_stress_putter_fn(void *data)
{
	struct drm_gem_lru_test_putter *putter = data;
	struct drm_gem_lru_test_stress *stress = putter->stress;
	unsigned int i;

	for (i = putter->first; i < STRESS_OBJS; i += STRESS_PUTTERS) {
		struct drm_gem_object *gem = &stress->objs[i]->base;

		/* A last use, racing with the moves of the scan */
		drm_gem_lru_move_tail(stress->lrus[i & 1], gem);
		drm_gem_object_put(gem);
		cond_resched();
	}

	if (atomic_dec_and_test(&stress->putters_running))
		complete_all(&stress->putters_done);

	return 0;
}

static struct task_struct *drm_gem_lru_test_stress_run(struct kunit *test,
						       int (*fn)(void *data),
						       void *data)
{
	struct task_struct *task;
	int ret;

	task = kthread_run(fn, data, "drm-gem-lru-stress");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);
	get_task_struct(task);

	ret = kunit_add_action_or_reset(test, kthread_stop_put_wrapper, task);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return task;
}

/* One round of the stress test: all objects die while a scanner runs */
static void drm_gem_lru_test_stress_round(struct kunit *test,
					  struct drm_gem_lru_test_stress *stress)
{
	struct drm_gem_lru_test *priv = test->priv;
	int nr_freed = atomic_read(&priv->nr_freed);
	unsigned long left, timeout;
	struct task_struct *scanner;
	unsigned int i;

	for (i = 0; i < STRESS_OBJS; i++) {
		stress->objs[i] = drm_gem_lru_test_obj_alloc(priv, 1 + (i & 3));
		KUNIT_ASSERT_NOT_NULL(test, stress->objs[i]);
		stress->objs[i]->slow_free = true;
		drm_gem_lru_move_tail(stress->lrus[i & 1], &stress->objs[i]->base);
	}

	atomic_set(&stress->putters_running, STRESS_PUTTERS);
	init_completion(&stress->putters_done);
	scanner = drm_gem_lru_test_stress_run(test,
					      drm_gem_lru_test_stress_scanner_fn,
					      stress);
	for (i = 0; i < STRESS_PUTTERS; i++) {
		stress->putters[i].stress = stress;
		stress->putters[i].first = i;
		drm_gem_lru_test_stress_run(test,
					    drm_gem_lru_test_stress_putter_fn,
					    &stress->putters[i]);
	}

	left = wait_for_completion_timeout(&stress->putters_done, 30 * HZ);
	KUNIT_ASSERT_NE_MSG(test, left, 0, "the putters did not finish");

	/* The last puts of the scanner may still be freeing objects. */
	timeout = jiffies + 10 * HZ;
	while (atomic_read(&priv->nr_freed) - nr_freed < STRESS_OBJS &&
	       time_before(jiffies, timeout))
		usleep_range(100, 200);
	kunit_release_action(test, kthread_stop_put_wrapper, scanner);

	KUNIT_EXPECT_EQ(test, atomic_read(&priv->nr_freed) - nr_freed,
			STRESS_OBJS);
	expect_lru_empty(test, stress->lrus[0]);
	expect_lru_empty(test, stress->lrus[1]);
}

/*
 * Stress the race between scans and frees: kthreads drop the last
 * references of many objects, whose frees spin before they remove the
 * objects from the LRUs, while another kthread scans both LRUs without a
 * break and moves objects between them. The test case succeeds if no dying
 * object is ever passed to the callback, every object is freed, and both
 * LRUs end up empty with a page count of zero.
 */
static void drm_test_gem_lru_scan_zombie_stress(struct kunit *test)
{
	struct drm_gem_lru_test *priv = test->priv;
	struct drm_gem_lru_test_stress *stress;
	unsigned int round;

	stress = kunit_kzalloc(test, sizeof(*stress), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, stress);
	stress->objs = kunit_kcalloc(test, STRESS_OBJS, sizeof(*stress->objs),
				     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, stress->objs);
	stress->drm = priv->drm;
	stress->lrus[0] = drm_gem_lru_test_lru_create(test);
	stress->lrus[1] = drm_gem_lru_test_lru_create(test);

	for (round = 0; round < STRESS_ROUNDS; round++)
		drm_gem_lru_test_stress_round(test, stress);

	KUNIT_EXPECT_EQ(test, atomic_read(&stress->errors), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&stress->nr_scans), 0);
}

static int drm_gem_lru_test_init(struct kunit *test)
{
	struct drm_gem_lru_test *priv;
	struct device *dev;

	priv = kunit_kzalloc(test, sizeof(*priv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv);

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	priv->drm = __drm_kunit_helper_alloc_drm_device(test, dev,
							sizeof(*priv->drm), 0,
							DRIVER_GEM);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, priv->drm);

	test->priv = priv;

	return 0;
}

static struct kunit_case drm_gem_lru_test_cases[] = {
	KUNIT_CASE(drm_test_gem_lru_move_remove),
	KUNIT_CASE(drm_test_gem_lru_scan_count),
	KUNIT_CASE(drm_test_gem_lru_scan_order),
	KUNIT_CASE(drm_test_gem_lru_scan_requeue),
	KUNIT_CASE(drm_test_gem_lru_scan_trylock),
	KUNIT_CASE(drm_test_gem_lru_scan_zombie),
	KUNIT_CASE(drm_test_gem_lru_scan_zombie_stress),
	KUNIT_CASE(drm_test_gem_lru_scan_move_and_put),
	{}
};

static struct kunit_suite drm_gem_lru_test_suite = {
	.name = "drm_gem_lru",
	.init = drm_gem_lru_test_init,
	.test_cases = drm_gem_lru_test_cases,
};

kunit_test_suite(drm_gem_lru_test_suite);

MODULE_DESCRIPTION("KUnit test suite for the GEM LRU helpers");
MODULE_LICENSE("GPL");
