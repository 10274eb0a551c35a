// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test suite for the GEM shrinker core (drm_gem_shrinker_*)
 *
 * The objects are private GEM objects without backing storage; the purge
 * and evict callbacks only log the call and report the new state, as a
 * driver does once it released the pages.
 */

#include <linux/debug_locks.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/jiffies.h>
#include <linux/rcupdate.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/timer.h>

#include <kunit/test-bug.h>
#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shrinker.h>
#include <drm/drm_kunit_helpers.h>

#define SHRINKER_TEST_MAX_CALLS	32
/* More pages than any test creates: reclaim everything */
#define SHRINKER_TEST_ALL	1024

/* Reclaim that may not block; GFP_NOWAIT also lacks __GFP_FS */
#define GFP_NOBLOCK		(GFP_KERNEL & ~__GFP_DIRECT_RECLAIM)

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_object_put_wrapper, drm_gem_object_put,
			    struct drm_gem_object *);

/* One call of the purge or evict callback */
struct drm_gem_shrinker_test_call {
	struct drm_gem_object *obj;
	bool evict;
};

/* State of one test case, test->priv */
struct drm_gem_shrinker_test {
	struct drm_device *drm;
	struct drm_gem_shrinker *gs;
	/* Protects the call log: real reclaim may call the shrinker too. */
	spinlock_t lock;
	struct drm_gem_shrinker_test_call calls[SHRINKER_TEST_MAX_CALLS];
	unsigned int nr_calls;
	/* Calls for objects with unsignalled fences */
	unsigned int busy_calls;
	/* Calls of the scan_end callback, and nr_calls at the last one */
	unsigned int scan_end_calls;
	unsigned int nr_calls_at_scan_end;
	/* Objects whose free callback completed */
	atomic_t nr_freed;
	/* &drm_gem_shrinker.wait_kswapd_only of the new shrinker */
	bool default_wait_kswapd_only;
};

struct drm_gem_shrinker_test_obj {
	struct drm_gem_object base;
	struct drm_gem_shrinker_test *priv;
	/* Returned by the callbacks instead of reclaiming, e.g. -EBUSY */
	int ret;
	/* The callbacks drop the reference of the test. */
	bool put_in_callback;
};

/* A fence that signals some time after the first wait, or never */
struct drm_gem_shrinker_test_fence {
	struct dma_fence base;
	spinlock_t lock; /* the fence lock */
	struct timer_list timer;
	unsigned long signal_after;
};

static struct drm_gem_shrinker_test_obj *
to_shrinker_test_obj(struct drm_gem_object *gem)
{
	return container_of(gem, struct drm_gem_shrinker_test_obj, base);
}

static int drm_gem_shrinker_test_reclaim(struct drm_gem_object *gem,
					 bool evict)
{
	struct drm_gem_shrinker_test_obj *obj = to_shrinker_test_obj(gem);
	bool busy = !dma_resv_test_signaled(gem->resv, DMA_RESV_USAGE_BOOKKEEP);
	struct drm_gem_shrinker_test *priv = obj->priv;
	int ret = obj->ret;

	dma_resv_assert_held(gem->resv);

	spin_lock(&priv->lock);
	if (priv->nr_calls < ARRAY_SIZE(priv->calls)) {
		priv->calls[priv->nr_calls].obj = gem;
		priv->calls[priv->nr_calls].evict = evict;
	}
	priv->nr_calls++;
	priv->busy_calls += busy;
	spin_unlock(&priv->lock);

	if (!ret)
		drm_gem_shrinker_update_state(gem, evict ? DRM_GEM_RECLAIM_EVICTED :
							   DRM_GEM_RECLAIM_PURGED);

	/* The scan holds a reference: this put is never the last one. */
	if (obj->put_in_callback)
		drm_gem_object_put(gem);

	return ret;
}

static int drm_gem_shrinker_test_purge(struct drm_gem_object *gem,
				       struct drm_gem_lru_scan_ctx *ctx)
{
	return drm_gem_shrinker_test_reclaim(gem, false);
}

static int drm_gem_shrinker_test_evict(struct drm_gem_object *gem,
				       struct drm_gem_lru_scan_ctx *ctx)
{
	return drm_gem_shrinker_test_reclaim(gem, true);
}

/* The driver's eviction gate, closed by drm_test_gem_shrinker_evict_gate */
static bool drm_gem_shrinker_test_gate_closed;

static bool drm_gem_shrinker_test_can_evict(struct drm_device *dev)
{
	return !READ_ONCE(drm_gem_shrinker_test_gate_closed);
}

static void drm_gem_shrinker_test_scan_end(struct drm_device *dev)
{
	struct kunit *test = kunit_get_current_test();
	struct drm_gem_shrinker_test *priv;

	/* Real reclaim, outside of the test thread: nothing to log */
	if (!test)
		return;

	priv = test->priv;
	lockdep_assert_not_held(&dev->gem_lru_mutex);

	spin_lock(&priv->lock);
	priv->scan_end_calls++;
	priv->nr_calls_at_scan_end = priv->nr_calls;
	spin_unlock(&priv->lock);
}

static const struct drm_gem_shrinker_funcs drm_gem_shrinker_test_funcs = {
	.can_evict = drm_gem_shrinker_test_can_evict,
	.purge = drm_gem_shrinker_test_purge,
	.evict = drm_gem_shrinker_test_evict,
	.scan_end = drm_gem_shrinker_test_scan_end,
};

static void drm_gem_shrinker_test_free(struct drm_gem_object *gem)
{
	struct drm_gem_shrinker_test_obj *obj = to_shrinker_test_obj(gem);
	struct drm_gem_shrinker_test *priv = obj->priv;

	/* The refcount is zero: no reservation lock. */
	drm_gem_shrinker_update_state(gem, DRM_GEM_RECLAIM_UNBACKED);
	drm_gem_object_release(gem);
	kfree(obj);
	atomic_inc(&priv->nr_freed);
}

static const struct drm_gem_object_funcs drm_gem_shrinker_test_obj_funcs = {
	.free = drm_gem_shrinker_test_free,
};

/* Report the state of @obj, as its owner does under the reservation lock */
static void drm_gem_shrinker_test_set_state(struct drm_gem_shrinker_test_obj *obj,
					    enum drm_gem_reclaim_state state)
{
	dma_resv_lock(obj->base.resv, NULL);
	drm_gem_shrinker_update_state(&obj->base, state);
	dma_resv_unlock(obj->base.resv);
}

/* Create an object of @npages pages in @state, put at the end of the test */
static struct drm_gem_shrinker_test_obj *
drm_gem_shrinker_test_obj_create(struct kunit *test, unsigned int npages,
				 enum drm_gem_reclaim_state state)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_test_obj *obj;
	int ret;

	obj = kzalloc(sizeof(*obj), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, obj);
	obj->priv = priv;
	obj->base.funcs = &drm_gem_shrinker_test_obj_funcs;
	drm_gem_private_object_init(priv->drm, &obj->base,
				    (size_t)npages << PAGE_SHIFT);

	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper,
					&obj->base);
	KUNIT_ASSERT_EQ(test, ret, 0);

	drm_gem_shrinker_test_set_state(obj, state);

	return obj;
}

/* The callbacks drop the reference of the test to @obj */
static void drm_gem_shrinker_test_put_in_callback(struct kunit *test,
						  struct drm_gem_shrinker_test_obj *obj)
{
	kunit_remove_action(test, drm_gem_object_put_wrapper, &obj->base);
	obj->put_in_callback = true;
}

/* The LRU @obj is on, read under the LRU lock */
static struct drm_gem_lru *
drm_gem_shrinker_test_lru_of(struct drm_gem_shrinker_test_obj *obj)
{
	struct drm_device *dev = obj->base.dev;
	struct drm_gem_lru *lru;

	mutex_lock(&dev->gem_lru_mutex);
	lru = obj->base.lru;
	mutex_unlock(&dev->gem_lru_mutex);

	return lru;
}

static const char *drm_gem_shrinker_test_fence_name(struct dma_fence *fence)
{
	return "drm_gem_shrinker_test";
}

static bool drm_gem_shrinker_test_fence_enable_signaling(struct dma_fence *f)
{
	struct drm_gem_shrinker_test_fence *fence =
		container_of(f, struct drm_gem_shrinker_test_fence, base);

	if (fence->signal_after)
		mod_timer(&fence->timer, jiffies + fence->signal_after);

	return true;
}

static const struct dma_fence_ops drm_gem_shrinker_test_fence_ops = {
	.get_driver_name = drm_gem_shrinker_test_fence_name,
	.get_timeline_name = drm_gem_shrinker_test_fence_name,
	.enable_signaling = drm_gem_shrinker_test_fence_enable_signaling,
};

static void drm_gem_shrinker_test_fence_timeout(struct timer_list *timer)
{
	struct drm_gem_shrinker_test_fence *fence =
		from_timer(fence, timer, timer);

	dma_fence_signal(&fence->base);
}

static void drm_gem_shrinker_test_fence_fini(void *data)
{
	struct drm_gem_shrinker_test_fence *fence = data;

	timer_shutdown_sync(&fence->timer);
	dma_fence_signal(&fence->base);
	dma_fence_put(&fence->base);
}

/*
 * Make @obj busy with an unsignalled fence of usage BOOKKEEP. The fence
 * signals @signal_after jiffies after someone first waits for it, or at the
 * end of the test if @signal_after is zero.
 */
static void drm_gem_shrinker_test_make_busy(struct kunit *test,
					    struct drm_gem_shrinker_test_obj *obj,
					    unsigned long signal_after)
{
	struct drm_gem_shrinker_test_fence *fence;
	int ret;

	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fence);
	spin_lock_init(&fence->lock);
	timer_setup(&fence->timer, drm_gem_shrinker_test_fence_timeout, 0);
	fence->signal_after = signal_after;
	dma_fence_init(&fence->base, &drm_gem_shrinker_test_fence_ops,
		       &fence->lock, dma_fence_context_alloc(1), 1);

	ret = kunit_add_action_or_reset(test, drm_gem_shrinker_test_fence_fini,
					fence);
	KUNIT_ASSERT_EQ(test, ret, 0);

	dma_resv_lock(obj->base.resv, NULL);
	ret = dma_resv_reserve_fences(obj->base.resv, 1);
	if (!ret)
		dma_resv_add_fence(obj->base.resv, &fence->base,
				   DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_unlock(obj->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

/* Skip tests that need eviction if the drm.gem_shrinker_evict is off */
static void drm_gem_shrinker_test_require_evict(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;

	if (!drm_gem_shrinker_can_evict(priv->gs, GFP_KERNEL))
		kunit_skip(test, "eviction is disabled (drm.gem_shrinker_evict)");
}

/*
 * Run a scan as reclaim with @gfp would, with an empty call log, and check
 * the figures every scan must get right: the pages freed are the sum of
 * the pages freed per stage, by stages that ran, are no more than the
 * pages looked at, and are what the scan returns if any.
 */
static unsigned long
drm_gem_shrinker_test_shrink(struct kunit *test, unsigned long nr_to_scan,
			     gfp_t gfp, struct drm_gem_shrinker_scan_stats *stats)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	unsigned long ret, sum = 0;
	unsigned int i;

	spin_lock(&priv->lock);
	priv->nr_calls = 0;
	priv->busy_calls = 0;
	spin_unlock(&priv->lock);

	ret = drm_gem_shrinker_shrink(priv->gs, nr_to_scan, gfp, stats);

	KUNIT_EXPECT_EQ(test, stats->ret, ret);
	KUNIT_EXPECT_EQ(test, stats->nr_to_scan, nr_to_scan);
	for (i = 0; i < DRM_GEM_SHRINKER_NR_STAGES; i++) {
		sum += stats->stage_freed[i];
		if (stats->stage_freed[i])
			KUNIT_EXPECT_TRUE_MSG(test, stats->stages_run & BIT(i),
					      "stage %u freed pages but did not run", i);
	}
	KUNIT_EXPECT_EQ(test, stats->freed, sum);
	KUNIT_EXPECT_LE(test, stats->freed, stats->nr_scanned);
	if (stats->freed)
		KUNIT_EXPECT_EQ(test, ret, stats->freed);

	return ret;
}

/* Check that the last scan made exactly the calls @calls, in order */
static void drm_gem_shrinker_test_expect_calls(struct kunit *test,
					       const struct drm_gem_shrinker_test_call *calls,
					       unsigned int nr)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_test_call log[SHRINKER_TEST_MAX_CALLS];
	unsigned int nr_calls, i;

	spin_lock(&priv->lock);
	nr_calls = priv->nr_calls;
	memcpy(log, priv->calls, sizeof(log));
	spin_unlock(&priv->lock);

	KUNIT_EXPECT_EQ_MSG(test, nr_calls, nr, "callback calls");
	for (i = 0; i < min3(nr, nr_calls, SHRINKER_TEST_MAX_CALLS); i++) {
		KUNIT_EXPECT_PTR_EQ_MSG(test, log[i].obj, calls[i].obj,
					"object of call %u", i);
		KUNIT_EXPECT_EQ_MSG(test, log[i].evict, calls[i].evict,
				    "call %u is an eviction", i);
	}
}

/* A call of the purge, or of the evict, callback for object o */
#define PURGE(o)	{ .obj = &(o)->base, .evict = false }
#define EVICT(o)	{ .obj = &(o)->base, .evict = true }
#define CALLS(...)	((const struct drm_gem_shrinker_test_call []){ __VA_ARGS__ })

/* expect_calls(test, PURGE(obj), EVICT(obj), ...) */
#define expect_calls(test, ...)						\
	drm_gem_shrinker_test_expect_calls(test, CALLS(__VA_ARGS__),	\
					   ARRAY_SIZE(CALLS(__VA_ARGS__)))

#define expect_no_calls(test)						\
	drm_gem_shrinker_test_expect_calls(test, NULL, 0)

/*
 * Test the count of reclaimable pages. The test case succeeds if it is
 * SHRINK_EMPTY while only pinned, evicted, unbacked and purged objects
 * exist, always includes the pages of DONTNEED objects, and includes those
 * of WILLNEED objects only when eviction is possible: free swap (set by the
 * test, or as get_nr_swap_pages() says) and __GFP_FS in the gfp mask, and
 * no more of them than there are free swap pages.
 */
static void drm_test_gem_shrinker_count(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker *gs = priv->gs;
	unsigned long willneed_auto;

	drm_gem_shrinker_test_require_evict(test);

	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), SHRINK_EMPTY);

	drm_gem_shrinker_test_obj_create(test, 1, DRM_GEM_RECLAIM_PINNED);
	drm_gem_shrinker_test_obj_create(test, 2, DRM_GEM_RECLAIM_EVICTED);
	drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_UNBACKED);
	drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_PURGED);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), SHRINK_EMPTY);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_NOFS), SHRINK_EMPTY);

	drm_gem_shrinker_test_obj_create(test, 16, DRM_GEM_RECLAIM_WILLNEED);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), 16);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_NOFS), SHRINK_EMPTY);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_NOWAIT), SHRINK_EMPTY);

	drm_gem_shrinker_test_obj_create(test, 32, DRM_GEM_RECLAIM_DONTNEED);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), 16 + 32);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_NOBLOCK), 16 + 32);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_NOFS), 32);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_NOWAIT), 32);

	drm_gem_shrinker_set_swap_pages(gs, 0);
	KUNIT_EXPECT_FALSE(test, drm_gem_shrinker_can_evict(gs, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), 32);

	/* Never more WILLNEED pages than could go to swap */
	drm_gem_shrinker_set_swap_pages(gs, 10);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), 32 + 10);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_NOFS), 32);

	drm_gem_shrinker_set_swap_pages(gs, DRM_GEM_SHRINKER_SWAP_AUTO);
	willneed_auto = clamp(get_nr_swap_pages(), 0L, 16L);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL),
			32 + willneed_auto);
}

/*
 * Test the order of the stages with idle objects of both kinds, created
 * interleaved. The test case succeeds if a scan for everything purges all
 * DONTNEED objects, least recently used first, before it evicts any
 * WILLNEED object, and reports the pages per stage.
 */
static void drm_test_gem_shrinker_stage_order(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_test_obj *w1, *d1, *w2, *d2;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	w1 = drm_gem_shrinker_test_obj_create(test, 1, DRM_GEM_RECLAIM_WILLNEED);
	d1 = drm_gem_shrinker_test_obj_create(test, 2, DRM_GEM_RECLAIM_DONTNEED);
	w2 = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);
	d2 = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_DONTNEED);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 15);
	expect_calls(test, PURGE(d1), PURGE(d2), EVICT(w1), EVICT(w2));
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_PURGE_IDLE], 10);
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_EVICT_IDLE], 5);
	KUNIT_EXPECT_NULL(test, drm_gem_shrinker_test_lru_of(d1));
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(w1),
			    &priv->gs->evicted);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&priv->gs->purged_pages), 10);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&priv->gs->evicted_pages), 5);
}

/*
 * Test a scan for fewer pages than the DONTNEED objects hold. The test case
 * succeeds if it purges DONTNEED objects until it has enough and evicts
 * nothing, and only a later scan, with nothing left to purge, evicts.
 */
static void drm_test_gem_shrinker_purge_first(struct kunit *test)
{
	struct drm_gem_shrinker_test_obj *d1, *d2, *d3, *w;
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	w = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);
	d1 = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	d2 = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	d3 = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);

	ret = drm_gem_shrinker_test_shrink(test, 6, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, ret, 8);
	expect_calls(test, PURGE(d1), PURGE(d2));
	KUNIT_EXPECT_EQ(test, stats.stages_run, BIT(DRM_GEM_SHRINKER_PURGE_IDLE));
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(w),
			    &priv->gs->willneed);

	ret = drm_gem_shrinker_test_shrink(test, 6, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, ret, 8);
	expect_calls(test, PURGE(d3), EVICT(w));
}

/*
 * Test when WILLNEED objects are evicted. The test case succeeds if a scan
 * evicts none without free swap or without __GFP_FS, even with
 * nothing else to reclaim, and evicts them with swap and GFP_KERNEL.
 */
static void drm_test_gem_shrinker_evict_policy(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shrinker_test_obj *w;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	w = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);

	drm_gem_shrinker_set_swap_pages(priv->gs, 0);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	expect_no_calls(test);

	drm_gem_shrinker_set_swap_pages(priv->gs, LONG_MAX);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_NOFS,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	expect_no_calls(test);
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(w),
			    &priv->gs->willneed);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 4);
	expect_calls(test, EVICT(w));
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_EVICT_IDLE], 4);
}

static void drm_gem_shrinker_test_open_gate(void *data)
{
	WRITE_ONCE(drm_gem_shrinker_test_gate_closed, false);
}

/*
 * Test the driver's eviction gate (&drm_gem_shrinker_funcs.can_evict), with
 * a WILLNEED and a DONTNEED object. The test case succeeds if, while the
 * gate is closed, eviction is impossible, the count leaves out the WILLNEED
 * pages and a scan for everything purges but does not evict, and once the
 * gate opens again the next scan evicts.
 */
static void drm_test_gem_shrinker_evict_gate(struct kunit *test)
{
	struct drm_gem_shrinker *gs = ((struct drm_gem_shrinker_test *)test->priv)->gs;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shrinker_test_obj *w, *d;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	w = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);
	d = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_DONTNEED);

	ret = kunit_add_action_or_reset(test, drm_gem_shrinker_test_open_gate,
					NULL);
	KUNIT_ASSERT_EQ(test, ret, 0);
	WRITE_ONCE(drm_gem_shrinker_test_gate_closed, true);
	KUNIT_EXPECT_FALSE(test, drm_gem_shrinker_can_evict(gs, GFP_KERNEL));
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), 8);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 8);
	expect_calls(test, PURGE(d));
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(w), &gs->willneed);

	WRITE_ONCE(drm_gem_shrinker_test_gate_closed, false);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 4);
	expect_calls(test, EVICT(w));
}

/*
 * Test eviction when swap is short: 10 free swap pages and three idle
 * WILLNEED objects of 4 pages. The test case succeeds if a scan for
 * everything evicts the first two objects and stops there, since the
 * third would not fit, and a later scan with more free swap evicts it.
 */
static void drm_test_gem_shrinker_evict_swap_limit(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_test_obj *w1, *w2, *w3;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	w1 = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);
	w2 = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);
	w3 = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);

	drm_gem_shrinker_set_swap_pages(priv->gs, 10);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 4 + 4);
	expect_calls(test, EVICT(w1), EVICT(w2));
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(w3),
			    &priv->gs->willneed);

	/* What the test says is free does not shrink by itself. */
	drm_gem_shrinker_set_swap_pages(priv->gs, 4);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 4);
	expect_calls(test, EVICT(w3));
}

/*
 * Test busy objects when the caller may not block. The wait budget is one
 * second, so that any wait shows. The test case succeeds if the scan
 * returns at once without waiting or calling the callbacks, leaves the
 * objects on their LRUs, counts their pages as remaining (WILLNEED ones only
 * when it may evict) and returns 0, not SHRINK_STOP.
 */
static void drm_test_gem_shrinker_busy_nonblocking(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shrinker_test_obj *d, *w;
	unsigned long ret, start, elapsed;

	drm_gem_shrinker_test_require_evict(test);

	drm_gem_shrinker_set_wait_jiffies(priv->gs, HZ);
	d = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	drm_gem_shrinker_test_make_busy(test, d, 0);
	w = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_WILLNEED);
	drm_gem_shrinker_test_make_busy(test, w, 0);

	start = jiffies;
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_NOBLOCK,
					   &stats);
	elapsed = jiffies - start;
	KUNIT_EXPECT_LT(test, elapsed, HZ / 2);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, stats.remaining, 4 + 8);
	KUNIT_EXPECT_EQ(test, stats.waited, 0);
	KUNIT_EXPECT_EQ(test, stats.nr_scanned, 4 + 8);
	expect_no_calls(test);
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(d),
			    &priv->gs->dontneed);
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(w),
			    &priv->gs->willneed);

	/* Without __GFP_FS, the WILLNEED object is not even looked at. */
	start = jiffies;
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_NOWAIT,
					   &stats);
	elapsed = jiffies - start;
	KUNIT_EXPECT_LT(test, elapsed, HZ / 2);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, stats.remaining, 4);
	KUNIT_EXPECT_EQ(test, stats.waited, 0);
	expect_no_calls(test);
}

/*
 * Test the wait budget of a busy stage, with several busy objects whose
 * fences never signal during the scan. The test case succeeds if a scan
 * that may block waits (so it can reclaim objects that become idle), but
 * no longer than the budget of the stage plus some slack in total, not per
 * object, and then returns 0 with the objects still on their LRU.
 */
static void drm_test_gem_shrinker_busy_wait_bounded(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shrinker_test_obj *obj;
	const unsigned long budget = 20;
	unsigned long ret, start, elapsed;
	unsigned int i;

	drm_gem_shrinker_set_wait_jiffies(priv->gs, budget);
	for (i = 0; i < 8; i++) {
		obj = drm_gem_shrinker_test_obj_create(test, 1,
						       DRM_GEM_RECLAIM_DONTNEED);
		drm_gem_shrinker_test_make_busy(test, obj, 0);
	}

	start = jiffies;
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	elapsed = jiffies - start;
	/* Twice the budget as slack: a budget per object takes 8 times it. */
	KUNIT_EXPECT_LE_MSG(test, elapsed, 3 * budget,
			    "the busy stage waited longer than its budget");
	KUNIT_EXPECT_GE(test, stats.waited, 1);
	KUNIT_EXPECT_TRUE(test, stats.stages_run & BIT(DRM_GEM_SHRINKER_PURGE_BUSY));
	KUNIT_EXPECT_EQ(test, ret, 0);
	expect_no_calls(test);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(priv->gs, GFP_KERNEL), 8);
}

/*
 * Test busy objects whose fences signal a few jiffies after the scan began
 * to wait for them, with a budget of one second. The test case succeeds if
 * a scan that may block purges the DONTNEED object in the busy purge stage
 * and evicts the WILLNEED object in the busy evict stage, only once they
 * are idle, without using up the budget.
 */
static void drm_test_gem_shrinker_busy_signalled(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shrinker_test_obj *d, *w;
	unsigned long ret, start, elapsed;

	drm_gem_shrinker_test_require_evict(test);

	drm_gem_shrinker_set_wait_jiffies(priv->gs, HZ);
	d = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	drm_gem_shrinker_test_make_busy(test, d, 2);
	w = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_WILLNEED);
	drm_gem_shrinker_test_make_busy(test, w, 2);

	start = jiffies;
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	elapsed = jiffies - start;
	KUNIT_EXPECT_EQ(test, ret, 4 + 8);
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_PURGE_IDLE], 0);
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_EVICT_IDLE], 0);
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_PURGE_BUSY], 4);
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_EVICT_BUSY], 8);
	KUNIT_EXPECT_EQ(test, stats.waited, 2);
	expect_calls(test, PURGE(d), EVICT(w));
	KUNIT_EXPECT_EQ(test, priv->busy_calls, 0);
	KUNIT_EXPECT_LT(test, elapsed, HZ / 2);
}

/*
 * Test the wait policy: by default the shrinker waits only in kswapd. With a
 * busy DONTNEED object whose fence signals two jiffies after the first wait
 * and a budget of one second, the test case succeeds if a new shrinker has
 * wait_kswapd_only set, a blocking direct reclaim then neither waits nor
 * runs a busy stage and returns 0, and once the driver allows it the next
 * one waits and purges the object.
 */
static void drm_test_gem_shrinker_wait_kswapd_only(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker *gs = priv->gs;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shrinker_test_obj *d;
	unsigned long ret;

	drm_gem_shrinker_set_wait_jiffies(gs, HZ);
	d = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	drm_gem_shrinker_test_make_busy(test, d, 2);

	/* The suite's init cleared it, as a driver may. */
	KUNIT_EXPECT_TRUE(test, priv->default_wait_kswapd_only);
	WRITE_ONCE(gs->wait_kswapd_only, true);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, stats.waited, 0);
	KUNIT_EXPECT_FALSE(test, stats.stages_run & BIT(DRM_GEM_SHRINKER_PURGE_BUSY));
	KUNIT_EXPECT_EQ(test, stats.remaining, 4);
	expect_no_calls(test);

	WRITE_ONCE(gs->wait_kswapd_only, false);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 4);
	KUNIT_EXPECT_EQ(test, stats.waited, 1);
	expect_calls(test, PURGE(d));
}

/*
 * Test the second chance of an object the GPU is using right now: it is
 * busy and was used since the last scan, while cold idle objects exist.
 * Its fence signals two jiffies after the scan first waits for it, within
 * the budget of one second. The test case succeeds if a scan for
 * everything evicts the cold objects and leaves the hot one on the
 * WILLNEED LRU, its second chance spent by the busy stage and not by the
 * idle stage before it, and only the next scan waits for it and evicts it.
 */
static void drm_test_gem_shrinker_busy_second_chance(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_test_obj *cold1, *cold2, *hot;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	drm_gem_shrinker_set_wait_jiffies(priv->gs, HZ);
	cold1 = drm_gem_shrinker_test_obj_create(test, 1, DRM_GEM_RECLAIM_WILLNEED);
	hot = drm_gem_shrinker_test_obj_create(test, 2, DRM_GEM_RECLAIM_WILLNEED);
	cold2 = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);
	drm_gem_shrinker_test_make_busy(test, hot, 2);
	/* A use: the object stays WILLNEED and is marked as referenced. */
	drm_gem_shrinker_test_set_state(hot, DRM_GEM_RECLAIM_WILLNEED);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 1 + 4);
	expect_calls(test, EVICT(cold1), EVICT(cold2));
	KUNIT_EXPECT_EQ(test, stats.waited, 0);
	KUNIT_EXPECT_TRUE(test, stats.stages_run & BIT(DRM_GEM_SHRINKER_EVICT_BUSY));
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(hot),
			    &priv->gs->willneed);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 2);
	expect_calls(test, EVICT(hot));
	KUNIT_EXPECT_EQ(test, stats.waited, 1);
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_EVICT_BUSY], 2);
}

/*
 * Test a driver that declines objects with -EBUSY. The test case succeeds
 * if the declined objects stay on their LRUs and reclaimable, a scan that
 * may not block counts each once in stats.declined and its pages in
 * stats.remaining, a scan with nothing else to free returns 0 rather than
 * SHRINK_STOP, whether it may block or not, and a scan that can free
 * another object returns its pages.
 */
static void drm_test_gem_shrinker_declined(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_test_obj *d, *w, *other;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	d = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	d->ret = -EBUSY;
	w = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_WILLNEED);
	w->ret = -EBUSY;

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_NOBLOCK,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, stats.declined, 2);
	KUNIT_EXPECT_EQ(test, stats.remaining, 4 + 8);
	KUNIT_EXPECT_EQ(test, stats.freed, 0);
	expect_calls(test, PURGE(d), EVICT(w));

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_GE(test, stats.declined, 2);
	KUNIT_EXPECT_GE(test, stats.remaining, 4 + 8);

	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(d),
			    &priv->gs->dontneed);
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(w),
			    &priv->gs->willneed);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(priv->gs, GFP_KERNEL), 4 + 8);

	other = drm_gem_shrinker_test_obj_create(test, 2, DRM_GEM_RECLAIM_DONTNEED);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_NOBLOCK,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 2);
	KUNIT_EXPECT_EQ(test, stats.declined, 2);
	KUNIT_EXPECT_NULL(test, drm_gem_shrinker_test_lru_of(other));
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(priv->gs, GFP_KERNEL), 4 + 8);
}

/*
 * Test the end-of-scan callback, with which a driver notifies its device once
 * of the commands its callbacks queued. The test case succeeds if a scan that
 * calls no callback (nothing to reclaim, or only objects that get a second
 * chance) does not call it, and a scan that purges one object and evicts
 * another calls it exactly once, after both, with the time spent in the
 * callbacks reported and within the time of the scan.
 */
static void drm_test_gem_shrinker_scan_end(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_test_obj *d, *w;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, priv->scan_end_calls, 0);
	KUNIT_EXPECT_EQ(test, stats.hook_ns, 0);

	/* Used since the last scan: second chance, no callback */
	w = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_WILLNEED);
	drm_gem_shrinker_test_set_state(w, DRM_GEM_RECLAIM_WILLNEED);
	KUNIT_ASSERT_TRUE(test, READ_ONCE(w->base.lru_referenced));
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_NOBLOCK,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, priv->nr_calls, 0);
	KUNIT_EXPECT_EQ(test, priv->scan_end_calls, 0);

	d = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 4 + 8);
	expect_calls(test, PURGE(d), EVICT(w));
	KUNIT_EXPECT_EQ(test, priv->scan_end_calls, 1);
	KUNIT_EXPECT_EQ(test, priv->nr_calls_at_scan_end, 2);
	KUNIT_EXPECT_GT(test, stats.hook_ns, 0);
	KUNIT_EXPECT_LE(test, stats.hook_ns, stats.time_ns);
}

/*
 * Test the value a scan returns and its figures. The test case succeeds if
 * a scan returns SHRINK_STOP and looks at nothing when only pinned and
 * evicted objects exist, returns the pages it freed even when that is less
 * than asked for and nothing remains, returns SHRINK_STOP again once
 * everything is reclaimed, and counts in stats.nr_scanned the pages of the
 * objects it looked at, not those it did not reach.
 */
static void drm_test_gem_shrinker_return_values(struct kunit *test)
{
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, stats.nr_scanned, 0);

	drm_gem_shrinker_test_obj_create(test, 1, DRM_GEM_RECLAIM_PINNED);
	drm_gem_shrinker_test_obj_create(test, 2, DRM_GEM_RECLAIM_EVICTED);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, stats.nr_scanned, 0);
	KUNIT_EXPECT_EQ(test, stats.freed, 0);
	expect_no_calls(test);

	drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_WILLNEED);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 4 + 8);
	KUNIT_EXPECT_EQ(test, stats.nr_scanned, 4 + 8);
	KUNIT_EXPECT_EQ(test, stats.remaining, 0);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, stats.nr_scanned, 0);

	/* Stops after the first object: the second one is not looked at. */
	drm_gem_shrinker_test_obj_create(test, 16, DRM_GEM_RECLAIM_DONTNEED);
	drm_gem_shrinker_test_obj_create(test, 32, DRM_GEM_RECLAIM_DONTNEED);
	ret = drm_gem_shrinker_test_shrink(test, 1, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, ret, 16);
	KUNIT_EXPECT_EQ(test, stats.nr_scanned, 16);
}

/*
 * Test a blocking scan, which runs idle and busy stages over the same
 * LRUs, with an object the driver declines and a busy object. The test
 * case succeeds if each is counted once: stats.declined counts objects and
 * stats.remaining their pages.
 */
static void drm_test_gem_shrinker_stats_count_once(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shrinker_test_obj *d, *b;
	unsigned long ret;

	drm_gem_shrinker_set_wait_jiffies(priv->gs, 2);
	d = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	d->ret = -EBUSY;
	b = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_DONTNEED);
	drm_gem_shrinker_test_make_busy(test, b, 0);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, stats.declined, 1);
	KUNIT_EXPECT_EQ(test, stats.remaining, 4 + 8);
}

/*
 * Test swap-in accounting. The test case succeeds if no change of state
 * adds to gs->swapin_pages, not even an evicted object going back to
 * WILLNEED or to DONTNEED (madvise of an evicted object), and
 * drm_gem_shrinker_account_swapin() adds the pages of its object.
 */
static void drm_test_gem_shrinker_update_state_swapin(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker *gs = priv->gs;
	struct drm_gem_shrinker_test_obj *obj;

	obj = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_WILLNEED);

	drm_gem_shrinker_test_set_state(obj, DRM_GEM_RECLAIM_EVICTED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(gs->evicted.count), 4);
	drm_gem_shrinker_test_set_state(obj, DRM_GEM_RECLAIM_DONTNEED);
	drm_gem_shrinker_test_set_state(obj, DRM_GEM_RECLAIM_EVICTED);
	drm_gem_shrinker_test_set_state(obj, DRM_GEM_RECLAIM_WILLNEED);
	KUNIT_EXPECT_EQ(test, READ_ONCE(gs->evicted.count), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(gs->willneed.count), 4);
	drm_gem_shrinker_test_set_state(obj, DRM_GEM_RECLAIM_EVICTED);
	drm_gem_shrinker_test_set_state(obj, DRM_GEM_RECLAIM_PURGED);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gs->swapin_pages), 0);

	drm_gem_shrinker_account_swapin(&obj->base);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gs->swapin_pages), 4);
}

/*
 * Test states without pages. The test case succeeds if an object that
 * becomes UNBACKED or PURGED, from any state with pages, is on no LRU and
 * no LRU counts its pages.
 */
static void drm_test_gem_shrinker_update_state_no_pages(struct kunit *test)
{
	static const enum drm_gem_reclaim_state backed[] = {
		DRM_GEM_RECLAIM_PINNED, DRM_GEM_RECLAIM_WILLNEED,
		DRM_GEM_RECLAIM_DONTNEED, DRM_GEM_RECLAIM_EVICTED,
	};
	static const enum drm_gem_reclaim_state unbacked[] = {
		DRM_GEM_RECLAIM_UNBACKED, DRM_GEM_RECLAIM_PURGED,
	};
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker *gs = priv->gs;
	struct drm_gem_lru *lrus[] = {
		&gs->pinned, &gs->willneed, &gs->dontneed, &gs->evicted,
	};
	struct drm_gem_shrinker_test_obj *obj;
	unsigned int i, j, k;

	obj = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_UNBACKED);
	KUNIT_EXPECT_NULL(test, drm_gem_shrinker_test_lru_of(obj));

	for (i = 0; i < ARRAY_SIZE(backed); i++) {
		for (j = 0; j < ARRAY_SIZE(unbacked); j++) {
			drm_gem_shrinker_test_set_state(obj, backed[i]);
			KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(obj),
					    lrus[i]);
			KUNIT_EXPECT_EQ(test, READ_ONCE(lrus[i]->count), 4);

			drm_gem_shrinker_test_set_state(obj, unbacked[j]);
			KUNIT_EXPECT_NULL_MSG(test, drm_gem_shrinker_test_lru_of(obj),
					      "from state %d to %d", backed[i],
					      unbacked[j]);
			for (k = 0; k < ARRAY_SIZE(lrus); k++)
				KUNIT_EXPECT_EQ(test, READ_ONCE(lrus[k]->count), 0);
		}
	}
}

/*
 * Test the LRU order. A report with a change of state moves the object to
 * the tail of its new LRU at once; a report without one (a use) marks the
 * object referenced, and the scan gives it a second chance: it moves it to
 * the tail instead of reclaiming it. The test case succeeds if a scan evicts
 * the unused WILLNEED objects in LRU order, the object that changed state
 * last, and not the used one, which the next scan evicts.
 */
static void drm_test_gem_shrinker_update_state_lru_order(struct kunit *test)
{
	struct drm_gem_shrinker_test_obj *w1, *w2, *w3, *d;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	w1 = drm_gem_shrinker_test_obj_create(test, 1, DRM_GEM_RECLAIM_WILLNEED);
	d = drm_gem_shrinker_test_obj_create(test, 1, DRM_GEM_RECLAIM_DONTNEED);
	w2 = drm_gem_shrinker_test_obj_create(test, 1, DRM_GEM_RECLAIM_WILLNEED);
	w3 = drm_gem_shrinker_test_obj_create(test, 1, DRM_GEM_RECLAIM_WILLNEED);

	/* A use of w1, then d becomes WILLNEED */
	drm_gem_shrinker_test_set_state(w1, DRM_GEM_RECLAIM_WILLNEED);
	drm_gem_shrinker_test_set_state(d, DRM_GEM_RECLAIM_WILLNEED);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 3);
	expect_calls(test, EVICT(w2), EVICT(w3), EVICT(d));
	KUNIT_EXPECT_EQ(test, stats.remaining, 1);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 1);
	expect_calls(test, EVICT(w1));
}

/*
 * Test objects whose last reference the scan drops, inside the reclaim
 * section of drm_gem_shrinker_shrink(): the callbacks drop the reference of
 * the test, for an object they purge and for one they decline, which the
 * scan still holds aside. The test case succeeds if both objects are freed,
 * only the purged one counts as freed pages, no LRU keeps either, and
 * lockdep stays quiet.
 */
static void drm_test_gem_shrinker_free_in_scan(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_test_obj *purged, *declined;
	struct drm_gem_shrinker_scan_stats stats;
	bool lockdep_on = debug_locks;
	unsigned long ret;

	purged = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	drm_gem_shrinker_test_put_in_callback(test, purged);
	declined = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_DONTNEED);
	declined->ret = -EBUSY;
	drm_gem_shrinker_test_put_in_callback(test, declined);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&priv->nr_freed), 2);
	KUNIT_EXPECT_EQ(test, READ_ONCE(priv->gs->dontneed.count), 0);
	KUNIT_EXPECT_TRUE(test, list_empty(&priv->gs->dontneed.list));
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(priv->gs, GFP_KERNEL),
			SHRINK_EMPTY);

	if (IS_ENABLED(CONFIG_PROVE_LOCKING) && lockdep_on)
		KUNIT_EXPECT_TRUE_MSG(test, debug_locks,
				      "lockdep reported a problem while freeing in reclaim");
}

/*
 * Test state reports by a caller that holds the LRU lock, as a submit path
 * that moves many objects at once does. The test case succeeds if the
 * object moves to the tail of the LRU of its new state, or off all LRUs,
 * and, as with drm_gem_shrinker_update_state(), a move from EVICTED back to
 * WILLNEED alone does not count as a swap-in.
 */
static void drm_test_gem_shrinker_update_state_locked(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker *gs = priv->gs;
	struct drm_gem_shrinker_test_obj *a, *b;
	struct drm_device *dev = priv->drm;

	a = drm_gem_shrinker_test_obj_create(test, 2, DRM_GEM_RECLAIM_WILLNEED);
	b = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_EVICTED);

	mutex_lock(&dev->gem_lru_mutex);
	drm_gem_shrinker_update_state_locked(&a->base, DRM_GEM_RECLAIM_PINNED);
	drm_gem_shrinker_update_state_locked(&b->base, DRM_GEM_RECLAIM_WILLNEED);
	mutex_unlock(&dev->gem_lru_mutex);
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(a), &gs->pinned);
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(b), &gs->willneed);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gs->swapin_pages), 0);
	KUNIT_EXPECT_EQ(test, READ_ONCE(gs->willneed.count), 4);

	mutex_lock(&dev->gem_lru_mutex);
	drm_gem_shrinker_update_state_locked(&a->base, DRM_GEM_RECLAIM_PURGED);
	mutex_unlock(&dev->gem_lru_mutex);
	KUNIT_EXPECT_NULL(test, drm_gem_shrinker_test_lru_of(a));
	KUNIT_EXPECT_EQ(test, READ_ONCE(gs->pinned.count), 0);
}

/*
 * Test an early unregister, as a driver's remove does while userspace still
 * holds objects. The test case succeeds if afterwards the count is
 * SHRINK_EMPTY and a scan returns SHRINK_STOP without calling the driver,
 * the objects keep their LRUs and may still change state, and a second
 * unregister (and the one of the device release) does nothing.
 */
static void drm_test_gem_shrinker_unregister(struct kunit *test)
{
	struct drm_gem_shrinker *gs = ((struct drm_gem_shrinker_test *)test->priv)->gs;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shrinker_test_obj *d, *w;
	unsigned long ret;

	drm_gem_shrinker_test_require_evict(test);

	d = drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	w = drm_gem_shrinker_test_obj_create(test, 8, DRM_GEM_RECLAIM_WILLNEED);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), 4 + 8);

	drm_gem_shrinker_unregister(gs);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(gs->shrinker));
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), SHRINK_EMPTY);
	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, stats.nr_scanned, 0);
	expect_no_calls(test);

	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(d), &gs->dontneed);
	drm_gem_shrinker_test_set_state(w, DRM_GEM_RECLAIM_EVICTED);
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shrinker_test_lru_of(w), &gs->evicted);

	drm_gem_shrinker_unregister(gs);
	drm_gem_shrinker_unregister(NULL);
}

/*
 * Test a scan of an unplugged device (a hot-unplugged virtio-gpu), whose
 * shrinker is still registered. The test case succeeds if the scan returns
 * SHRINK_STOP without calling the driver.
 */
static void drm_test_gem_shrinker_unplugged(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long ret;

	drm_gem_shrinker_test_obj_create(test, 4, DRM_GEM_RECLAIM_DONTNEED);
	drm_dev_unplug(priv->drm);

	ret = drm_gem_shrinker_test_shrink(test, SHRINKER_TEST_ALL, GFP_KERNEL,
					   &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, stats.nr_scanned, 0);
	expect_no_calls(test);
}

static int drm_gem_shrinker_test_init(struct kunit *test)
{
	struct drm_gem_shrinker_test *priv;
	struct device *dev;

	priv = kunit_kzalloc(test, sizeof(*priv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, priv);
	spin_lock_init(&priv->lock);

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	priv->drm = __drm_kunit_helper_alloc_drm_device(test, dev,
							sizeof(*priv->drm), 0,
							DRIVER_GEM);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, priv->drm);

	priv->gs = drmm_gem_shrinker_init(priv->drm, &drm_gem_shrinker_test_funcs);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, priv->gs);
	/* The KUnit machine has no swap. */
	drm_gem_shrinker_set_swap_pages(priv->gs, LONG_MAX);
	/* The busy stages run in the test thread, a direct reclaim. */
	priv->default_wait_kswapd_only = priv->gs->wait_kswapd_only;
	priv->gs->wait_kswapd_only = false;

	test->priv = priv;

	return 0;
}

static struct kunit_case drm_gem_shrinker_test_cases[] = {
	KUNIT_CASE(drm_test_gem_shrinker_count),
	KUNIT_CASE(drm_test_gem_shrinker_stage_order),
	KUNIT_CASE(drm_test_gem_shrinker_purge_first),
	KUNIT_CASE(drm_test_gem_shrinker_evict_policy),
	KUNIT_CASE(drm_test_gem_shrinker_evict_swap_limit),
	KUNIT_CASE(drm_test_gem_shrinker_evict_gate),
	KUNIT_CASE(drm_test_gem_shrinker_busy_nonblocking),
	KUNIT_CASE(drm_test_gem_shrinker_busy_wait_bounded),
	KUNIT_CASE(drm_test_gem_shrinker_busy_signalled),
	KUNIT_CASE(drm_test_gem_shrinker_busy_second_chance),
	KUNIT_CASE(drm_test_gem_shrinker_wait_kswapd_only),
	KUNIT_CASE(drm_test_gem_shrinker_declined),
	KUNIT_CASE(drm_test_gem_shrinker_scan_end),
	KUNIT_CASE(drm_test_gem_shrinker_return_values),
	KUNIT_CASE(drm_test_gem_shrinker_stats_count_once),
	KUNIT_CASE(drm_test_gem_shrinker_update_state_swapin),
	KUNIT_CASE(drm_test_gem_shrinker_update_state_no_pages),
	KUNIT_CASE(drm_test_gem_shrinker_update_state_lru_order),
	KUNIT_CASE(drm_test_gem_shrinker_free_in_scan),
	KUNIT_CASE(drm_test_gem_shrinker_update_state_locked),
	KUNIT_CASE(drm_test_gem_shrinker_unregister),
	KUNIT_CASE(drm_test_gem_shrinker_unplugged),
	{}
};

static struct kunit_suite drm_gem_shrinker_test_suite = {
	.name = "drm_gem_shrinker",
	.init = drm_gem_shrinker_test_init,
	.test_cases = drm_gem_shrinker_test_cases,
};

kunit_test_suite(drm_gem_shrinker_test_suite);

MODULE_DESCRIPTION("KUnit test suite for the GEM shrinker core");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");
