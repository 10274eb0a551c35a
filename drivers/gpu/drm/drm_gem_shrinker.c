// SPDX-License-Identifier: GPL-2.0
/*
 * GEM memory shrinker core
 */

#include <linux/debugfs.h>
#include <linux/dma-resv.h>
#include <linux/export.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/swap.h>

#include <kunit/visibility.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shrinker.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>

#define CREATE_TRACE_POINTS
#include "drm_gem_shrinker_trace.h"

/**
 * DOC: overview
 *
 * The GEM shrinker core makes the memory of idle GEM objects reclaimable, the
 * way process memory is: it purges objects whose contents userspace marked as
 * not needed, evicts idle objects to swap and lets their owner bring them
 * back on the next use. It knows nothing about how an object is backed: the
 * shmem helpers (drmm_gem_shmem_init_shrinker()) build on it, and so can a
 * driver that manages its pages itself.
 *
 * A device gets one shrinker with drmm_gem_shrinker_init(). Every object of
 * the device is in one &enum drm_gem_reclaim_state. The owner of the object
 * computes that state under the reservation lock and reports each change,
 * and each use of the object, with drm_gem_shrinker_update_state(). A change
 * of state moves the object to the tail of the LRU of its new state. A use
 * that leaves the state as it is only marks the object as referenced,
 * without taking the LRU lock, so that submit paths pay next to nothing per
 * object; the scan gives a referenced object a second chance, moving it to
 * the tail instead of reclaiming it (the CLOCK approximation of LRU that the
 * core memory management uses for pages). The head of each LRU thus holds
 * the objects that were used least recently. Objects without pages (unbacked
 * or purged) are on no LRU; pinned objects are on an LRU that is never
 * scanned, so reclaim never walks objects it could not free.
 *
 * &shrinker.count_objects is lockless: it returns the pages on the DONTNEED
 * LRU, plus those on the WILLNEED LRU when eviction is possible, or
 * %SHRINK_EMPTY. Eviction is possible when it is enabled (the
 * ``drm.gem_shrinker_evict`` module parameter, default from
 * ``CONFIG_DRM_GEM_SHRINKER_EVICT``), swap space is available and the
 * allocation that entered reclaim allows file-system calls (%__GFP_FS).
 *
 * &shrinker.scan_objects works in stages, cheapest first, and stops as soon as
 * it freed what it was asked for:
 *
 * 1. purge idle DONTNEED objects,
 * 2. evict idle WILLNEED objects,
 * 3. only if the caller may block (kswapd; a direct reclaim that may sleep
 *    only if the driver cleared &drm_gem_shrinker.wait_kswapd_only): wait
 *    a bounded time, %DRM_GEM_SHRINKER_WAIT_JIFFIES for the whole stage,
 *    for the fences of busy DONTNEED objects and purge them,
 * 4. the same for busy WILLNEED objects, if eviction is possible.
 *
 * An object is idle when all its fences, including those of
 * %DMA_RESV_USAGE_BOOKKEEP, are signalled. The driver's
 * &drm_gem_shrinker_funcs.purge and &drm_gem_shrinker_funcs.evict callbacks
 * do the work; they may decline an object with -EBUSY, e.g. when its device
 * is runtime-suspended: reclaim never resumes a device. A driver whose
 * callbacks queue commands for its device may batch them:
 * &drm_gem_shrinker_funcs.scan_end runs once after a scan in which they were
 * called, e.g. to notify the device of all of them. When kswapd evicts
 * and ``drm.gem_shrinker_writeback`` is set, the callbacks are asked to write
 * the pages to swap at once, so that they leave memory instead of waiting for
 * the core reclaim to find them in the page cache.
 *
 * The scan returns the number of pages freed whenever it freed some, sets
 * &shrink_control.nr_scanned, and returns %SHRINK_STOP only when nothing it
 * looked at could be freed later: objects that were locked, busy or declined
 * count as remaining and make it return 0 instead.
 *
 * Each device has a ``gem_shrinker`` directory in debugfs. ``stats`` shows
 * the objects and pages per state, the pages purged, evicted and swapped in
 * so far, and the figures of the last scan; writing a number of pages to
 * ``shrink`` runs scans as direct reclaim would (under lockdep's reclaim
 * annotation) until that many pages were freed, nothing is left, or two
 * scans in a row freed nothing (for up to a second, a scan in which the
 * driver declined objects does not count); ``wait_kswapd_only`` shows and
 * sets &drm_gem_shrinker.wait_kswapd_only, for measurements; ``scans``
 * lists the last 256 scans that looked at an object: how long each took,
 * how much of that the driver's callbacks took, the pages it freed, the
 * objects declined and waited for, and whether kswapd ran it. The
 * tracepoints of the ``drm_gem_shrinker`` system report every count, every
 * stage and every scan.
 */

/**
 * DOC: locking
 *
 * - The state of an object, and the decision which LRU it belongs on, is
 *   protected by its reservation lock. drm_gem_shrinker_update_state() is
 *   called with it held, except by the free path of an object whose
 *   refcount already dropped to zero.
 * - The LRUs, their page counts and &drm_gem_object.lru are protected by
 *   &drm_device.gem_lru_mutex. It nests inside reservation locks and is
 *   never held while shrinking an object, allocating memory or waiting for
 *   a fence. drmm_gem_shrinker_init() teaches lockdep that reclaim takes it.
 * - Reclaim only trylocks reservation locks (lockdep orders them before
 *   fs_reclaim, since memory is allocated under them), and takes a
 *   reference with kref_get_unless_zero() before it moves an object off an
 *   LRU. Its drm_gem_object_put() may be the last one: free paths must not
 *   take the reservation lock once the refcount is zero, nor allocate with
 *   %__GFP_NOFAIL or wait without bound.
 * - Reclaim may wait for fences, for a bounded time. Fence-signalling paths
 *   (run_job, GPU fault handlers) must therefore not take a reservation lock
 *   or allocate memory with reclaim while the shrinker may wait for their
 *   fence.
 */

static bool drm_gem_shrinker_evict_enabled =
	IS_ENABLED(CONFIG_DRM_GEM_SHRINKER_EVICT);
module_param_named(gem_shrinker_evict, drm_gem_shrinker_evict_enabled,
		   bool, 0600);
MODULE_PARM_DESC(gem_shrinker_evict,
		 "Evict idle GEM buffers to swap under memory pressure");

static bool drm_gem_shrinker_writeback =
	IS_ENABLED(CONFIG_DRM_GEM_SHRINKER_WRITEBACK);
module_param_named(gem_shrinker_writeback, drm_gem_shrinker_writeback,
		   bool, 0600);
MODULE_PARM_DESC(gem_shrinker_writeback,
		 "Write GEM buffers evicted by kswapd to swap at once");

/*
 * The shrinker and its settings that only KUnit tests change, out of the
 * structure drivers see.
 */
struct drm_gem_shrinker_impl {
	struct drm_gem_shrinker base;
	/* Free swap pages to assume, or -1 to ask get_nr_swap_pages() */
	long swap_pages;
	/* Fence-wait budget of each busy stage, in jiffies */
	unsigned long wait_jiffies;
#if defined(CONFIG_DEBUG_FS)
	/*
	 * The last scans that looked at an object, for the debugfs file
	 * ``scans``; under &drm_gem_shrinker.stats_lock. log_seq counts
	 * them all, the entry of scan n is log[n % ARRAY_SIZE(log)].
	 */
	u64 log_seq;
	struct drm_gem_shrinker_log_entry {
		u32 time_us;
		u32 hook_us;
		u32 freed;
		u32 declined;
		u32 waited;
		bool kswapd;
	} log[256];
#endif
};

static struct drm_gem_shrinker_impl *to_impl(struct drm_gem_shrinker *gs)
{
	return container_of(gs, struct drm_gem_shrinker_impl, base);
}

#if IS_ENABLED(CONFIG_KUNIT)
/**
 * drm_gem_shrinker_set_swap_pages - Assume free swap, for tests
 * @gs: GEM shrinker
 * @pages: Free swap pages that count and scan assume from now on, or
 *         %DRM_GEM_SHRINKER_SWAP_AUTO for get_nr_swap_pages()
 *
 * For KUnit tests on machines without swap, where evicted pages stay in the
 * page cache of the backing store.
 */
void drm_gem_shrinker_set_swap_pages(struct drm_gem_shrinker *gs, long pages)
{
	WRITE_ONCE(to_impl(gs)->swap_pages, pages);
}
EXPORT_SYMBOL_IF_KUNIT(drm_gem_shrinker_set_swap_pages);

/**
 * drm_gem_shrinker_set_wait_jiffies - Set the fence-wait budget, for tests
 * @gs: GEM shrinker
 * @timeout: Budget of each busy stage, in jiffies
 *
 * The default is %DRM_GEM_SHRINKER_WAIT_JIFFIES.
 */
void drm_gem_shrinker_set_wait_jiffies(struct drm_gem_shrinker *gs,
				       unsigned long timeout)
{
	WRITE_ONCE(to_impl(gs)->wait_jiffies, timeout);
}
EXPORT_SYMBOL_IF_KUNIT(drm_gem_shrinker_set_wait_jiffies);
#endif

static struct drm_gem_lru *
drm_gem_shrinker_lru(struct drm_gem_shrinker *gs,
		     enum drm_gem_reclaim_state state)
{
	switch (state) {
	case DRM_GEM_RECLAIM_PINNED:
		return &gs->pinned;
	case DRM_GEM_RECLAIM_WILLNEED:
		return &gs->willneed;
	case DRM_GEM_RECLAIM_DONTNEED:
		return &gs->dontneed;
	case DRM_GEM_RECLAIM_EVICTED:
		return &gs->evicted;
	default:
		return NULL;
	}
}

/* Move @obj to the tail of @lru, or off its LRU if @lru is NULL */
static void drm_gem_shrinker_move_locked(struct drm_gem_shrinker *gs,
					 struct drm_gem_object *obj,
					 struct drm_gem_lru *lru)
{
	lockdep_assert_held(&gs->dev->gem_lru_mutex);

	if (lru)
		drm_gem_lru_move_tail_locked(lru, obj);
	else
		drm_gem_lru_remove_locked(obj);

	/* At the tail already. */
	WRITE_ONCE(obj->lru_referenced, false);
}

/**
 * drm_gem_shrinker_update_state - Report the reclaim state of a GEM object
 * @obj: GEM object
 * @state: The state of @obj
 *
 * Moves @obj to the tail of the LRU of @state, or off all LRUs for states
 * without pages. Owners of objects call it after every change of state and
 * after every use of the object, also when the state did not change, so that
 * reclaim takes the least recently used objects first. When @obj already is
 * on the LRU of @state, it only marks @obj as referenced, without a lock;
 * the next scan that reaches it moves it to the tail. Does nothing if the
 * device has no GEM shrinker.
 *
 * Context: Process context. Reservation lock of @obj held, unless the
 * refcount of @obj is zero. Takes &drm_device.gem_lru_mutex when the object
 * changes LRU; callers that hold it use
 * drm_gem_shrinker_update_state_locked().
 */
void drm_gem_shrinker_update_state(struct drm_gem_object *obj,
				   enum drm_gem_reclaim_state state)
{
	struct drm_device *dev = obj->dev;
	struct drm_gem_shrinker *gs = dev->gem_shrinker;
	struct drm_gem_lru *lru;

	if (!gs)
		return;

	/* Also on the fast path, the most frequent one: free without lockdep */
	if (kref_read(&obj->refcount))
		dma_resv_assert_held(obj->resv);

	lru = drm_gem_shrinker_lru(gs, state);

	/*
	 * A use that leaves the object in its state only marks it as
	 * referenced, without the LRU lock: the scan moves referenced objects
	 * to the tail instead of reclaiming them. obj->lru is only compared
	 * here, never followed; the scan may have moved the object to its
	 * private list, and then the slow path puts it back. Nothing but
	 * this function, under the reservation lock, puts an object on an
	 * LRU, so an object on none stays there.
	 */
	if (lru && READ_ONCE(obj->lru) == lru) {
		WRITE_ONCE(obj->lru_referenced, true);
		return;
	}
	if (!lru && !READ_ONCE(obj->lru))
		return;

	mutex_lock(&dev->gem_lru_mutex);
	drm_gem_shrinker_move_locked(gs, obj, lru);
	mutex_unlock(&dev->gem_lru_mutex);
}
EXPORT_SYMBOL_GPL(drm_gem_shrinker_update_state);

/**
 * drm_gem_shrinker_update_state_locked - Report the reclaim state of a GEM
 *                                        object, LRU lock held
 * @obj: GEM object
 * @state: The state of @obj
 *
 * Like drm_gem_shrinker_update_state(), for callers that hold
 * &drm_device.gem_lru_mutex, e.g. a submit path that moves many objects
 * under one acquisition of the lock. It always moves @obj to the tail.
 *
 * The caller holds the reservation lock of @obj, or reports a state that
 * only makes @obj more reclaimable while its fences keep it busy (a job
 * that unpins its objects once it was queued to the hardware): reclaim
 * then cannot take it before the fences signal.
 *
 * Context: Process context. &drm_device.gem_lru_mutex held.
 */
void drm_gem_shrinker_update_state_locked(struct drm_gem_object *obj,
					  enum drm_gem_reclaim_state state)
{
	struct drm_gem_shrinker *gs = obj->dev->gem_shrinker;

	if (!gs)
		return;

	drm_gem_shrinker_move_locked(gs, obj, drm_gem_shrinker_lru(gs, state));
}
EXPORT_SYMBOL_GPL(drm_gem_shrinker_update_state_locked);

/**
 * drm_gem_shrinker_account_swapin - Count the swap-in of an evicted object
 * @obj: GEM object whose contents were just brought back from swap
 *
 * The owner of @obj calls it when it gave an evicted object its pages again,
 * which adds them to &drm_gem_shrinker.swapin_pages. A change of state alone
 * says nothing about that: an evicted object marked DONTNEED changes LRU
 * without coming back, and comes back later from the DONTNEED LRU. Does
 * nothing if the device has no GEM shrinker.
 *
 * Context: Any context.
 */
void drm_gem_shrinker_account_swapin(struct drm_gem_object *obj)
{
	struct drm_gem_shrinker *gs = obj->dev->gem_shrinker;
	unsigned long npages = obj->size >> PAGE_SHIFT;

	if (!gs)
		return;

	atomic_long_add(npages, &gs->swapin_pages);
	trace_drm_gem_shrinker_swapin(gs->dev, npages);
}
EXPORT_SYMBOL_GPL(drm_gem_shrinker_account_swapin);

/* Free swap pages, or what a test asks to assume */
static long drm_gem_shrinker_free_swap(struct drm_gem_shrinker *gs)
{
	long pages = READ_ONCE(to_impl(gs)->swap_pages);

	return pages >= 0 ? pages : get_nr_swap_pages();
}

/* drm_gem_shrinker_can_evict() with the free swap pages the caller read */
static bool drm_gem_shrinker_can_evict_swap(struct drm_gem_shrinker *gs,
					    gfp_t gfp, long free_swap)
{
	return READ_ONCE(drm_gem_shrinker_evict_enabled) &&
	       (gfp & __GFP_FS) && free_swap > 0 &&
	       (!gs->funcs->can_evict || gs->funcs->can_evict(gs->dev));
}

/**
 * drm_gem_shrinker_can_evict - Test whether eviction is possible
 * @gs: GEM shrinker
 * @gfp: Allocation flags of the caller that entered reclaim
 *
 * Returns:
 * True if eviction is enabled (the ``drm.gem_shrinker_evict`` parameter, and
 * &drm_gem_shrinker_funcs.can_evict of the driver if set), swap space is free
 * (or as many as a test set) and @gfp allows file-system calls, which
 * writing pages back to a shmem file needs.
 */
bool drm_gem_shrinker_can_evict(struct drm_gem_shrinker *gs, gfp_t gfp)
{
	return drm_gem_shrinker_can_evict_swap(gs, gfp,
					       drm_gem_shrinker_free_swap(gs));
}
EXPORT_SYMBOL_GPL(drm_gem_shrinker_can_evict);

/**
 * drm_gem_shrinker_count - Count the reclaimable pages of a device
 * @gs: GEM shrinker
 * @gfp: Allocation flags of the caller that entered reclaim
 *
 * This is &shrinker.count_objects of the GEM shrinker. It takes no lock.
 *
 * Returns:
 * The pages on the DONTNEED LRU, plus those on the WILLNEED LRU up to the
 * free swap pages if drm_gem_shrinker_can_evict(), or %SHRINK_EMPTY if there
 * are none or the shrinker was unregistered. Pages evicted beyond the free
 * swap could not leave memory.
 */
unsigned long drm_gem_shrinker_count(struct drm_gem_shrinker *gs, gfp_t gfp)
{
	long dontneed = READ_ONCE(gs->dontneed.count);
	long willneed = READ_ONCE(gs->willneed.count);
	unsigned long count;
	bool can_evict;
	long free_swap;

	if (!rcu_access_pointer(gs->shrinker))
		return SHRINK_EMPTY;

	/* One reading of the free swap for the decision and the cap */
	free_swap = drm_gem_shrinker_free_swap(gs);
	can_evict = drm_gem_shrinker_can_evict_swap(gs, gfp, free_swap);
	dontneed = max(dontneed, 0L);
	willneed = clamp(willneed, 0L, free_swap);
	trace_drm_gem_shrinker_count(gs->dev, dontneed, willneed, can_evict);

	count = dontneed;
	if (can_evict)
		count += willneed;

	return count ? min(count, SHRINK_EMPTY - 1) : SHRINK_EMPTY;
}
EXPORT_SYMBOL_GPL(drm_gem_shrinker_count);

static unsigned long
drm_gem_shrinker_count_objects(struct shrinker *shrinker,
			       struct shrink_control *sc)
{
	return drm_gem_shrinker_count(shrinker->private_data, sc->gfp_mask);
}

/* One stage of a scan, passed to the LRU scan as drm_gem_lru_scan_ctx.priv */
struct drm_gem_shrinker_stage_ctx {
	struct drm_gem_shrinker *gs;
	int (*shrink)(struct drm_gem_object *obj,
		      struct drm_gem_lru_scan_ctx *ctx);
	/* A busy stage: waits for busy objects until ctx->deadline */
	bool wait;
	/* Free swap pages left for the evictions of the scan, if evicting */
	long *swap_left;
	unsigned long declined;
	unsigned long waited;
	/* Whether a callback ran, and the time spent in them */
	bool called;
	u64 hook_ns;
};

static bool drm_gem_shrinker_shrink_one(struct drm_gem_object *obj,
					struct drm_gem_lru_scan_ctx *ctx)
{
	struct drm_gem_shrinker_stage_ctx *stage = ctx->priv;
	unsigned long npages = obj->size >> PAGE_SHIFT;
	u64 start;
	int ret;

	/*
	 * An idle stage skips busy objects and a busy stage the idle ones,
	 * which the idle stage before it had. Test this first: the second
	 * chance of a busy object is for the busy stage to spend, or a hot
	 * object the GPU is using would lose it in the idle stage and be
	 * waited for and reclaimed in the busy stage of the same scan.
	 */
	if (dma_resv_test_signaled(obj->resv, DMA_RESV_USAGE_BOOKKEEP) ==
	    stage->wait)
		return false;

	/* Used since the last scan: second chance, back to the LRU tail. */
	if (obj->lru_referenced) {
		WRITE_ONCE(obj->lru_referenced, false);
		return false;
	}

	/* Evicting more than the free swap would only churn. */
	if (stage->swap_left && *stage->swap_left < (long)npages)
		return false;

	if (stage->wait) {
		long timeout = drm_gem_lru_scan_timeout(ctx);

		/* The budget is for the whole stage, not per object. */
		if (timeout <= 0)
			return false;

		stage->waited++;
		timeout = dma_resv_wait_timeout(obj->resv,
						DMA_RESV_USAGE_BOOKKEEP, false,
						timeout);
		if (timeout <= 0)
			return false;
	}

	start = ktime_get_ns();
	ret = stage->shrink(obj, ctx);
	stage->hook_ns += ktime_get_ns() - start;
	stage->called = true;
	if (ret == -EBUSY)
		stage->declined++;
	if (!ret && stage->swap_left)
		*stage->swap_left -= npages;

	return !ret;
}

static void drm_gem_shrinker_record(struct drm_gem_shrinker *gs,
				    const struct drm_gem_shrinker_scan_stats *stats)
{
#if defined(CONFIG_DEBUG_FS)
	struct drm_gem_shrinker_impl *impl = to_impl(gs);
	struct drm_gem_shrinker_log_entry *e;
#endif

	spin_lock(&gs->stats_lock);
	gs->last_scan = *stats;
#if defined(CONFIG_DEBUG_FS)
	e = &impl->log[impl->log_seq++ % ARRAY_SIZE(impl->log)];
	e->time_us = min_t(u64, div_u64(stats->time_ns, NSEC_PER_USEC),
			   U32_MAX);
	e->hook_us = min_t(u64, div_u64(stats->hook_ns, NSEC_PER_USEC),
			   U32_MAX);
	e->freed = min_t(unsigned long, stats->freed, U32_MAX);
	e->declined = min_t(unsigned long, stats->declined, U32_MAX);
	e->waited = min_t(unsigned long, stats->waited, U32_MAX);
	e->kswapd = current_is_kswapd();
#endif
	spin_unlock(&gs->stats_lock);
}

static bool drm_gem_shrinker_can_block(struct drm_gem_shrinker *gs, gfp_t gfp)
{
	if (current_is_kswapd())
		return gfp & (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM);

	return !READ_ONCE(gs->wait_kswapd_only) && (gfp & __GFP_DIRECT_RECLAIM);
}

static unsigned long
drm_gem_shrinker_scan(struct drm_gem_shrinker *gs, struct shrink_control *sc,
		      struct drm_gem_shrinker_scan_stats *stats)
{
	const struct drm_gem_shrinker_funcs *funcs = gs->funcs;
	/* The swap this scan may fill, also what it decides eviction on */
	long swap_left = drm_gem_shrinker_free_swap(gs);
	bool can_evict = drm_gem_shrinker_can_evict_swap(gs, sc->gfp_mask,
							 swap_left);
	bool can_block = drm_gem_shrinker_can_block(gs, sc->gfp_mask);
	struct {
		struct drm_gem_lru *lru;
		int (*shrink)(struct drm_gem_object *obj,
			      struct drm_gem_lru_scan_ctx *ctx);
		bool wait;
		bool cond;
	} stages[DRM_GEM_SHRINKER_NR_STAGES] = {
		[DRM_GEM_SHRINKER_PURGE_IDLE] = {
			&gs->dontneed, funcs->purge, false, true },
		[DRM_GEM_SHRINKER_EVICT_IDLE] = {
			&gs->willneed, funcs->evict, false, can_evict },
		[DRM_GEM_SHRINKER_PURGE_BUSY] = {
			&gs->dontneed, funcs->purge, true, can_block },
		[DRM_GEM_SHRINKER_EVICT_BUSY] = {
			&gs->willneed, funcs->evict, true,
			can_evict && can_block },
	};
	struct drm_gem_lru_scan_ctx ctx = {};
	unsigned long freed = 0, remaining = 0, ret;
	/* What the last stage that ran on each LRU left */
	unsigned long left_dontneed = 0, left_willneed = 0;
	u64 start = ktime_get_ns(), hook_start;
	bool called = false;
	unsigned int i;
	int idx;

	memset(stats, 0, sizeof(*stats));
	stats->nr_to_scan = sc->nr_to_scan;

	/* The driver's callbacks may not touch an unplugged device. */
	if (!drm_dev_enter(gs->dev, &idx)) {
		stats->ret = SHRINK_STOP;
		return SHRINK_STOP;
	}

	if (can_evict && current_is_kswapd() && (sc->gfp_mask & __GFP_IO) &&
	    READ_ONCE(drm_gem_shrinker_writeback))
		ctx.flags |= DRM_GEM_LRU_SCAN_WRITEBACK;
	if (can_evict)
		ctx.flags |= DRM_GEM_LRU_SCAN_CAN_SWAP;
	if (can_block)
		ctx.flags |= DRM_GEM_LRU_SCAN_CAN_BLOCK;

	for (i = 0; i < ARRAY_SIZE(stages) && freed < sc->nr_to_scan; i++) {
		struct drm_gem_shrinker_stage_ctx stage = {
			.gs = gs,
			.shrink = stages[i].shrink,
			.wait = stages[i].wait,
			.swap_left = stages[i].lru == &gs->willneed ?
				     &swap_left : NULL,
		};
		unsigned long stage_freed, stage_remaining = 0;

		if (!stages[i].cond || !stages[i].shrink)
			continue;

		ctx.priv = &stage;
		/* One budget for the waits of the stage, the driver's too */
		ctx.flags &= ~DRM_GEM_LRU_SCAN_WAIT;
		if (stage.wait) {
			ctx.flags |= DRM_GEM_LRU_SCAN_WAIT;
			ctx.deadline = jiffies + READ_ONCE(to_impl(gs)->wait_jiffies);
		}
		stage_freed = drm_gem_lru_scan(gs->dev, stages[i].lru,
					       sc->nr_to_scan - freed,
					       &stage_remaining,
					       drm_gem_shrinker_shrink_one,
					       &ctx);

		trace_drm_gem_shrinker_stage(gs->dev, i, sc->nr_to_scan - freed,
					     stage_freed, stage_remaining);

		stats->stages_run |= BIT(i);
		stats->stage_freed[i] = stage_freed;
		stats->declined += stage.declined;
		stats->waited += stage.waited;
		stats->hook_ns += stage.hook_ns;
		called |= stage.called;
		freed += stage_freed;
		if (stages[i].lru == &gs->dontneed)
			left_dontneed = stage_remaining;
		else
			left_willneed = stage_remaining;

		if (i == DRM_GEM_SHRINKER_PURGE_IDLE ||
		    i == DRM_GEM_SHRINKER_PURGE_BUSY)
			atomic_long_add(stage_freed, &gs->purged_pages);
		else
			atomic_long_add(stage_freed, &gs->evicted_pages);
	}

	/* E.g. one notification of the device for the whole scan */
	if (called && funcs->scan_end) {
		hook_start = ktime_get_ns();
		funcs->scan_end(gs->dev);
		stats->hook_ns += ktime_get_ns() - hook_start;
	}

	sc->nr_scanned = ctx.nr_scanned;
	remaining = left_dontneed + left_willneed;

	/*
	 * Report every page freed. Without progress, ask to be called again
	 * only if something that was looked at may become reclaimable.
	 */
	if (freed)
		ret = freed;
	else if (remaining && ctx.nr_scanned)
		ret = 0;
	else
		ret = SHRINK_STOP;

	stats->nr_scanned = ctx.nr_scanned;
	stats->freed = freed;
	stats->remaining = remaining;
	stats->ret = ret;
	stats->time_ns = ktime_get_ns() - start;

	trace_drm_gem_shrinker_scan(gs->dev, sc->nr_to_scan, ctx.nr_scanned,
				    freed, remaining, ret);

	if (ctx.nr_scanned)
		drm_gem_shrinker_record(gs, stats);

	drm_dev_exit(idx);

	return ret;
}

static unsigned long
drm_gem_shrinker_scan_objects(struct shrinker *shrinker,
			      struct shrink_control *sc)
{
	struct drm_gem_shrinker_scan_stats stats;

	return drm_gem_shrinker_scan(shrinker->private_data, sc, &stats);
}

/**
 * drm_gem_shrinker_shrink - Run a shrinker scan as memory reclaim would
 * @gs: GEM shrinker
 * @nr_to_scan: Number of pages to reclaim
 * @gfp: Allocation flags of the simulated caller; they decide whether the
 *       scan may evict (%__GFP_FS) and wait (%__GFP_DIRECT_RECLAIM)
 * @stats: Returns the figures of the scan, may be NULL
 *
 * Runs &shrinker.scan_objects of the GEM shrinker inside
 * fs_reclaim_acquire() and with PF_MEMALLOC set, as direct reclaim runs
 * shrinkers, so that lockdep checks it as if reclaim had called it. For
 * debugfs and tests. Does nothing once the shrinker was unregistered.
 *
 * Context: Process context. Must not be called with a reservation lock or
 * &drm_device.gem_lru_mutex held.
 *
 * Returns:
 * The value of &shrinker.scan_objects: the number of pages freed, 0, or
 * %SHRINK_STOP (also after drm_gem_shrinker_unregister() and drm_dev_unplug()).
 */
unsigned long drm_gem_shrinker_shrink(struct drm_gem_shrinker *gs,
				      unsigned long nr_to_scan, gfp_t gfp,
				      struct drm_gem_shrinker_scan_stats *stats)
{
	struct drm_gem_shrinker_scan_stats local;
	struct shrink_control sc = {
		.gfp_mask = gfp,
		.nr_to_scan = nr_to_scan,
	};
	struct shrinker *shrinker;
	unsigned int noreclaim;
	unsigned long ret;

	/*
	 * Hold the shrinker as the core reclaim does, so that
	 * drm_gem_shrinker_unregister() waits for this scan too.
	 */
	rcu_read_lock();
	shrinker = rcu_dereference(gs->shrinker);
	if (shrinker && !shrinker_try_get(shrinker))
		shrinker = NULL;
	rcu_read_unlock();
	if (!shrinker) {
		if (stats) {
			memset(stats, 0, sizeof(*stats));
			stats->nr_to_scan = nr_to_scan;
			stats->ret = SHRINK_STOP;
		}
		return SHRINK_STOP;
	}

	/* As direct reclaim runs shrinkers: annotated, with PF_MEMALLOC */
	fs_reclaim_acquire(gfp);
	noreclaim = memalloc_noreclaim_save();
	ret = drm_gem_shrinker_scan(gs, &sc, stats ?: &local);
	memalloc_noreclaim_restore(noreclaim);
	fs_reclaim_release(gfp);

	shrinker_put(shrinker);

	return ret;
}
EXPORT_SYMBOL_GPL(drm_gem_shrinker_shrink);

#if defined(CONFIG_DEBUG_FS)
static int drm_gem_shrinker_stats_show(struct seq_file *m, void *data)
{
	static const char * const names[] = {
		"pinned", "willneed", "dontneed", "evicted",
	};
	struct drm_gem_shrinker *gs = m->private;
	struct drm_gem_lru *lrus[] = {
		&gs->pinned, &gs->willneed, &gs->dontneed, &gs->evicted,
	};
	struct drm_gem_shrinker_scan_stats last;
	unsigned long objects[ARRAY_SIZE(lrus)], pages[ARRAY_SIZE(lrus)];
	unsigned int i;

	/* Without the LRU lock, which submits and reclaim need: a snapshot */
	for (i = 0; i < ARRAY_SIZE(lrus); i++) {
		objects[i] = READ_ONCE(lrus[i]->objects);
		pages[i] = READ_ONCE(lrus[i]->count);
	}

	spin_lock(&gs->stats_lock);
	last = gs->last_scan;
	spin_unlock(&gs->stats_lock);

	seq_printf(m, "%-10s %10s %10s\n", "state", "objects", "pages");
	for (i = 0; i < ARRAY_SIZE(lrus); i++)
		seq_printf(m, "%-10s %10lu %10lu\n", names[i], objects[i],
			   pages[i]);
	seq_printf(m, "can_evict: %d\n",
		   drm_gem_shrinker_can_evict(gs, GFP_KERNEL));
	seq_printf(m, "purged_pages: %ld\n",
		   atomic_long_read(&gs->purged_pages));
	seq_printf(m, "evicted_pages: %ld\n",
		   atomic_long_read(&gs->evicted_pages));
	seq_printf(m, "swapin_pages: %ld\n",
		   atomic_long_read(&gs->swapin_pages));
	seq_printf(m, "last_scan: nr_to_scan=%lu nr_scanned=%lu freed=%lu remaining=%lu declined=%lu waited=%lu ret=%ld time_us=%llu hook_us=%llu\n",
		   last.nr_to_scan, last.nr_scanned, last.freed,
		   last.remaining, last.declined, last.waited, (long)last.ret,
		   div_u64(last.time_ns, NSEC_PER_USEC),
		   div_u64(last.hook_ns, NSEC_PER_USEC));
	seq_printf(m, "last_scan_stage_freed: purge_idle=%lu evict_idle=%lu purge_busy=%lu evict_busy=%lu\n",
		   last.stage_freed[DRM_GEM_SHRINKER_PURGE_IDLE],
		   last.stage_freed[DRM_GEM_SHRINKER_EVICT_IDLE],
		   last.stage_freed[DRM_GEM_SHRINKER_PURGE_BUSY],
		   last.stage_freed[DRM_GEM_SHRINKER_EVICT_BUSY]);

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(drm_gem_shrinker_stats);

static int drm_gem_shrinker_scans_show(struct seq_file *m, void *data)
{
	struct drm_gem_shrinker_impl *impl = to_impl(m->private);
	struct drm_gem_shrinker *gs = &impl->base;
	const unsigned int n = ARRAY_SIZE(impl->log);
	struct drm_gem_shrinker_log_entry *log;
	u64 seq, first, i;

	/* A copy, so as not to print under the lock that scans take */
	log = kmalloc_array(n, sizeof(*log), GFP_KERNEL);
	if (!log)
		return -ENOMEM;

	spin_lock(&gs->stats_lock);
	seq = impl->log_seq;
	memcpy(log, impl->log, n * sizeof(*log));
	spin_unlock(&gs->stats_lock);

	first = seq > n ? seq - n : 0;
	seq_printf(m, "%-10s %10s %10s %8s %8s %8s %6s\n", "scan", "time_us",
		   "hook_us", "freed", "declined", "waited", "kswapd");
	for (i = first; i < seq; i++) {
		const struct drm_gem_shrinker_log_entry *e = &log[i % n];

		seq_printf(m, "%-10llu %10u %10u %8u %8u %8u %6d\n", i,
			   e->time_us, e->hook_us, e->freed, e->declined,
			   e->waited, e->kswapd);
	}
	kfree(log);

	return 0;
}
DEFINE_SHOW_ATTRIBUTE(drm_gem_shrinker_scans);

static ssize_t drm_gem_shrinker_shrink_write(struct file *file,
					     const char __user *ubuf,
					     size_t len, loff_t *offp)
{
	struct drm_gem_shrinker *gs = file_inode(file)->i_private;
	unsigned long nr_to_scan, freed = 0, ret, retry_until;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned int idle = 0;
	int err;

	err = kstrtoul_from_user(ubuf, len, 0, &nr_to_scan);
	if (err)
		return err;
	if (!nr_to_scan)
		return -EINVAL;
	if (!rcu_access_pointer(gs->shrinker))
		return -ENODEV;

	/*
	 * Like the core reclaim, call the scan again while it makes progress
	 * or may make some: the first scan may only clear the marks of recent
	 * uses. Stop after two scans in a row that freed nothing. A scan in
	 * which the driver declined objects does not count as one for a
	 * second: a driver whose teardown is asynchronous releases the pages
	 * on a later scan.
	 */
	retry_until = jiffies + HZ;
	while (freed < nr_to_scan && idle < 2) {
		if (fatal_signal_pending(current))
			return -EINTR;

		ret = drm_gem_shrinker_shrink(gs, nr_to_scan - freed,
					      GFP_KERNEL, &stats);
		if (ret == SHRINK_STOP)
			break;
		freed += ret;
		if (ret)
			idle = 0;
		else if (stats.declined && time_before(jiffies, retry_until))
			schedule_timeout_killable(1);
		else
			idle++;
		cond_resched();
	}

	return len;
}

static const struct file_operations drm_gem_shrinker_shrink_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = drm_gem_shrinker_shrink_write,
	.llseek = noop_llseek,
};

static void drm_gem_shrinker_debugfs_init(struct drm_gem_shrinker *gs)
{
	struct drm_device *dev = gs->dev;
	struct dentry *dir;

	if (!dev->debugfs_root)
		return;

	/*
	 * Never removed here: the DRM core removes the device's whole debugfs
	 * directory in drm_dev_unregister(), and again at the start of
	 * drm_dev_release() for a device that was never registered, both
	 * before the drmm release actions run. debugfs_remove() waits for
	 * the files' readers and writers, so none is left when
	 * drm_gem_shrinker_release() frees @gs.
	 */
	dir = debugfs_create_dir("gem_shrinker", dev->debugfs_root);
	debugfs_create_file("scans", 0444, dir, gs,
			    &drm_gem_shrinker_scans_fops);
	debugfs_create_file("stats", 0444, dir, gs,
			    &drm_gem_shrinker_stats_fops);
	debugfs_create_file("shrink", 0200, dir, gs,
			    &drm_gem_shrinker_shrink_fops);
	debugfs_create_bool("wait_kswapd_only", 0600, dir,
			    &gs->wait_kswapd_only);
}
#else
static void drm_gem_shrinker_debugfs_init(struct drm_gem_shrinker *gs)
{
}
#endif

/**
 * drm_gem_shrinker_unregister - Stop the reclaim of a device's GEM objects
 * @gs: GEM shrinker, may be NULL
 *
 * Unregisters @gs from the core memory management and waits for the scans
 * in progress, those of drm_gem_shrinker_shrink() and debugfs included. No
 * scan calls the driver's callbacks afterwards: drm_gem_shrinker_count()
 * returns %SHRINK_EMPTY and writing to the debugfs ``shrink`` file fails
 * with -ENODEV. The LRUs stay until the device is released, since objects
 * may still be alive and report their states.
 *
 * The shrinker is unregistered with the device in any case. Drivers call it
 * early, in their remove callback, if their reclaim callbacks use state that
 * goes before the device is released (devm-managed memory, the
 * &drm_device.dev_private of msm): after drm_dev_unregister() and before
 * that state is freed. Calling it again does nothing.
 *
 * Context: Process context. Must not be called from memory reclaim, nor with
 * a reservation lock or &drm_device.gem_lru_mutex held.
 */
void drm_gem_shrinker_unregister(struct drm_gem_shrinker *gs)
{
	struct shrinker *shrinker;

	if (!gs)
		return;

	shrinker = unrcu_pointer(xchg(&gs->shrinker, RCU_INITIALIZER(NULL)));
	/* Waits for scans in progress, then frees after an RCU grace period. */
	shrinker_free(shrinker);
}
EXPORT_SYMBOL_GPL(drm_gem_shrinker_unregister);

static void drm_gem_shrinker_release(struct drm_device *dev, void *ptr)
{
	struct drm_gem_shrinker *gs = ptr;

	drm_gem_shrinker_unregister(gs);

	drm_WARN_ON(dev, !list_empty(&gs->pinned.list));
	drm_WARN_ON(dev, !list_empty(&gs->willneed.list));
	drm_WARN_ON(dev, !list_empty(&gs->dontneed.list));
	drm_WARN_ON(dev, !list_empty(&gs->evicted.list));

	dev->gem_shrinker = NULL;
	kfree(to_impl(gs));
}

/**
 * drmm_gem_shrinker_init - Create and register the GEM shrinker of a device
 * @dev: DRM device
 * @funcs: Reclaim callbacks
 *
 * Creates the GEM shrinker of @dev, sets &drm_device.gem_shrinker, registers
 * it with the core memory management and creates its debugfs files. It is
 * unregistered and freed with the device (drmm-managed); all objects must be
 * gone by then. Drivers whose callbacks need state that goes earlier
 * unregister it before with drm_gem_shrinker_unregister().
 *
 * Context: Process context, before the device has GEM objects.
 *
 * Returns:
 * The shrinker, or an ERR_PTR()-encoded negative error code: -EINVAL if
 * @funcs lacks a callback, -EBUSY if the device already has a shrinker,
 * -ENOMEM if allocations failed.
 */
struct drm_gem_shrinker *
drmm_gem_shrinker_init(struct drm_device *dev,
		       const struct drm_gem_shrinker_funcs *funcs)
{
	struct drm_gem_shrinker_impl *impl;
	struct drm_gem_shrinker *gs;
	struct shrinker *shrinker;
	int ret;

	if (drm_WARN_ON(dev, !funcs || !funcs->purge || !funcs->evict))
		return ERR_PTR(-EINVAL);
	if (drm_WARN_ON(dev, dev->gem_shrinker))
		return ERR_PTR(-EBUSY);

	impl = kzalloc(sizeof(*impl), GFP_KERNEL);
	if (!impl)
		return ERR_PTR(-ENOMEM);

	gs = &impl->base;
	gs->dev = dev;
	gs->funcs = funcs;
	gs->wait_kswapd_only = true;
	impl->wait_jiffies = DRM_GEM_SHRINKER_WAIT_JIFFIES;
	impl->swap_pages = -1;
	drm_gem_lru_init(&gs->pinned);
	drm_gem_lru_init(&gs->willneed);
	drm_gem_lru_init(&gs->dontneed);
	drm_gem_lru_init(&gs->evicted);
	spin_lock_init(&gs->stats_lock);

	shrinker = shrinker_alloc(0, "drm-gem:%s", dev->unique);
	if (!shrinker) {
		kfree(impl);
		return ERR_PTR(-ENOMEM);
	}
	shrinker->count_objects = drm_gem_shrinker_count_objects;
	shrinker->scan_objects = drm_gem_shrinker_scan_objects;
	shrinker->private_data = gs;
	RCU_INIT_POINTER(gs->shrinker, shrinker);

	/* Teach lockdep that reclaim takes the LRU lock. */
	fs_reclaim_acquire(GFP_KERNEL);
	might_lock(&dev->gem_lru_mutex);
	fs_reclaim_release(GFP_KERNEL);

	dev->gem_shrinker = gs;
	drm_gem_shrinker_debugfs_init(gs);
	shrinker_register(shrinker);

	ret = drmm_add_action_or_reset(dev, drm_gem_shrinker_release, gs);
	if (ret)
		return ERR_PTR(ret);

	return gs;
}
EXPORT_SYMBOL_GPL(drmm_gem_shrinker_init);
